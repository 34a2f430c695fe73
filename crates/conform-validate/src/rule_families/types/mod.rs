//! Type-specific rules: what the reference validator checks natively for a
//! value of a given data type, beyond the lexical form of primitives
//! ([`crate::primitive`], rule `primitive-format`) and the FHIRPath
//! invariants of the core package (`att-1`, `per-1`, `rng-2`, `rat-1`,
//! `qty-3`, `cpt-2` are evaluated as invariants and not repeated here).
//!
//! | module | rules |
//! |---|---|
//! | [`text`] | `string-whitespace`, `unicode-control`, `unicode-bidi`, `base64-whitespace`, `date-reasonable`, `decimal-range`, `canonical-url` |
//! | [`attachment`] | `attachment-content`, `attachment-base64`, `attachment-size`, `attachment-hash` |
//! | [`coded`] | `identifier-system`, `identifier-value`, `coding-system`, `coding-no-system`, `quantity-ucum`, `quantity-ucum-annotation`, `code-invalid` (held code systems; SNOMED CT identifiers' form, [`sctid`]) |
//!
//! Period, Range, Ratio, SampledData, Timing and ContactPoint have no
//! native checks in the reference beyond fixed values and patterns (which
//! the profile checker compares) and their invariants.
//!
//! The checks take a [`super::Report`] and the document, so a profile
//! checker could call them; today only the base walk does (the reference
//! runs them once per value whatever the profile).

pub(crate) mod attachment;
pub(crate) mod coded;
pub(crate) mod scan;
pub(crate) mod sctid;
pub(crate) mod text;
