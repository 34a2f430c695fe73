//! The form of a SNOMED CT concept identifier, which needs no release of
//! SNOMED CT to judge.
//!
//! SNOMED CT's Technical Implementation Guide (the SCTID data type): an
//! SCTID is 6 to 18 decimal digits with no leading zero. Its last digit is
//! a Verhoeff check digit over the others; the two before it are the
//! partition identifier, whose second digit says what is identified (0 a
//! concept, 1 a description, 2 a relationship) and whose first says whether
//! a 7-digit namespace identifier precedes it (1) or not (0). A Coding's
//! code, or a ValueSet's concept, names a concept: partition `00` or `10`.
//!
//! Only codes made of digits alone are judged: a code with other
//! characters may be a SNOMED CT expression (`73211009 |Diabetes| :
//! 363698007 = 113331007`), which is a terminology server's to judge. A
//! well-formed identifier may still name no concept; that, too, only a
//! server (or a release) can tell.

/// SNOMED CT's code system URI.
pub(crate) const SNOMED_CT: &str = "http://snomed.info/sct";

/// Why `code`, all digits, cannot be a SNOMED CT concept identifier; `None`
/// when it can be, or when it is not all digits.
pub(crate) fn concept_id_problem(code: &str) -> Option<String> {
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = code.len();
    if n < 6 {
        return Some(format!(
            "an identifier has at least 6 digits, and this has {n}"
        ));
    }
    if n > 18 {
        return Some(format!(
            "an identifier has at most 18 digits, and this has {n}"
        ));
    }
    if code.starts_with('0') {
        return Some("an identifier does not begin with 0".into());
    }
    if !verhoeff_valid(code) {
        return Some("its last digit is not the Verhoeff check digit of the others".into());
    }
    let partition = &code[n - 3..n - 1];
    let (namespaced, kind) = (&partition[..1], &partition[1..]);
    let what = match kind {
        "0" => None,
        "1" => Some("a description"),
        "2" => Some("a relationship"),
        _ => Some("something other than a concept"),
    };
    if let Some(what) = what {
        return Some(format!(
            "its partition identifier {partition} makes it the identifier of {what}, not of a concept"
        ));
    }
    match namespaced {
        "0" => None,
        // an item digit at least, a 7-digit namespace, the partition and
        // the check digit
        "1" if n < 11 => Some(format!(
            "its partition identifier {partition} calls for a 7-digit namespace identifier, which {n} digits cannot hold"
        )),
        "1" => None,
        _ => Some(format!(
            "its partition identifier {partition} is not one SNOMED CT defines"
        )),
    }
}

/// The Verhoeff check: the dihedral group D5's multiplication table, the
/// permutation applied by position, and a valid number's product is 0.
fn verhoeff_valid(digits: &str) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let mut c = 0u8;
    for (i, b) in digits.bytes().rev().enumerate() {
        c = D[c as usize][P[i % 8][(b - b'0') as usize] as usize];
    }
    c == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_concept_ids_are_well_formed() {
        for id in [
            "276885007",          // body temperature
            "73211009",           // diabetes mellitus
            "138875005",          // the root concept
            "900000000000207008", // the international edition's module
            "999000011000000103", // the UK clinical extension (namespace 1000000)
            "1222808002",
        ] {
            assert_eq!(concept_id_problem(id), None, "{id}");
        }
    }

    #[test]
    fn malformed_ids_say_why() {
        let why = |id: &str| concept_id_problem(id).unwrap_or_default();
        assert!(why("1").contains("at least 6 digits"));
        assert!(why("1234567890123456789").contains("at most 18 digits"));
        assert!(why("0276885007").contains("does not begin with 0"));
        // one digit changed, and two neighbours swapped
        assert!(why("276885008").contains("check digit"));
        assert!(why("728685007").contains("check digit"));
        // a description's and a relationship's identifiers
        assert!(
            why("754786014").contains("a description"),
            "{}",
            why("754786014")
        );
        assert!(
            why("12345032").contains("other than a concept"),
            "{}",
            why("12345032")
        );
        // the namespaced partition in too few digits for a namespace
        assert!(
            why("12345107").contains("7-digit namespace"),
            "{}",
            why("12345107")
        );
        assert!(
            why("100022").contains("a relationship"),
            "{}",
            why("100022")
        );
    }

    #[test]
    fn what_is_not_all_digits_is_left_alone() {
        assert_eq!(concept_id_problem("73211009 |Diabetes mellitus|"), None);
        assert_eq!(concept_id_problem("abc"), None);
        assert_eq!(concept_id_problem(""), None);
    }
}
