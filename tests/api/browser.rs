//! Click-throughs in a real headless Chromium, driven over WebDriver (chromedriver). Screenshots
//! of the main pages go to `test-artifacts/` (not committed) for a person to look at.

use crate::on_both_backends;
use crate::support::{spawn_app, Backend};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn browser_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var("CONVENE_TEST_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

/// Chromium under chromedriver, closed when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    shots: std::path::PathBuf,
}

impl Browser {
    /// A headless phone-sized Chromium; `None` (with a loud notice) when none is installed,
    /// a failure under `CI=true`.
    pub async fn start(name: &str) -> Option<Self> {
        let driver_path = match crate::support::tools::chromedriver() {
            Ok(path) => path,
            Err(why) => {
                assert!(
                    !browser_required(),
                    "chromium-driver is required (CI=true) but cannot be had: {why}"
                );
                let _ = writeln!(std::io::stderr(), "\n!!! chromedriver cannot be had ({why}): browser test {name} SKIPPED (apt-get install chromium chromium-driver)\n");
                return None;
            }
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--disable-quic", "--window-size=390,900", "--lang=es"],
            "prefs": {"intl.accept_languages": "es"}
        }));
        let url = format!("http://127.0.0.1:{port}");
        let mut client = None;
        for _ in 0..50 {
            match ClientBuilder::native()
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(connected) => {
                    client = Some(connected);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("test-artifacts")
            .join(name);
        std::fs::create_dir_all(&shots).unwrap();
        Some(Self {
            client: client.expect("chromedriver answers"),
            driver,
            shots,
        })
    }

    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    pub async fn text(&self) -> String {
        match self.client.find(Locator::Css("main")).await {
            Ok(main) => main.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits for the page (after a click, the next one) to show `needle`.
    pub async fn wait_for(&self, needle: &str) {
        for _ in 0..100 {
            if self.text().await.contains(needle) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed {needle:?}: {}", self.text().await);
    }

    pub async fn fill(&self, id: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|_| panic!("a field #{id}"));
        field.clear().await.ok();
        field.send_keys(value).await.unwrap();
    }

    /// Sets a date/time field as the browser's picker would (typing into one depends on locale).
    pub async fn set_value(&self, id: &str, value: &str) {
        self.client
            .execute(
                "document.getElementById(arguments[0]).value = arguments[1];",
                vec![json!(id), json!(value)],
            )
            .await
            .expect("the value is set");
    }

    pub async fn choose(&self, id: &str, value: &str) {
        let select = self.client.find(Locator::Id(id)).await.unwrap();
        select
            .select_by_value(value)
            .await
            .unwrap_or_else(|_| panic!("option {value} of #{id}"));
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("{css}"))
            .click()
            .await
            .unwrap();
    }

    /// Makes the window `width` pixels wide, as a phone (360) or a desktop (1280).
    pub async fn resize(&self, width: u32) {
        self.client
            .set_window_size(width, 900)
            .await
            .expect("the window is resized");
    }

    /// Runs `script` (a function body that returns a value) in the page and answers its value.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("{e}: {script}"))
    }

    /// Whether the page is wider than the window, so that a reader must scroll sideways.
    pub async fn scrolls_sideways(&self) -> bool {
        self.eval("return document.documentElement.scrollWidth > window.innerWidth;")
            .await
            .as_bool()
            .unwrap_or(true)
    }

    /// Cuts the browser off the network, or gives it back (Chromium's offline mode, through
    /// chromedriver's network conditions): the page sees `navigator.onLine` change and every
    /// request fail, as at a hotel when the network drops.
    pub async fn offline(&self, offline: bool) {
        self.client
            .issue_cmd(NetworkConditions { offline })
            .await
            .expect("chromedriver sets the network conditions");
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

async fn participant_flow(backend: Backend) {
    let Some(browser) = Browser::start(&format!("participant-{backend:?}").to_lowercase()).await
    else {
        return;
    };
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({"capacity": 30})).await;
    app.post(&format!("/api/v1/meetings/{slug}/sessions"), Some(&organizer), json!({
        "title": "Opening", "kind": "plenary", "starts_at": "2030-05-29T09:00:00-06:00", "ends_at": "2030-05-29T10:00:00-06:00",
        "interpretation": true, "translations": {"es": {"title": "Apertura"}}, "speakers": [{"name": "Ana Pérez", "organization": "OIM"}]
    })).await;
    let b = &browser;

    b.client
        .goto(&format!("{}/?lang=es", app.address))
        .await
        .unwrap();
    b.wait_for("Reuniones").await;
    b.screenshot("01-home").await;
    b.click(&format!("a[href='/m/{slug}']")).await;
    b.wait_for("Apertura").await;
    b.screenshot("02-meeting").await;
    b.click(&format!("a[href='/m/{slug}/register']")).await;
    b.wait_for("Nombre completo").await;
    b.screenshot("03-form").await;
    b.fill("full_name", "María José Zúñiga").await;
    b.fill("email", "maria@example.org").await;
    b.fill("job_title", "Coordinadora").await;
    b.choose("country", "GT").await;
    b.fill("organization_name", "Centro de Información Tecún Umán")
        .await;
    b.choose("organization_kind", "information_hub").await;
    b.choose("organization_country", "GT").await;
    b.click("#consent_data_processing").await;
    b.click("button[type=submit]").await;
    b.wait_for("Revise su correo").await;
    b.screenshot("04-check-inbox").await;

    let mail = app.smtp.wait_for("maria@example.org", 1).await.remove(0);
    assert!(
        mail.subject.starts_with("Confirme su inscripción"),
        "the email speaks Spanish too"
    );
    let link = mail
        .text
        .lines()
        .find(|l| l.contains("/confirm/"))
        .unwrap()
        .trim()
        .to_owned();
    b.client.goto(&link).await.unwrap();
    b.wait_for("Un último paso").await;
    b.screenshot("05-confirm-question").await;
    b.click("button[type=submit]").await;
    b.wait_for("Su lugar está confirmado").await;
    b.screenshot("05-confirmed").await;
    // The manage link comes by email, with the confirmation.
    let manage = app.smtp.wait_for("maria@example.org", 2).await[1].manage_token();
    b.client
        .goto(&format!("{}/manage/{manage}", app.address))
        .await
        .unwrap();
    b.wait_for("Confirmada").await;
    b.screenshot("06-manage").await;
    b.click("a[href$='/cancel']").await;
    b.wait_for("¿Seguro que quiere cancelar?").await;
    b.screenshot("07-cancel-question").await;
    b.click("button.danger").await;
    b.wait_for("Su inscripción ha sido cancelada.").await;
    b.screenshot("08-cancelled").await;
    assert_eq!(
        app.registrations(&organizer, &slug, "status=cancelled")
            .await
            .len(),
        1
    );

    // The press page offers the CSV, and it downloads.
    let press = app
        .post(
            &format!("/api/v1/meetings/{slug}/press-tokens"),
            Some(&organizer),
            json!({"label": "EFE"}),
        )
        .await;
    b.client
        .goto(press.body["link"].as_str().unwrap())
        .await
        .unwrap();
    b.wait_for("Lista de participantes para la prensa").await;
    b.screenshot("09-press").await;
    let href = b
        .client
        .find(Locator::Css("a[href*='attendees.csv']"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let csv = app
        .client
        .get(format!("{}{href}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.text()
            .await
            .unwrap()
            .starts_with("\u{feff}Nombre completo,Organización"),
        "in the page's language"
    );
    browser.close().await;
}

async fn organizer_flow(backend: Backend) {
    let Some(browser) = Browser::start(&format!("organizer-{backend:?}").to_lowercase()).await
    else {
        return;
    };
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app
        .meeting(&organizer, json!({"requires_approval": true}))
        .await;
    let token = app
        .register_and_read_token(
            &slug,
            crate::support::TestApp::registration_body("ana@example.org"),
        )
        .await;
    app.confirm(&token).await;
    let email = crate::support::html::organizer_email(&app);
    let b = &browser;
    b.client
        .goto(&format!("{}/?lang=en", app.address))
        .await
        .unwrap();
    b.client
        .goto(&format!("{}/organizer", app.address))
        .await
        .unwrap();
    b.wait_for("Organizer login").await;
    b.screenshot("01-login").await;
    b.fill("email", &email).await;
    b.fill("password", "a long organizer password").await;
    b.click("button[type=submit]").await;
    b.wait_for("Your meetings").await;
    b.click(&format!("a[href='/organizer/m/{slug}']")).await;
    b.wait_for("By status").await;
    b.screenshot("02-summary").await;

    b.click(&format!("a[href='/organizer/m/{slug}/registrations']"))
        .await;
    b.wait_for("Awaiting approval").await;
    b.screenshot("03-registrations").await;
    b.click("button[aria-label^='Approve']").await;
    b.wait_for("Check in").await;
    assert_eq!(
        app.registrations(&organizer, &slug, "").await[0]["status"],
        "confirmed"
    );

    b.click(&format!("a[href='/organizer/m/{slug}/agenda']"))
        .await;
    b.wait_for("Add room").await;
    b.fill("room_name", "Sala Juárez").await;
    b.click("form[action$='/rooms'] button").await;
    b.wait_for("Sala Juárez").await;
    for title in ["Apertura", "Taller paralelo"] {
        b.fill("title", title).await;
        b.set_value("starts_at", "2030-05-29T09:00").await;
        b.set_value("ends_at", "2030-05-29T10:00").await;
        let room = b
            .client
            .find(Locator::Css("#room_id option:nth-child(2)"))
            .await
            .unwrap()
            .attr("value")
            .await
            .unwrap()
            .unwrap();
        b.choose("room_id", &room).await;
        b.click("form[action$='/sessions'] button[type=submit]")
            .await;
        if title == "Apertura" {
            b.wait_for("09:00–10:00").await;
        }
    }
    // The second one clashes: the form comes back saying with what.
    b.wait_for("Sala Juárez is taken at that time by \"Apertura\"")
        .await;
    let room_field = b.client.find(Locator::Id("room_id")).await.unwrap();
    assert_eq!(
        room_field.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    b.screenshot("04-agenda-conflict").await;

    // A typo is fixed in place: the edit page comes filled in, and saving goes back to the agenda.
    b.click("a[aria-label='Edit: Apertura']").await;
    b.wait_for("Edit session: Apertura").await;
    b.fill("title", "Apertura oficial").await;
    b.click("form[action*='/agenda/sessions/'] button[type=submit]")
        .await;
    b.wait_for("Apertura oficial").await;
    b.wait_for("Add room").await;
    let agenda = app
        .get(&format!("/api/v1/meetings/{slug}/agenda"), None)
        .await
        .body;
    assert_eq!(agenda["items"][0]["title"], "Apertura oficial");
    assert_eq!(
        agenda["items"].as_array().unwrap().len(),
        1,
        "edited, not added"
    );

    b.click(&format!("a[href='/organizer/m/{slug}/press']"))
        .await;
    b.wait_for("Create press link").await;
    b.fill("label", "Agencia EFE").await;
    b.click("form[action$='/press'] button[type=submit]").await;
    b.wait_for("it is shown only once").await;
    let link = b
        .client
        .find(Locator::Css(".once"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(link.contains("/press/"));
    b.screenshot("05-press-link").await;
    let press = reqwest::get(&link).await.unwrap();
    assert_eq!(press.status(), 200, "the link works");
    browser.close().await;
}

/// Parallel sessions: rooms side by side on a desktop, stacked on a phone, and the page never
/// wider than the window.
async fn timetable_layout(backend: Backend) {
    let Some(browser) = Browser::start(&format!("timetable-{backend:?}").to_lowercase()).await
    else {
        return;
    };
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let slug = app.meeting(&organizer, json!({})).await;
    for (title, starts, ends, room) in [
        ("Apertura", "09:00", "10:00", "Sala plenaria"),
        (
            "Taller sobre protección de datos de personas migrantes",
            "11:30",
            "13:00",
            "Sala A",
        ),
        ("Taller sobre rutas de atención", "11:30", "13:00", "Sala B"),
    ] {
        let room = app
            .post(
                &format!("/api/v1/meetings/{slug}/rooms"),
                Some(&organizer),
                json!({ "name": room }),
            )
            .await;
        let answer = app
            .post(
                &format!("/api/v1/meetings/{slug}/sessions"),
                Some(&organizer),
                json!({
                    "title": title, "kind": "workshop", "room_id": room.body["id"], "speakers": [],
                    "starts_at": format!("2030-05-29T{starts}:00-06:00"),
                    "ends_at": format!("2030-05-29T{ends}:00-06:00"),
                }),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
    }
    let b = &browser;
    // The tops of the two workshops' rooms, and whether their columns differ.
    let tops = "const tracks = document.querySelectorAll('.band')[1].querySelectorAll('.track');
                return [tracks[0].getBoundingClientRect().top, tracks[1].getBoundingClientRect().top,
                        tracks[0].getBoundingClientRect().left !== tracks[1].getBoundingClientRect().left];";
    for (width, side_by_side) in [(1280, true), (360, false)] {
        b.resize(width).await;
        b.client
            .goto(&format!("{}/m/{slug}?lang=es", app.address))
            .await
            .unwrap();
        b.wait_for("Apertura").await;
        b.screenshot(&format!("timetable-{width}")).await;
        let placed = b.eval(tops).await;
        let same_row = placed[0] == placed[1];
        assert_eq!(same_row, side_by_side, "at {width} px: {placed}");
        assert_eq!(
            placed[2].as_bool(),
            Some(side_by_side),
            "at {width} px: {placed}"
        );
        assert!(!b.scrolls_sideways().await, "the programme fits {width} px");
    }
    browser.close().await;
}

/// Every page a person reads, at a phone's width and a desktop's, in both languages: nothing
/// scrolls sideways and every form field has a label. Screenshots of each go to
/// `test-artifacts/pages-*`.
async fn page_walk(backend: Backend) {
    let Some(browser) = Browser::start(&format!("pages-{backend:?}").to_lowercase()).await else {
        return;
    };
    let app = spawn_app(backend).await;
    let organizer = app.organizer().await;
    let travel = json!({"travel_support": true, "visa_letters": true});
    let slug = app
        .meeting(
            &organizer,
            json!({"capacity": 1, "travel_support": true, "visa_letters": true}),
        )
        .await;
    let room = app
        .post(
            &format!("/api/v1/meetings/{slug}/rooms"),
            Some(&organizer),
            json!({"name": "Sala de conferencias principal del Centro de Convenciones"}),
        )
        .await;
    let session = app.post(&format!("/api/v1/meetings/{slug}/sessions"), Some(&organizer), json!({
        "title": "Apertura y presentación de los centros de información para personas migrantes",
        "kind": "plenary", "room_id": room.body["id"], "starts_at": "2030-05-29T09:00:00-06:00",
        "ends_at": "2030-05-29T10:00:00-06:00", "speakers": [{"name": "Ana Pérez", "organization": "OIM"}]
    })).await;
    let session_id = session.body["id"].as_str().unwrap().to_owned();
    // A long address with no place to break: the kind that ran off a phone's screen.
    let long = "maria.jose.zuniga.hernandez.coordinacion@centrodeinformacion-tapachula.org.mx";
    let mut body = crate::support::TestApp::registration_body(long);
    body["full_name"] = json!("María José Zúñiga Hernández de la Cruz");
    body["travel"] = json!({"funding_requested": true, "departure_city": "San Pedro Sula",
        "arrival_date": "2030-05-28", "departure_date": "2030-05-31", "hotel_needed": true,
        "visa_letter_requested": true, "nationality": "HN", "passport_number": "G7731905",
        "passport_expiry": "2031-01-31", "date_of_birth": "1987-11-23"});
    let with_letter = body.clone();
    let confirm = app.register_and_read_token(&slug, body).await;
    app.confirm(&confirm).await;
    let manage = app.smtp.wait_for(long, 2).await[1].manage_token();
    // The meeting is full: the next one waits, and her confirmation link stays unused.
    let waiting = app
        .register_and_read_token(
            &slug,
            crate::support::TestApp::registration_body("luis@example.org"),
        )
        .await;
    let press = app
        .post(
            &format!("/api/v1/meetings/{slug}/press-tokens"),
            Some(&organizer),
            json!({"label": "Agencia EFE", "expires_at": null}),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // A question on the form, an invitation, and (in a meeting with seats to spare) a
    // delegation: their pages are walked too.
    let question = app.post(&format!("/api/v1/meetings/{slug}/questions"), Some(&organizer), json!({
        "code": "sessions", "label": "Sessions of interest", "kind": "multi_choice",
        "translations": {"es": {"label": "Sesiones de interés"}},
        "options": [{"code": "referral", "label": "Referral pathways de la red regional de protección"},
                    {"code": "data", "label": "Shared data"}]})).await;
    assert_eq!(question.status, 201, "{}", question.text);
    app.post(&format!("/api/v1/meetings/{slug}/invitations"), Some(&organizer),
        json!({"email": "invitada.con.un.nombre.largo@centrodeinformacion-tapachula.org.mx", "full_name": "Invitada"})).await;
    let invitation = app
        .smtp
        .wait_for(
            "invitada.con.un.nombre.largo@centrodeinformacion-tapachula.org.mx",
            1,
        )
        .await[0]
        .invitation_token();
    let other = app.meeting(&organizer, travel).await;
    // In that meeting, a letter issued: its verify page is walked too.
    let mut body = with_letter;
    body["email"] = json!("carta@example.org");
    let confirm = app.register_and_read_token(&other, body).await;
    let letter_holder = app.confirm_and_id(&confirm, "carta@example.org").await;
    let issued = app
        .post(
            &format!("/api/v1/meetings/{other}/registrations/{letter_holder}/visa-letter"),
            Some(&organizer),
            json!({}),
        )
        .await;
    assert_eq!(issued.status, 201, "{}", issued.text);
    let reference = issued.body["reference"].as_str().unwrap().to_owned();
    let delegation = app.post(&format!("/api/v1/meetings/{other}/delegations"), Some(&organizer), json!({
        "organization": {"name": "Centro de Información para Migrantes Ciudad Juárez", "kind": "information_hub", "country": "MX"},
        "seats": 3, "focal_point": {"email": "focal@example.org", "full_name": "Marta", "language": "es"}})).await;
    assert_eq!(delegation.status, 201, "{}", delegation.text);
    let focal_mail = &app.smtp.wait_for("focal@example.org", 1).await[0];
    let at = focal_mail.text.find("/d/").unwrap() + 3;
    let focal = focal_mail.text[at..at + 64].to_owned();
    app.post(
        "/api/v1/delegation/nominations",
        Some(&focal),
        json!({"full_name": "María José Zúñiga Hernández de la Cruz", "email": long}),
    )
    .await;
    let desk = app
        .post(
            &format!("/api/v1/meetings/{slug}/desk-tokens"),
            Some(&organizer),
            json!({"label": "Mostrador de la entrada principal del centro"}),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let email = crate::support::html::organizer_email(&app);
    let b = &browser;
    b.client
        .goto(&format!("{}/organizer/login", app.address))
        .await
        .unwrap();
    b.fill("email", &email).await;
    b.fill("password", "a long organizer password").await;
    b.click("button[type=submit]").await;
    b.wait_for("reuniones").await;
    let m = format!("/organizer/m/{slug}");
    let someone = app
        .registrations(&organizer, &slug, "status=confirmed")
        .await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pages = [
        "/".to_owned(),
        format!("/m/{slug}"),
        format!("/m/{slug}/register"),
        format!("/m/{slug}/resend"),
        format!("/confirm/{waiting}"),
        format!("/manage/{manage}"),
        format!("/manage/{manage}/cancel"),
        format!("/manage/{manage}/delete"),
        format!("/press/{press}"),
        "/organizer".to_owned(),
        "/organizer/meetings/new".to_owned(),
        m.clone(),
        format!("{m}/edit"),
        format!("{m}/registrations"),
        format!("{m}/registrations/{someone}"),
        format!("{m}/registrations/print"),
        format!("{m}/waitlist"),
        format!("{m}/agenda"),
        format!("{m}/agenda/sessions/{session_id}"),
        format!("{m}/press"),
        format!("{m}/categories"),
        format!("{m}/categories/participant"),
        format!("{m}/questions"),
        format!("{m}/invitations"),
        format!("/organizer/m/{other}/delegations"),
        format!("/i/{invitation}"),
        format!("/d/{focal}"),
        format!("{m}/check-in"),
        format!("/desk/{desk}?q=Zúñiga"),
        format!("{m}/travel"),
        format!("{m}/travel/{someone}"),
        format!("/organizer/m/{other}/travel/{letter_holder}"),
        format!("/verify/{reference}"),
        format!("{m}/webhooks"),
    ];
    let unlabelled = "return [...document.querySelectorAll('input, select, textarea')]
        .filter(e => !['hidden', 'submit', 'button'].includes(e.type))
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
        .map(e => e.name || e.id || e.outerHTML);";
    // Buttons and links beyond the window's right edge (as in a table that scrolls inside
    // its box): on a phone a person would not find them.
    let out_of_reach = "return [...document.querySelectorAll('main a, main button')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.textContent.trim());";
    let mut faults = Vec::new();
    for lang in ["es", "en"] {
        for width in [360, 1280] {
            b.resize(width).await;
            for (n, path) in pages.iter().enumerate() {
                let joiner = if path.contains('?') { '&' } else { '?' };
                b.client
                    .goto(&format!("{}{path}{joiner}lang={lang}", app.address))
                    .await
                    .unwrap();
                b.screenshot(&format!("{lang}-{width}-{n:02}")).await;
                if b.scrolls_sideways().await {
                    let wide = b.eval("return document.documentElement.scrollWidth;").await;
                    faults.push(format!("{path} ({lang}, {width} px) is {wide} px wide"));
                }
                let beyond = b.eval(out_of_reach).await;
                if beyond.as_array().is_some_and(|f| !f.is_empty()) {
                    faults.push(format!("{path} ({lang}, {width} px): off-screen: {beyond}"));
                }
                let fields = b.eval(unlabelled).await;
                if fields.as_array().is_some_and(|f| !f.is_empty()) {
                    faults.push(format!("{path} ({lang}): fields without a label: {fields}"));
                }
            }
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));

    // A field sent back with an error shows it in red, as its message does.
    b.client
        .goto(&format!("{}/m/{slug}/register?lang=en", app.address))
        .await
        .unwrap();
    b.click("form[action$='/register'] button[type=submit]")
        .await;
    b.wait_for("Please correct").await;
    b.screenshot("form-errors").await;
    let styles = b
        .eval(
            "const field = getComputedStyle(document.getElementById('full_name'));
             const message = getComputedStyle(document.querySelector('.field .error'));
             return [field.borderTopColor, field.borderTopWidth, message.color];",
        )
        .await;
    assert_eq!(
        styles[0], styles[2],
        "the border is the error's colour: {styles}"
    );
    assert_eq!(styles[1], "2px", "{styles}");
    browser.close().await;
}

on_both_backends!(every_page_fits_a_phone_and_a_desktop_and_labels_its_fields);
async fn every_page_fits_a_phone_and_a_desktop_and_labels_its_fields(backend: Backend) {
    page_walk(backend).await;
}

on_both_backends!(a_timetable_sets_parallel_rooms_side_by_side_on_a_desktop_only);
async fn a_timetable_sets_parallel_rooms_side_by_side_on_a_desktop_only(backend: Backend) {
    timetable_layout(backend).await;
}

on_both_backends!(an_organizer_approves_plans_and_shares_in_a_browser);
async fn an_organizer_approves_plans_and_shares_in_a_browser(backend: Backend) {
    organizer_flow(backend).await;
}

on_both_backends!(a_participant_registers_confirms_and_cancels_in_a_browser);
async fn a_participant_registers_confirms_and_cancels_in_a_browser(backend: Backend) {
    participant_flow(backend).await;
}

/// chromedriver's `POST /session/{id}/chromium/network_conditions`.
#[derive(Debug)]
struct NetworkConditions {
    offline: bool,
}

impl fantoccini::wd::WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/chromium/network_conditions"))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let conditions = json!({"network_conditions": {"offline": self.offline, "latency": 0,
            "download_throughput": -1, "upload_throughput": -1}});
        (http::Method::POST, Some(conditions.to_string()))
    }
}
