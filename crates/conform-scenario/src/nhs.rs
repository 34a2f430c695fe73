//! Test NHS numbers: the 999 range, which is never issued to a real
//! patient, with a valid Modulus 11 check digit (checked by the
//! validator's own algorithm, so the two can never disagree).

use conform_validate::national::Algorithm;

/// A fresh, valid test NHS number (`999` + six random digits + check digit).
pub fn test_nhs_number() -> String {
    loop {
        let r = uuid::Uuid::new_v4().as_u128();
        let body = format!("999{:06}", (r % 1_000_000) as u32);
        if let Some(n) = complete(&body) {
            return n;
        }
    }
}

/// The ten-digit number for nine digits, or `None` when no check digit
/// is valid for them.
pub fn complete(nine: &str) -> Option<String> {
    (0..=9)
        .map(|d| format!("{nine}{d}"))
        .find(|n| Algorithm::NhsNumberMod11.check(n).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn generated_numbers_are_valid_test_numbers() {
        for _ in 0..200 {
            let n = test_nhs_number();
            assert!(n.starts_with("999") && n.len() == 10, "{n}");
            assert!(Algorithm::NhsNumberMod11.check(&n).is_ok(), "{n}");
        }
        assert_eq!(complete("943476591").as_deref(), Some("9434765919"));
    }
}
