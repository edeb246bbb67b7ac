//! The webhooks tab's texts.

/// Texts of the webhooks tab, in one language.
#[derive(Debug, serde::Serialize)]
pub struct Webhooks {
    pub tab: &'static str,
    pub intro: &'static str,
    pub none: &'static str,
    pub url: &'static str,
    pub url_hint: &'static str,
    pub events: &'static str,
    pub add: &'static str,
    pub remove: &'static str,
    pub secret_once: &'static str,
    pub disabled: &'static str,
    pub no_deliveries: &'static str,
    pub event: &'static str,
    pub status: &'static str,
    pub attempts: &'static str,
    pub answer: &'static str,
    pub at: &'static str,
}

pub static EN: Webhooks = Webhooks {
    tab: "Webhooks",
    intro: "Another system (a CRM, a spreadsheet robot) is told of each change as it happens: Convene posts a signed JSON message to its address. The API documentation shows how to check the signature.",
    none: "No webhook yet.",
    url: "Receiver's address",
    url_hint: "https://… on the public internet",
    events: "Events to send",
    add: "Add the webhook",
    remove: "Remove",
    secret_once: "The webhook is added. Its signing secret, shown only this once: copy it into the receiving system now.",
    disabled: "Turned off: the receiver answered 410 Gone.",
    no_deliveries: "Nothing sent yet.",
    event: "Event",
    status: "Status",
    attempts: "Attempts",
    answer: "Last answer",
    at: "Queued",
};

pub static ES: Webhooks = Webhooks {
    tab: "Avisos a otros sistemas",
    intro: "Otro sistema (un CRM, un robot de hojas de cálculo) recibe cada cambio al momento: Convene envía un mensaje JSON firmado a su dirección. La documentación de la API explica cómo verificar la firma.",
    none: "Todavía no hay avisos configurados.",
    url: "Dirección del receptor",
    url_hint: "https://… en internet público",
    events: "Eventos que se envían",
    add: "Añadir el aviso",
    remove: "Quitar",
    secret_once: "El aviso está añadido. Su secreto de firma, que solo se muestra esta vez: cópielo ahora en el sistema receptor.",
    disabled: "Desactivado: el receptor respondió 410 Gone.",
    no_deliveries: "Todavía no se envió nada.",
    event: "Evento",
    status: "Estado",
    attempts: "Intentos",
    answer: "Última respuesta",
    at: "En cola desde",
};
