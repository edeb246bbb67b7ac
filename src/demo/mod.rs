//! The demo: the IOM regional exchange of migrant information hubs in Mexico City, with its
//! organisations, a published two-day meeting and a few dozen participants. Idempotent.

mod invited;

use crate::accounts::model::NewAccount;
use crate::agenda::model::{NewRoom, RoomForm, SessionDraft, SessionForm};
use crate::audit::{self, Actor};
use crate::db::{new_id, DbConn};
use crate::error::AppResult;
use crate::meetings::model::{MeetingDraft, MeetingForm};
use crate::meetings::Meeting;
use crate::registrations::model::{
    NewRegistration, OrganizationForm, RegistrationForm, RegistrationStatus,
};
use crate::schema;
use crate::values::{Email, Slug};
use crate::{accounts, agenda, meetings, registrations};
use chrono::{Days, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::America::Mexico_City;
use diesel::{Connection, ExpressionMethods, RunQueryDsl};

pub const ORGANIZER_EMAIL: &str = "organizer@convene.example";
pub const ORGANIZER_PASSWORD: &str = "convene-demo-2026";
pub const MEETING_SLUG: &str = "mexico-city-hubs";

/// The 21 migrant information hubs, by country.
const HUBS: [(&str, &str); 21] = [
    ("Centro de Información para Migrantes Tapachula", "MX"),
    ("Centro de Información para Migrantes Tijuana", "MX"),
    ("Centro de Información para Migrantes Ciudad Juárez", "MX"),
    ("Centro de Información para Migrantes Tenosique", "MX"),
    ("Centro de Información Tecún Umán", "GT"),
    ("Centro de Información Esquipulas", "GT"),
    ("Centro de Información Ciudad de Guatemala", "GT"),
    ("Centro de Información Quetzaltenango", "GT"),
    ("Centro de Información San Pedro Sula", "HN"),
    ("Centro de Información Tegucigalpa", "HN"),
    ("Centro de Información Choluteca", "HN"),
    ("Centro de Información San Salvador", "SV"),
    ("Centro de Información San Miguel", "SV"),
    ("Centro de Información Santa Ana", "SV"),
    ("Centro de Información San José", "CR"),
    ("Centro de Información Paso Canoas", "CR"),
    ("Centro de Información Ciudad de Panamá", "PA"),
    ("Centro de Información Darién", "PA"),
    ("Centro de Información Managua", "NI"),
    ("Centro de Información Estelí", "NI"),
    ("Migrant Information Centre Belize City", "BZ"),
];

/// UN agencies, civil society and a donor: (name, kind, country).
const PARTNERS: [(&str, &str, &str); 8] = [
    (
        "Organización Internacional para las Migraciones (OIM)",
        "un_agency",
        "MX",
    ),
    (
        "ACNUR, la Agencia de la ONU para los Refugiados",
        "un_agency",
        "MX",
    ),
    ("UNICEF Oficina Regional", "un_agency", "PA"),
    ("Red Regional de Casas del Migrante", "civil_society", "GT"),
    (
        "Alianza Centroamericana por la Movilidad Humana",
        "civil_society",
        "CR",
    ),
    (
        "Colectivo de Defensa de Personas Migrantes",
        "civil_society",
        "HN",
    ),
    ("Fondo Regional para la Movilidad Humana", "donor", "PA"),
    ("Instituto Nacional de Migración", "government", "MX"),
];

const FIRST_NAMES: [&str; 12] = [
    "Ana María",
    "José",
    "Lucía",
    "Carlos",
    "María José",
    "Andrés",
    "Gabriela",
    "Héctor",
    "Sofía",
    "Julián",
    "Valeria",
    "Ñeco",
];
const LAST_NAMES: [&str; 12] = [
    "Pérez",
    "Hernández",
    "López",
    "Martínez",
    "Rodríguez",
    "Gómez",
    "Díaz",
    "Castillo",
    "Ramírez",
    "Peña",
    "Núñez",
    "Zúñiga",
];

pub struct Seeded {
    pub created: bool,
}

/// A time of day, `days` from today, in Mexico City, as UTC.
fn local_day(now: NaiveDateTime, days: u64, hour: u32, minute: u32) -> String {
    let date = now.date() + Days::new(days);
    let local = date.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default());
    Mexico_City
        .from_local_datetime(&local)
        .earliest()
        .map(|at| at.to_rfc3339())
        .unwrap_or_default()
}

pub fn seed(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<Seeded> {
    conn.transaction(|conn| {
        let account = NewAccount::parse(ORGANIZER_EMAIL, "Demo organizer (IOM)", ORGANIZER_PASSWORD)?;
        let account_id = match accounts::store::id_by_email(conn, &account.email.key())? {
            Some(id) => id,
            None => {
                let hash = account.password.hash()?;
                accounts::store::create(conn, &account, &hash, now)?
            }
        };
        let slug = Slug::parse(Some(MEETING_SLUG)).map_err(|p| anyhow::anyhow!(p.message))?;
        if meetings::store::by_slug(conn, &slug).is_ok() {
            return Ok(Seeded { created: false });
        }
        let form: MeetingForm = serde_json::from_value(serde_json::json!({
            "slug": MEETING_SLUG,
            "title": "Regional exchange of migrant information hubs",
            "description": "Two days for the staff of 21 migrant information hubs in Central America and Mexico, UN agencies and civil society to share what works in informing people on the move.",
            "venue": "Centro de Convenciones Tlatelolco",
            "address": "Avenida Ricardo Flores Magón 1, Nonoalco Tlatelolco",
            "city": "Mexico City",
            "contact_email": "intercambio-centros@convene.example",
            "country": "MX",
            "timezone": "America/Mexico_City",
            "starts_at": local_day(now, 45, 9, 0),
            "ends_at": local_day(now, 46, 18, 0),
            "registration_closes_at": local_day(now, 38, 23, 59),
            "capacity": 120,
            "per_organization_limit": 3,
            "requires_approval": false,
            "languages": ["es", "en"],
            "status": "published",
            "translations": {"es": {
                "title": "Intercambio regional de centros de información para personas migrantes",
                "description": "Dos días para que el personal de 21 centros de información para personas migrantes de Centroamérica y México, agencias de la ONU y la sociedad civil compartan lo que funciona para informar a las personas en movimiento.",
                "city": "Ciudad de México"
            }}
        }))
        .map_err(anyhow::Error::from)?;
        let draft = MeetingDraft::parse(&form)?;
        let meeting = meetings::store::create(conn, &draft, &account_id, now)?;
        invited::categories(conn, &meeting, &account_id, now)?;
        invited::questions(conn, &meeting, &account_id, now)?;

        let confirmed_ids = seed_participants(conn, &meeting, now)?;
        invited::drop_first_category(conn, &meeting, &account_id, now)?;
        programme(conn, &meeting, &account_id, &confirmed_ids, now)?;
        invited::delegations(conn, &meeting, &account_id, now)?;
        invited::invitations(conn, &meeting, &account_id, now)?;
        Ok(Seeded { created: true })
    })
}

/// One participant from each hub and partner: most confirmed, some still to confirm their
/// address, some cancelled. Answers the confirmed ones' ids, who may speak in the programme.
fn seed_participants(
    conn: &mut DbConn,
    meeting: &Meeting,
    now: NaiveDateTime,
) -> AppResult<Vec<String>> {
    let organizations = HUBS
        .iter()
        .map(|(name, country)| (*name, "information_hub", *country))
        .chain(PARTNERS.iter().copied());
    let mut confirmed_ids = Vec::new();
    let asked = meetings::questions::store::questionnaire(conn, &meeting.id)?;
    for (i, (org, kind, country)) in organizations.enumerate() {
        let delegate = kind == "information_hub" || kind == "un_agency";
        let first = FIRST_NAMES[i % FIRST_NAMES.len()];
        let last = LAST_NAMES[(i * 5 + 3) % LAST_NAMES.len()];
        let email = format!("participant{:02}@demo.convene.example", i + 1);
        let form = RegistrationForm {
            full_name: Some(format!("{first} {last}")),
            email: Some(email),
            organization: Some(OrganizationForm {
                name: Some(org.to_owned()),
                kind: Some(kind.to_owned()),
                country: Some(country.to_owned()),
            }),
            job_title: Some(
                if kind == "information_hub" {
                    "Coordinación del centro"
                } else {
                    "Oficial de programas"
                }
                .to_owned(),
            ),
            country: Some(country.to_owned()),
            language: Some(
                if country == "BZ" || i % 7 == 0 {
                    "en"
                } else {
                    "es"
                }
                .to_owned(),
            ),
            consent_data_processing: Some(true),
            consent_press_listing: Some(i % 3 != 0),
            dietary: (i % 6 == 0).then(|| "Vegetariana".to_owned()),
            accessibility: None,
            interpretation: (i % 4 == 0).then(|| "es-en".to_owned()),
            category: Some(if delegate { "delegate" } else { "observer" }.to_owned()),
            answers: serde_json::from_value(invited::answers(i, delegate, meeting)).ok(),
            invitation: None,
            travel: None,
        };
        let new = NewRegistration::parse(&form, &asked)?;
        debug_assert!(Email::parse(Some(new.email.as_str())).is_ok());
        let status = match i % 10 {
            7 => RegistrationStatus::PendingEmail,
            9 => RegistrationStatus::Cancelled,
            _ => RegistrationStatus::Confirmed,
        };
        let id = insert_seeded(conn, &meeting.id, &new, status, now)?;
        if status == RegistrationStatus::Confirmed {
            confirmed_ids.push(id);
        }
    }
    Ok(confirmed_ids)
}

/// Adds a registration already in `status`, writing no email: for seeding demo data.
fn insert_seeded(
    conn: &mut DbConn,
    meeting_id: &str,
    new: &NewRegistration,
    status: RegistrationStatus,
    created_at: NaiveDateTime,
) -> AppResult<String> {
    let organization_id =
        registrations::store::organization_id(conn, &new.organization, created_at)?;
    let id = new_id();
    diesel::insert_into(schema::registrations::table)
        .values((
            schema::registrations::id.eq(&id),
            schema::registrations::meeting_id.eq(meeting_id),
            schema::registrations::email.eq(new.email.as_str()),
            schema::registrations::email_key.eq(new.email.key()),
            schema::registrations::consent_data_processing.eq(true),
            schema::registrations::status.eq(status.as_str()),
            schema::registrations::created_at.eq(created_at),
            schema::registrations::status_changed_at.eq(created_at),
            schema::registrations::updated_at.eq(created_at),
            schema::registrations::checkin_code
                .eq(crate::checkin::CheckinCode::generate().as_str().to_owned()),
            schema::registrations::confirmed_at
                .eq((status == RegistrationStatus::Confirmed).then_some(created_at)),
            schema::registrations::category.eq(new
                .category
                .as_ref()
                .map_or(meetings::categories::DEFAULT_CODE, |code| code.as_str())),
            registrations::store::fields(new, &organization_id),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        audit::NewEntry {
            actor: &Actor::System,
            action: "registration.seeded",
            meeting_id: Some(meeting_id),
            subject_id: Some(&id),
            detail: status.as_str(),
        },
        created_at,
    )?;
    Ok(id)
}

/// Two days: opening plenary, panels of hubs and UN agencies, workshops in two rooms in
/// parallel, breaks, closing; some in Spanish with interpretation.
fn programme(
    conn: &mut DbConn,
    meeting: &Meeting,
    account_id: &str,
    people: &[String],
    now: NaiveDateTime,
) -> AppResult<()> {
    let room = |conn: &mut DbConn, name: &str, capacity: i64| {
        let new = NewRoom::parse(&RoomForm {
            name: Some(name.to_owned()),
            capacity: Some(capacity),
        })?;
        agenda::store::create_room(conn, meeting, &new, account_id, now).map(|r| r.id)
    };
    let hall = room(conn, "Salón Tlatelolco", 150)?;
    let juarez = room(conn, "Sala Juárez", 40)?;
    let hidalgo = room(conn, "Sala Hidalgo", 40)?;
    let person = |i: usize| {
        people
            .get(i % people.len().max(1))
            .map(|id| serde_json::json!({"registration_id": id, "role": "speaker"}))
    };
    let guest = |name: &str, organization: &str, role: &str| serde_json::json!({"name": name, "organization": organization, "role": role});
    // (day, start, end, kind, room, language, interpretation, title EN, title ES, speakers)
    let sessions = [
        (
            0,
            (9, 0),
            (9, 45),
            "plenary",
            Some(&hall),
            "es",
            true,
            "Opening: information as protection",
            "Apertura: la información como protección",
            vec![
                guest("Jefa de Misión", "OIM México", "speaker"),
                guest("Coordinación regional", "OIM Centroamérica", "moderator"),
            ],
        ),
        (
            0,
            (9, 45),
            (11, 0),
            "panel",
            Some(&hall),
            "es",
            true,
            "Hubs in the field: what people on the move ask",
            "Los centros en el terreno: lo que preguntan las personas en movimiento",
            [person(0), person(4), person(8), person(11)]
                .into_iter()
                .flatten()
                .chain([guest("Periodista invitada", "Radio Progreso", "moderator")])
                .collect(),
        ),
        (
            0,
            (11, 0),
            (11, 30),
            "break",
            None,
            "both",
            false,
            "Coffee",
            "Café",
            vec![],
        ),
        (
            0,
            (11, 30),
            (13, 0),
            "workshop",
            Some(&juarez),
            "es",
            false,
            "Checking information before sharing it",
            "Verificar la información antes de compartirla",
            [person(1), person(5)].into_iter().flatten().collect(),
        ),
        (
            0,
            (11, 30),
            (13, 0),
            "workshop",
            Some(&hidalgo),
            "both",
            false,
            "Reaching people through WhatsApp and community radio",
            "Llegar a las personas por WhatsApp y radio comunitaria",
            [person(2), person(14)].into_iter().flatten().collect(),
        ),
        (
            0,
            (13, 0),
            (14, 30),
            "break",
            None,
            "both",
            false,
            "Lunch",
            "Almuerzo",
            vec![],
        ),
        (
            0,
            (14, 30),
            (16, 0),
            "panel",
            Some(&hall),
            "en",
            true,
            "UN agencies and hubs: referral pathways",
            "Agencias de la ONU y centros: rutas de derivación",
            [person(18), person(19)]
                .into_iter()
                .flatten()
                .chain([guest("Protection Officer", "UNHCR", "speaker")])
                .collect(),
        ),
        (
            0,
            (16, 0),
            (17, 30),
            "networking",
            Some(&hall),
            "both",
            false,
            "Country tables",
            "Mesas por país",
            vec![],
        ),
        (
            1,
            (9, 0),
            (10, 30),
            "workshop",
            Some(&juarez),
            "es",
            false,
            "Protecting personal data in the hubs",
            "Protección de datos personales en los centros",
            [person(3)]
                .into_iter()
                .flatten()
                .chain([guest("Oficial de protección de datos", "OIM", "speaker")])
                .collect(),
        ),
        (
            1,
            (9, 0),
            (10, 30),
            "workshop",
            Some(&hidalgo),
            "es",
            true,
            "Information for children and adolescents on the move",
            "Información para niñas, niños y adolescentes en movimiento",
            [person(6), person(9)].into_iter().flatten().collect(),
        ),
        (
            1,
            (10, 30),
            (11, 0),
            "break",
            None,
            "both",
            false,
            "Coffee",
            "Café",
            vec![],
        ),
        (
            1,
            (11, 0),
            (12, 30),
            "panel",
            Some(&hall),
            "es",
            true,
            "Civil society and donors: sustaining the network",
            "Sociedad civil y donantes: sostener la red",
            [person(16), person(17)]
                .into_iter()
                .flatten()
                .chain([guest(
                    "Moderador",
                    "Red Regional de Casas del Migrante",
                    "moderator",
                )])
                .collect(),
        ),
        (
            1,
            (12, 30),
            (14, 0),
            "break",
            None,
            "both",
            false,
            "Lunch",
            "Almuerzo",
            vec![],
        ),
        (
            1,
            (14, 0),
            (16, 30),
            "plenary",
            Some(&hall),
            "es",
            true,
            "A regional action plan",
            "Un plan de acción regional",
            vec![guest("Relatoría", "OIM", "rapporteur")],
        ),
        (
            1,
            (16, 30),
            (18, 0),
            "plenary",
            Some(&hall),
            "es",
            true,
            "Closing and next steps",
            "Clausura y próximos pasos",
            vec![guest("Jefa de Misión", "OIM México", "speaker")],
        ),
    ];
    for (
        day,
        (start_h, start_m),
        (end_h, end_m),
        kind,
        room,
        language,
        interpretation,
        title_en,
        title_es,
        speakers,
    ) in sessions
    {
        let form: SessionForm = serde_json::from_value(serde_json::json!({
            "title": title_en,
            "kind": kind,
            "starts_at": local_day(now, 45 + day, start_h, start_m),
            "ends_at": local_day(now, 45 + day, end_h, end_m),
            "room_id": room,
            "language": language,
            "interpretation": interpretation,
            "translations": {"es": {"title": title_es}},
            "speakers": speakers,
        }))
        .map_err(anyhow::Error::from)?;
        let draft = SessionDraft::parse(&form, meeting)?;
        agenda::store::create_session(conn, meeting, &draft, account_id, now)?;
    }
    Ok(())
}
