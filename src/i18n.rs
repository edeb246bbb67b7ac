//! The text Convene shows people, one catalogue per language. Both catalogues are values of one
//! struct, so a text missing in either language does not compile.

use crate::values::Language;
use chrono::{Datelike, Timelike};

pub struct Catalogue {
    pub months: [&'static str; 12],
    /// "{day} {month} {year}, {time}"
    pub date_time: &'static str,
    pub greeting: &'static str,
    pub signature: &'static str,
    pub manage_intro: &'static str,
    pub manage_link: &'static str,
    pub when: &'static str,
    pub where_: &'static str,

    pub confirm_subject: &'static str,
    pub confirm_body: &'static str,
    pub confirm_button: &'static str,
    pub confirm_ignore: &'static str,

    pub already_subject: &'static str,
    pub already_body: &'static str,

    pub confirmed_subject: &'static str,
    pub confirmed_body: &'static str,
    pub calendar_attached: &'static str,

    pub waitlisted_subject: &'static str,
    pub waitlisted_body: &'static str,

    pub promoted_subject: &'static str,
    pub promoted_body: &'static str,

    pub awaiting_subject: &'static str,
    pub awaiting_body: &'static str,

    pub approved_subject: &'static str,
    pub approved_body: &'static str,

    pub rejected_subject: &'static str,
    pub rejected_body: &'static str,

    pub cancelled_subject: &'static str,
    pub cancelled_body: &'static str,

    pub agenda_subject: &'static str,
    pub agenda_body: &'static str,
    pub agenda_cancelled: &'static str,
    pub agenda_calendar: &'static str,
}

pub static EN: Catalogue = Catalogue {
    months: [
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December",
    ],
    date_time: "{day} {month} {year}, {time}",
    greeting: "Hello {name},",
    signature: "The organizers of {meeting}",
    manage_intro: "You can view, change or cancel your registration at any time:",
    manage_link: "Manage my registration",
    when: "When",
    where_: "Where",

    confirm_subject: "Please confirm your registration: {meeting}",
    confirm_body: "Thank you for registering for {meeting}. Please confirm your email address within 48 hours by opening this link:",
    confirm_button: "Confirm my registration",
    confirm_ignore: "If you did not register, you can ignore this email: the registration expires by itself.",

    already_subject: "You are already registered: {meeting}",
    already_body: "Someone, perhaps you, tried to register this email address again for {meeting}. You are already registered, so nothing was changed.",

    confirmed_subject: "Your place is confirmed: {meeting}",
    confirmed_body: "Your place at {meeting} is confirmed. We look forward to seeing you.",
    calendar_attached: "The attached calendar file (invite.ics) adds the meeting to your calendar.",

    waitlisted_subject: "You are on the waiting list: {meeting}",
    waitlisted_body: "{meeting} is full at the moment. You are number {position} on the waiting list. If a place becomes free, we will confirm you automatically and write to you.",

    promoted_subject: "A place became free, you are confirmed: {meeting}",
    promoted_body: "Good news: a place became free at {meeting} and your registration is now confirmed.",

    awaiting_subject: "Your registration is awaiting approval: {meeting}",
    awaiting_body: "Thank you for confirming your email address. The organizers of {meeting} review every registration; we will write to you as soon as they have decided.",

    approved_subject: "Your registration is approved: {meeting}",
    approved_body: "The organizers have approved your registration for {meeting}. Your place is confirmed.",

    rejected_subject: "Your registration could not be accepted: {meeting}",
    rejected_body: "We are sorry: the organizers of {meeting} could not accept your registration. If you think this is a mistake, please reply to the organizers.",

    cancelled_subject: "Your registration is cancelled: {meeting}",
    cancelled_body: "Your registration for {meeting} has been cancelled. If this was not intended, you can register again while registration is open.",

    agenda_subject: "Programme changes: {meeting}",
    agenda_body: "The organizers of {meeting} have changed the programme:",
    agenda_cancelled: "cancelled",
    agenda_calendar: "The attached calendar file (agenda.ics) holds the updated programme; importing it updates the sessions already in your calendar.",
};

pub static ES: Catalogue = Catalogue {
    months: [
        "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
        "octubre", "noviembre", "diciembre",
    ],
    date_time: "{day} de {month} de {year}, {time}",
    greeting: "Hola, {name}:",
    signature: "El equipo organizador de {meeting}",
    manage_intro: "Puede consultar, modificar o cancelar su inscripción en cualquier momento:",
    manage_link: "Gestionar mi inscripción",
    when: "Cuándo",
    where_: "Dónde",

    confirm_subject: "Confirme su inscripción: {meeting}",
    confirm_body: "Gracias por inscribirse en {meeting}. Por favor, confirme su dirección de correo electrónico en las próximas 48 horas abriendo este enlace:",
    confirm_button: "Confirmar mi inscripción",
    confirm_ignore: "Si usted no se inscribió, puede ignorar este mensaje: la inscripción caducará sola.",

    already_subject: "Ya tiene una inscripción: {meeting}",
    already_body: "Alguien, quizás usted, intentó inscribir de nuevo esta dirección de correo en {meeting}. Usted ya tiene una inscripción, así que no se ha cambiado nada.",

    confirmed_subject: "Su lugar está confirmado: {meeting}",
    confirmed_body: "Su lugar en {meeting} está confirmado. Será un placer contar con su participación.",
    calendar_attached: "El archivo de calendario adjunto (invite.ics) añade la reunión a su calendario.",

    waitlisted_subject: "Está en la lista de espera: {meeting}",
    waitlisted_body: "Por el momento no quedan lugares en {meeting}. Usted ocupa el número {position} en la lista de espera. Si se libera un lugar, confirmaremos su inscripción automáticamente y le escribiremos.",

    promoted_subject: "Se liberó un lugar y su inscripción está confirmada: {meeting}",
    promoted_body: "Buenas noticias: se liberó un lugar en {meeting} y su inscripción ya está confirmada.",

    awaiting_subject: "Su inscripción está pendiente de aprobación: {meeting}",
    awaiting_body: "Gracias por confirmar su dirección de correo. El equipo organizador de {meeting} revisa cada inscripción; le escribiremos en cuanto haya una decisión.",

    approved_subject: "Su inscripción ha sido aprobada: {meeting}",
    approved_body: "El equipo organizador aprobó su inscripción en {meeting}. Su lugar está confirmado.",

    rejected_subject: "No fue posible aceptar su inscripción: {meeting}",
    rejected_body: "Lo sentimos: el equipo organizador de {meeting} no pudo aceptar su inscripción. Si cree que se trata de un error, responda al equipo organizador.",

    cancelled_subject: "Su inscripción ha sido cancelada: {meeting}",
    cancelled_body: "Su inscripción en {meeting} ha sido cancelada. Si no era su intención, puede volver a inscribirse mientras la inscripción esté abierta.",

    agenda_subject: "Cambios en el programa: {meeting}",
    agenda_body: "El equipo organizador de {meeting} modificó el programa:",
    agenda_cancelled: "cancelada",
    agenda_calendar: "El archivo de calendario adjunto (agenda.ics) contiene el programa actualizado; al importarlo se actualizan las sesiones que ya están en su calendario.",
};

pub fn catalogue(language: Language) -> &'static Catalogue {
    match language {
        Language::En => &EN,
        Language::Es => &ES,
    }
}

/// Fills `{name}` placeholders.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (key, value)| {
            text.replace(&format!("{{{key}}}"), value)
        })
}

/// A local date and time written the way a reader of that language expects.
pub fn date_time<T: Datelike + Timelike>(at: &T, language: Language) -> String {
    let texts = catalogue(language);
    fill(
        texts.date_time,
        &[
            ("day", &at.day().to_string()),
            ("month", texts.months[at.month0() as usize]),
            ("year", &at.year().to_string()),
            ("time", &format!("{:02}:{:02}", at.hour(), at.minute())),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn dates_read_naturally_in_both_languages() {
        let at = NaiveDate::from_ymd_opt(2026, 5, 29)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        assert_eq!(date_time(&at, Language::En), "29 May 2026, 09:00");
        assert_eq!(date_time(&at, Language::Es), "29 de mayo de 2026, 09:00");
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(fill("Hola, {name}:", &[("name", "Ana")]), "Hola, Ana:");
    }
}
