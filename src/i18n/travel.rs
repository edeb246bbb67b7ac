//! Travel support's texts: the meeting's settings, the form, the manage page, the travel tab,
//! the emails, the visa letter and its verification page.

/// Texts of travel support, in one language.
#[derive(Debug, serde::Serialize)]
pub struct Travel {
    pub heading: &'static str,
    pub travel_support: &'static str,
    pub visa_letters: &'static str,
    pub visa_letters_hint: &'static str,
}

pub static EN: Travel = Travel {
    heading: "Travel",
    travel_support: "Participants may ask for travel support (funding, hotel)",
    visa_letters: "Participants may ask for a visa letter",
    visa_letters_hint: "They then give their nationality, passport and date of birth, kept encrypted and erased 30 days after the meeting.",
};

pub static ES: Travel = Travel {
    heading: "Viaje",
    travel_support: "Los participantes pueden pedir apoyo de viaje (pasaje, hotel)",
    visa_letters: "Los participantes pueden pedir una carta para la visa",
    visa_letters_hint: "Dan entonces su nacionalidad, pasaporte y fecha de nacimiento, guardados cifrados y borrados 30 días después de la reunión.",
};
