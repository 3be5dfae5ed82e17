//! What the idempotency table keeps, so that a replay can answer with the first report's
//! secret while a copy of the database cannot follow or erase that report.
//!
//! The client's `Idempotency-Key` is the only thing that opens a row: the table holds its
//! SHA-256 (to find the row) and the report's secret sealed with ChaCha20-Poly1305 under a
//! key derived from the idempotency key with HKDF-SHA256 (RustCrypto's `hkdf` and
//! `chacha20poly1305`), bound to the report's case id. Whoever holds the table holds neither
//! the idempotency key nor the secret; whoever retries with the key gets the secret back.
//! The keys `/reportar` sends are random UUIDs; a client choosing guessable keys protects
//! its own replays less, and nobody else's.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use rand::RngCore as _;
use sha2::Sha256;

const SALT: &[u8] = b"paradero/idempotency/v1";

/// How the row of an idempotency key is found: its SHA-256, domain-separated.
pub(crate) fn handle(key: &str) -> String {
    crate::sha256_hex(&format!("paradero-idempotency-key:{key}"))
}

fn cipher(key: &str) -> ChaCha20Poly1305 {
    let mut okm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(SALT), key.as_bytes())
        .expand(b"report secret", &mut okm)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    ChaCha20Poly1305::new(Key::from_slice(&okm))
}

/// `secret` sealed for whoever holds `key`, bound to the report `reference`: base64 of a
/// random 96-bit nonce followed by the ciphertext and its tag.
pub(crate) fn seal(key: &str, reference: &str, secret: &str) -> String {
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let sealed = cipher(key)
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: secret.as_bytes(),
                aad: reference.as_bytes(),
            },
        )
        .expect("ChaCha20-Poly1305 encrypts any message this short");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// The secret `seal` sealed, if `key` and `reference` are the ones it was sealed with.
pub(crate) fn open(key: &str, reference: &str, sealed: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .ok()?;
    if raw.len() < 12 {
        return None;
    }
    let (nonce, body) = raw.split_at(12);
    let plain = cipher(key)
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: body,
                aad: reference.as_bytes(),
            },
        )
        .ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_key_and_the_case_open_what_was_sealed() {
        let sealed = seal("4f1c-uuid", "AQP-2026-000123", "R-ABCDEFGHJKLMNPQRSTU");
        assert!(!sealed.contains("R-ABC"));
        assert_eq!(
            open("4f1c-uuid", "AQP-2026-000123", &sealed).as_deref(),
            Some("R-ABCDEFGHJKLMNPQRSTU")
        );
        assert_eq!(open("4f1c-uuie", "AQP-2026-000123", &sealed), None);
        assert_eq!(open("4f1c-uuid", "AQP-2026-000124", &sealed), None);
        assert_eq!(open("4f1c-uuid", "AQP-2026-000123", "not base64!"), None);
        assert_eq!(open("4f1c-uuid", "AQP-2026-000123", "AAAA"), None);
        // A fresh nonce every time: the same secret never seals the same way twice.
        assert_ne!(
            sealed,
            seal("4f1c-uuid", "AQP-2026-000123", "R-ABCDEFGHJKLMNPQRSTU")
        );
        assert_ne!(handle("a"), handle("b"));
        assert!(!handle("4f1c-uuid").contains("4f1c"));
    }
}
