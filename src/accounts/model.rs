//! Organizer accounts: parsing and password hashing.

use crate::error::{AppError, Checks, Problem};
use crate::values::{required_line, Email};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

/// A password as given: 10..=200 characters.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let length = raw.chars().count();
        if length < 10 {
            return Err(Problem::new("too_short", "must be at least 10 characters"));
        }
        if length > 200 {
            return Err(Problem::new("too_long", "must be at most 200 characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn hash(&self) -> anyhow::Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("cannot hash password: {e}"))
    }
}

/// Checks a password against a stored argon2 hash.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a password nobody has, verified when the email is unknown so that a login for an
/// unknown address takes as long as one with a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        Password("decoy password that never matches".into())
            .hash()
            .unwrap_or_default()
    })
}

pub struct NewAccount {
    pub email: Email,
    pub name: String,
    pub password: Password,
}

impl NewAccount {
    pub fn parse(email: &str, name: &str, password: &str) -> Result<Self, AppError> {
        let mut checks = Checks::default();
        let email = checks.field("email", Email::parse(Some(email)));
        let name = checks.field("name", required_line(Some(name), 200));
        let password = checks.field("password", Password::parse(password));
        match (email, name, password) {
            (Some(email), Some(name), Some(password)) => Ok(Self {
                email,
                name,
                password,
            }),
            _ => Err(checks.into_error()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let password = Password::parse("correct horse battery").unwrap();
        let hash = password.hash().unwrap();
        assert!(hash.starts_with("$argon2"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn accounts_report_every_bad_field() {
        let Err(AppError::Invalid(errors)) = NewAccount::parse("nope", "", "short") else {
            panic!("expected invalid");
        };
        let fields: Vec<_> = errors.iter().filter_map(|e| e.field.as_deref()).collect();
        assert_eq!(fields, ["email", "name", "password"]);
    }
}
