//! Keeps secrets out of output: every token, client secret and key that the
//! client reads or receives is registered here, and every message, header
//! dump and report is passed through [`Redactor::redact`] before it is shown.

use std::sync::{Arc, Mutex};

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";
/// Shorter strings are not registered (they would mask ordinary words).
const MIN_LEN: usize = 6;

/// A shared set of secret strings. Clones share the set.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Arc<Mutex<Vec<String>>>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a secret (and, for a PEM file, each line of its body, so a
    /// partial quote is masked too).
    pub fn add(&self, secret: &str) {
        let mut set = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
        let mut push = |s: &str| {
            let s = s.trim();
            if s.len() >= MIN_LEN && !s.starts_with("-----") && !set.iter().any(|x| x == s) {
                set.push(s.to_string());
            }
        };
        push(secret);
        if secret.contains("-----BEGIN") {
            secret.lines().for_each(&mut push);
        }
        // Longest first, so a secret containing another is masked whole.
        set.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Registers every secret `other` holds, so one redactor masks what
    /// several endpoints read or received (a report over many regions).
    pub fn absorb(&self, other: &Redactor) {
        if Arc::ptr_eq(&self.secrets, &other.secrets) {
            return;
        }
        let theirs = other
            .secrets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for s in &theirs {
            self.add(s);
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let set = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_string();
        for s in set.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn masks_registered_secrets_and_pem_lines() {
        let r = Redactor::new();
        r.add("s3cr3t-token-value");
        r.add("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nabcdefgh\n-----END PRIVATE KEY-----\n");
        r.add("abc");
        let t = r.redact("Bearer s3cr3t-token-value and MIIEvQIBADANBgkqhkiG9w0BAQEFAASC abc");
        assert_eq!(t, "Bearer [REDACTED] and [REDACTED] abc");
    }

    #[test]
    fn absorbing_another_redactor_masks_its_secrets_too() {
        let (a, b) = (Redactor::new(), Redactor::new());
        a.add("token-of-region-a");
        b.add("token-of-region-b");
        a.absorb(&b);
        a.absorb(&a.clone());
        assert_eq!(
            a.redact("token-of-region-a, token-of-region-b"),
            "[REDACTED], [REDACTED]"
        );
        // b is left as it was.
        assert_eq!(b.redact("token-of-region-a"), "token-of-region-a");
    }
}
