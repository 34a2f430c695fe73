//! Attachment: that it says something (content, or what the content would
//! be), and that a stated `size` and `hash` match the inline `data`. The
//! reference fetches `url` content to check these; conform does not fetch,
//! so an Attachment with a `url` and no `data` is not checked against its
//! size or hash (as the reference when it has no network access).

use super::super::Report;
use crate::finding::{rules, IssueCode, Severity};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use conform_json::{Document, NodeId};
use sha1::{Digest, Sha1};

/// Strict RFC 4648 decoding, as the reference decodes data and hash: no
/// whitespace or other characters outside the alphabet; padding optional.
const STRICT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

pub(crate) fn check(r: &mut impl Report, doc: &Document, node: NodeId) {
    let has = |name: &str| doc.get(node, name).is_some();
    if !(has("data") || has("url") || has("contentType") || has("language")) {
        r.report(
            Severity::Warning,
            IssueCode::Structure,
            rules::ATTACHMENT_CONTENT,
            node,
            None,
            "An Attachment should have data or a url, or at least say its contentType or language"
                .into(),
        );
    }
    let size = doc
        .get(node, "size")
        .and_then(|s| doc.raw(s))
        .and_then(|s| s.parse::<u64>().ok());
    let hash_text = doc.get_str(node, "hash");
    let hash = hash_text
        .as_deref()
        .and_then(|h| decode(r, node, "hash", h));
    // Data that is not valid base64 at all is already a primitive-format
    // error on `data`; only data that passes that check is decoded here.
    let data = doc
        .get_str(node, "data")
        .filter(|d| crate::primitive::Primitive::Base64Binary.check(d).is_ok())
        .and_then(|d| decode(r, node, "data", &d));
    let Some(data) = data else { return };
    if let Some(size) = size {
        if size != data.len() as u64 {
            let message = format!(
                "The Attachment states a size of {size} bytes, but its data decodes to {} bytes",
                data.len()
            );
            r.report(
                Severity::Error,
                IssueCode::Structure,
                rules::ATTACHMENT_SIZE,
                node,
                None,
                message,
            );
        }
    }
    if let (Some(hash), Some(stated)) = (hash, hash_text) {
        let actual = Sha1::digest(&data);
        if actual.as_slice() != hash.as_slice() {
            let message = format!(
                "The Attachment's hash '{stated}' is not the SHA-1 of its data (which is '{}')",
                base64::engine::general_purpose::STANDARD.encode(actual)
            );
            r.report(
                Severity::Error,
                IssueCode::Structure,
                rules::ATTACHMENT_HASH,
                node,
                None,
                message,
            );
        }
    }
}

/// Decodes `data` or `hash` strictly, reporting when it cannot be.
fn decode(r: &mut impl Report, node: NodeId, name: &str, text: &str) -> Option<Vec<u8>> {
    match STRICT.decode(text) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            let message = format!(
                "The Attachment's {name} cannot be decoded as strict base64 (RFC 4648, no whitespace or other characters): {e}"
            );
            r.report(
                Severity::Error,
                IssueCode::Structure,
                rules::ATTACHMENT_BASE64,
                node,
                None,
                message,
            );
            None
        }
    }
}
