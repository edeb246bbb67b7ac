//! Travel support's texts: the meeting's settings, the form, the manage page, the travel tab,
//! the emails, the visa letter and its verification page.

/// Texts of travel support, in one language.
#[derive(Debug, serde::Serialize)]
pub struct Travel {
    pub heading: &'static str,
    pub travel_support: &'static str,
    pub visa_letters: &'static str,
    pub visa_letters_hint: &'static str,
    pub funding_approved_subject: &'static str,
    pub funding_approved_body: &'static str,
    pub funding_declined_subject: &'static str,
    pub funding_declined_body: &'static str,
    pub booked_subject: &'static str,
    pub booked_body: &'static str,
    pub note: &'static str,
    pub itinerary: &'static str,
    pub hotel_booking: &'static str,
}

pub static EN: Travel = Travel {
    heading: "Travel",
    travel_support: "Participants may ask for travel support (funding, hotel)",
    visa_letters: "Participants may ask for a visa letter",
    visa_letters_hint: "They then give their nationality, passport and date of birth, kept encrypted and erased 30 days after the meeting.",
    funding_approved_subject: "Your travel support is approved",
    funding_approved_body: "Your request for travel support for {meeting} is approved.",
    funding_declined_subject: "About your travel support",
    funding_declined_body: "We cannot fund your travel to {meeting}.",
    booked_subject: "Your travel is booked",
    booked_body: "Your travel to {meeting} is booked. Keep these details with you.",
    note: "From the organizers",
    itinerary: "Itinerary",
    hotel_booking: "Hotel",
};

pub static ES: Travel = Travel {
    heading: "Viaje",
    travel_support: "Los participantes pueden pedir apoyo de viaje (pasaje, hotel)",
    visa_letters: "Los participantes pueden pedir una carta para la visa",
    visa_letters_hint: "Dan entonces su nacionalidad, pasaporte y fecha de nacimiento, guardados cifrados y borrados 30 días después de la reunión.",
    funding_approved_subject: "Su apoyo de viaje está aprobado",
    funding_approved_body: "Su solicitud de apoyo de viaje para {meeting} está aprobada.",
    funding_declined_subject: "Sobre su apoyo de viaje",
    funding_declined_body: "No podemos financiar su viaje a {meeting}.",
    booked_subject: "Su viaje está reservado",
    booked_body: "Su viaje a {meeting} está reservado. Lleve estos datos consigo.",
    note: "De los organizadores",
    itinerary: "Itinerario",
    hotel_booking: "Hotel",
};
