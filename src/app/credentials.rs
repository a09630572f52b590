//! Passwords, user names and secrets: how they are checked, hashed and compared. The web's login and
//! sessions, the admin pages and `presswatch user` all use these.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::LazyLock;

pub fn hash_password(password: &str) -> Result<String, String> {
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&raw).map_err(|e| e.to_string())?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(h) => Argon2::default().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of one verification, so an unknown user name answers as slowly as a wrong password.
pub fn verify_dummy(password: &str) {
    static DUMMY: LazyLock<String> = LazyLock::new(|| hash_password("presswatch-dummy").unwrap_or_default());
    let _ = verify_password(password, &DUMMY);
}

/// Passwords shorter than this are refused when set.
pub const MIN_PASSWORD: usize = 10;

pub fn check_new_password(p: &str) -> Result<(), String> {
    if p.chars().count() < MIN_PASSWORD {
        return Err(format!("a password needs at least {MIN_PASSWORD} characters"));
    }
    Ok(())
}

/// The rule for user names, shared by the admin pages, the API and `presswatch user add`.
pub fn check_user_name(name: &str) -> Result<(), String> {
    let ok = (2..=40).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!("user name `{name}`: 2–40 characters from A–Z, a–z, 0–9, `.`, `_`, `-`"))
    }
}

/// A new API token as handed to its user; `pw_` makes it recognisable in a leaked file.
pub fn new_token() -> String {
    format!("pw_{}", new_secret())
}

/// 32 random bytes as hex: session ids, CSRF tokens, API tokens.
pub fn new_secret() -> String {
    let mut b = [0u8; 32];
    // the OS generator failing is not something to carry on after
    getrandom::fill(&mut b).expect("operating system random generator");
    hex(&b)
}

/// What the database keeps of a secret.
pub fn digest(secret: &str) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(secret.as_bytes()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Compares secrets without an early exit on the first differing byte.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

