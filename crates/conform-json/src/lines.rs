//! Byte offset → line and column, computed only when a finding needs one.

use std::sync::{Mutex, PoisonError};

/// Start offsets of each line of a text; built once per file on the first
/// finding, so clean files never pay for it.
#[derive(Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
    /// (byte offset, characters before it) every [`MARK`] bytes, so a
    /// column on a very long line (a minified Bundle is one line) is
    /// counted from the nearest mark, not from the start of the line: a
    /// Bundle with a finding in each of 10,000 entries spent most of its
    /// run counting the same characters again. Counted only as far as a
    /// column asked for: an NDJSON resource is one line too, and counting
    /// all of its characters for findings near its start was a cost every
    /// resource with a finding paid. (Behind a lock: the walks of a
    /// Bundle's entries share the index.)
    marks: Mutex<Vec<(usize, usize)>>,
}

/// The 1-based line of a byte offset, counted without an index: for one
/// offset near the start (where a document's root is), cheaper than
/// indexing the whole text.
pub fn line_of(text: &str, offset: usize) -> u32 {
    let offset = offset.min(text.len());
    memchr::memchr_iter(b'\n', &text.as_bytes()[..offset]).count() as u32 + 1
}

/// 4 KiB: a column is then at most 4,096 characters counted; at 64 KiB,
/// counting was 2% of validating a 46 MB minified Bundle.
const MARK: usize = 1 << 12;

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex {
            starts,
            marks: Mutex::new(vec![(0, 0)]),
        }
    }

    /// Characters in `text[..offset]` (`offset` on a character boundary),
    /// counted from the nearest mark, the marks laid as far as `offset`
    /// first.
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let (at, chars) = {
            let mut marks = self.marks.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                let (at, chars) = *marks.last().expect("the mark at 0");
                if offset.saturating_sub(at) <= MARK {
                    break;
                }
                let mut next = at + MARK;
                while !text.is_char_boundary(next) {
                    next -= 1;
                }
                marks.push((next, chars + text[at..next].chars().count()));
            }
            marks[marks.partition_point(|m| m.0 <= offset) - 1]
        };
        chars + text[at..offset].chars().count()
    }

    /// The 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> u32 {
        self.starts.partition_point(|&s| s <= offset) as u32
    }

    /// 1-based line and column (column counted in characters) of a byte offset.
    pub fn line_col(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let line = self.line(offset);
        let start = self.starts[line as usize - 1];
        // Count characters, not bytes, so editors land on the right column.
        let mut end = offset;
        while end > start && !text.is_char_boundary(end) {
            end -= 1;
        }
        let col = if end - start <= MARK {
            text[start..end].chars().count() + 1
        } else {
            self.chars_before(text, end) - self.chars_before(text, start) + 1
        };
        (line, col as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    fn naive(text: &str, offset: usize) -> (u32, u32) {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        (
            line as u32,
            (text[start..offset].chars().count() + 1) as u32,
        )
    }

    #[test]
    fn columns_on_long_lines_count_characters_as_on_short_ones() {
        // Lines longer than the marks, with characters of 1 to 4 bytes.
        let unit = "{\"name\":\"Zoë 😀 ř\"},";
        let mut text = "[".to_string();
        text.push_str(&unit.repeat(20_000));
        text.push_str("\n  short line ü\n");
        text.push_str(&unit.repeat(9_000));
        let index = LineIndex::new(&text);
        let offsets = (0..text.len())
            .step_by(7919)
            .chain([0, text.len()])
            .filter(|&o| text.is_char_boundary(o));
        let offsets: Vec<usize> = offsets.collect();
        // far offsets first too: marks laid past the offset asked for
        let backwards = LineIndex::new(&text);
        for &o in offsets.iter().rev() {
            assert_eq!(backwards.line_col(&text, o), naive(&text, o), "offset {o}");
        }
        for o in offsets {
            assert_eq!(index.line_col(&text, o), naive(&text, o), "offset {o}");
            assert_eq!(index.line(o), naive(&text, o).0, "offset {o}");
            assert_eq!(super::line_of(&text, o), naive(&text, o).0, "offset {o}");
        }
    }
}
