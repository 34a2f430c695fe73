//! Check-digit algorithms a `check-digit` rule can name. A wrong check
//! digit means the number was mistyped or made up, which no FHIR
//! definition can see (UK Core has no invariant for it).

use serde::{Deserialize, Serialize};

/// A check-digit algorithm, by the name a pack uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// NHS number: ten digits, the tenth the Modulus 11 check digit of the
    /// first nine.
    NhsNumberMod11,
}

impl Algorithm {
    /// A human name for messages.
    pub fn label(self) -> &'static str {
        match self {
            Algorithm::NhsNumberMod11 => "NHS number Modulus 11",
        }
    }

    /// `Err` says what is wrong with the value.
    pub fn check(self, value: &str) -> Result<(), String> {
        match self {
            Algorithm::NhsNumberMod11 => nhs_number_mod11(value),
        }
    }
}

/// NHS number Modulus 11: multiply the first nine digits by 10, 9, ... 2,
/// sum, take the remainder r of dividing by 11; the check digit is 11 - r,
/// where 11 means 0 and 10 means no valid number has these nine digits.
fn nhs_number_mod11(value: &str) -> Result<(), String> {
    let digits: Vec<u32> = value.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 10 || value.len() != 10 {
        return Err("an NHS number is exactly 10 digits, with no spaces".into());
    }
    let sum: u32 = digits[..9]
        .iter()
        .zip((2..=10).rev())
        .map(|(d, w)| d * w)
        .sum();
    let expected =
        match 11 - sum % 11 {
            11 => 0,
            10 => return Err(
                "no NHS number can start with these nine digits (their check digit would be 10)"
                    .into(),
            ),
            c => c,
        };
    if digits[9] != expected {
        return Err(format!(
            "its check digit is {} but its first nine digits give {expected}",
            digits[9]
        ));
    }
    Ok(())
}
