//! Byte scans over whole values (narratives and base64 data run to
//! hundreds of kilobytes in a corpus): the test is applied without a branch
//! inside each block, so the compiler vectorises it, and only the answer of
//! a block is branched on.

/// Bytes per block: wide enough for two AVX2 registers, and under 256 so a
/// block's count fits in a `u8`.
const BLOCK: usize = 64;

/// Whether some byte of `bytes` satisfies `test`, which should be written
/// with `&` and `|` rather than `&&` and `||` so that it has no branch.
#[inline]
pub(crate) fn any_byte(bytes: &[u8], test: impl Fn(u8) -> bool) -> bool {
    let mut blocks = bytes.chunks_exact(BLOCK);
    for block in &mut blocks {
        if block.iter().fold(false, |found, &b| found | test(b)) {
            return true;
        }
    }
    blocks.remainder().iter().any(|&b| test(b))
}

/// How many bytes of `bytes` satisfy `test` (branch-free, as for
/// [`any_byte`]).
#[inline]
pub(crate) fn count_bytes(bytes: &[u8], test: impl Fn(u8) -> bool) -> usize {
    bytes
        .chunks(BLOCK)
        .map(|block| block.iter().fold(0u8, |n, &b| n + test(b) as u8) as usize)
        .sum()
}

/// A C0 control character other than tab, line feed and carriage return.
#[inline]
pub(crate) fn is_control(b: u8) -> bool {
    (b < b' ') & (b != b'\t') & (b != b'\n') & (b != b'\r')
}

/// An ASCII letter or digit, `+`, `/` or `=`: what the reference counts as
/// base64 characters.
#[inline]
pub(crate) fn is_base64_char(b: u8) -> bool {
    ((b | 0x20).wrapping_sub(b'a') < 26)
        | (b.wrapping_sub(b'0') < 10)
        | (b == b'+')
        | (b == b'/')
        | (b == b'=')
}

/// ASCII whitespace as the reference counts it: space, and tab to carriage
/// return.
#[inline]
pub(crate) fn is_ascii_java_whitespace(b: u8) -> bool {
    (b == b' ') | (b.wrapping_sub(b'\t') <= b'\r' - b'\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_tests_agree_with_their_definitions() {
        for b in 0..=255u8 {
            assert_eq!(
                is_control(b),
                b < b' ' && !matches!(b, b'\t' | b'\n' | b'\r'),
                "{b}"
            );
            assert_eq!(
                is_base64_char(b),
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='),
                "{b}"
            );
            assert_eq!(
                is_ascii_java_whitespace(b),
                b == b' ' || (b'\t'..=b'\r').contains(&b),
                "{b}"
            );
        }
    }

    #[test]
    fn scans_see_every_block_and_the_remainder() {
        for len in [0usize, 1, 63, 64, 65, 200, 255, 256, 257, 1000] {
            for at in [0, len / 2, len.saturating_sub(1)] {
                let mut bytes = vec![b'a'; len];
                if len > 0 {
                    bytes[at] = 1;
                }
                assert_eq!(any_byte(&bytes, is_control), len > 0, "{len} {at}");
                assert_eq!(count_bytes(&bytes, is_control), usize::from(len > 0));
                assert_eq!(
                    count_bytes(&bytes, is_base64_char),
                    len - usize::from(len > 0)
                );
            }
        }
    }
}
