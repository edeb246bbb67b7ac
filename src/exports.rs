//! File exports. Every cell a person typed is written so that a spreadsheet shows it as text
//! and never runs it as a formula.

use crate::error::AppResult;
use crate::registrations::model::RegistrationView;

/// A cell safe to open in a spreadsheet: text that would start a formula gets a leading `'`.
pub fn safe_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

/// All fields of the registrations, as UTF-8 CSV with a byte-order mark (so spreadsheet
/// programs read accents right) and RFC 4180 quoting.
pub fn registrations_csv(rows: &[RegistrationView]) -> AppResult<Vec<u8>> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer
            .write_record([
                "id",
                "status",
                "waitlist_position",
                "created_at",
                "confirmed_at",
                "checked_in_at",
                "full_name",
                "email",
                "organization",
                "organization_kind",
                "organization_country",
                "job_title",
                "country",
                "language",
                "consent_data_processing",
                "consent_press_listing",
                "dietary",
                "accessibility",
                "interpretation",
            ])
            .map_err(anyhow::Error::from)?;
        for r in rows {
            let optional = |value: &Option<String>| safe_cell(value.as_deref().unwrap_or(""));
            writer
                .write_record([
                    r.id.clone(),
                    r.status.clone(),
                    r.waitlist_position
                        .map(|p| p.to_string())
                        .unwrap_or_default(),
                    r.created_at.clone(),
                    r.confirmed_at.clone().unwrap_or_default(),
                    r.checked_in_at.clone().unwrap_or_default(),
                    safe_cell(&r.full_name),
                    safe_cell(&r.email),
                    safe_cell(&r.organization.name),
                    r.organization.kind.clone(),
                    r.organization.country.clone(),
                    optional(&r.job_title),
                    r.country.clone(),
                    r.language.clone(),
                    r.consent_data_processing.to_string(),
                    r.consent_press_listing.to_string(),
                    optional(&r.dietary),
                    optional(&r.accessibility),
                    optional(&r.interpretation),
                ])
                .map_err(anyhow::Error::from)?;
        }
        writer.flush().map_err(anyhow::Error::from)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text() {
        assert_eq!(
            safe_cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(safe_cell("+1-555"), "'+1-555");
        assert_eq!(safe_cell("-1"), "'-1");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("\tx"), "'\tx");
        assert_eq!(safe_cell("Peña"), "Peña");
        assert_eq!(safe_cell(""), "");
    }
}
