//! The driver: validates inputs on all cores and reports results into a
//! [`Sink`] in input order, so output is deterministic whatever the
//! scheduling.

use crate::finding::{rules, IssueCode, Location, Outcome, Severity};
use crate::input::Input;
use crate::Validator;
use conform_json::{LineIndex, ParseError};
use conform_outcome::validate::MustSupportReport;
pub use conform_outcome::validate::{FileFailure, ResourceResult, Sink, Summary};
use rayon::prelude::*;
use std::io::{BufRead, BufReader, Read};

/// How many files are validated together before their results are passed
/// on: enough to keep both cores busy, few enough to bound memory.
const FILE_BATCH: usize = 64;
/// How much NDJSON is read before a parallel pass over its lines.
const NDJSON_CHUNK_BYTES: usize = 8 * 1024 * 1024;

/// Which part of a run this process validates (`--shard K/N`): whole
/// files by their place in the input list, and NDJSON by blocks of lines,
/// so that shard runs on the same inputs together validate each resource
/// exactly once, whatever machine runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 0-based.
    index: usize,
    count: usize,
}

/// NDJSON lines go to shards in blocks this long (line ranges, not single
/// lines, so each shard reads long runs).
pub const SHARD_LINES: u32 = 1000;

impl Shard {
    /// The whole run.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// `K/N`, 1 ≤ K ≤ N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard '{text}': expected K/N with 1 ≤ K ≤ N (e.g. 2/4)");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (k, n): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard {
            index: k - 1,
            count: n,
        })
    }

    /// (K, N), 1-based; `None` for the whole run.
    pub fn number(self) -> Option<(usize, usize)> {
        (self != Shard::WHOLE).then_some((self.index + 1, self.count))
    }

    /// Whether the file at place `i` of the input list is this shard's
    /// (NDJSON files are every shard's, by lines).
    pub fn takes_file(self, i: usize) -> bool {
        i % self.count == self.index
    }

    /// Whether the 0-based line `line` of an NDJSON input is this shard's.
    pub fn takes_line(self, line: u32) -> bool {
        (line / SHARD_LINES) as usize % self.count == self.index
    }
}

pub fn validate_inputs(v: &Validator, inputs: &[Input], sink: &mut dyn Sink) {
    validate_shard(v, inputs, Shard::WHOLE, sink)
}

/// [`validate_inputs`] for one shard of the inputs.
///
/// Files go in batches and NDJSON in chunks, each validated in parallel
/// and handed on one step behind ([`one_ahead`]), so reading the next
/// chunk and writing the last one's results overlap with validation.
pub fn validate_shard(v: &Validator, inputs: &[Input], shard: Shard, sink: &mut dyn Sink) {
    if !v.options.must_support {
        return validate_shard_into(v, inputs, shard, sink);
    }
    let mut tally = MustSupportTally {
        inner: sink,
        report: MustSupportReport::default(),
    };
    validate_shard_into(v, inputs, shard, &mut tally);
    tally.inner.must_support(&tally.report);
}

/// Adds up the Must-Support population each result carries
/// ([`crate::Options::must_support`]) on its way to the sink, which gets
/// the run's report once at the end.
struct MustSupportTally<'s> {
    inner: &'s mut dyn Sink,
    report: MustSupportReport,
}

impl Sink for MustSupportTally<'_> {
    fn file_start(&mut self, name: &str) {
        self.inner.file_start(name);
    }
    fn resource(&mut self, name: &str, mut result: ResourceResult) {
        self.report.take_from(&mut result);
        self.inner.resource(name, result);
    }
    fn file_failed(&mut self, name: &str, failure: Outcome) {
        self.inner.file_failed(name, failure);
    }
    fn file_end(&mut self, name: &str) {
        self.inner.file_end(name);
    }
}

fn validate_shard_into(v: &Validator, inputs: &[Input], shard: Shard, sink: &mut dyn Sink) {
    let inputs: Vec<Input> = inputs
        .iter()
        .enumerate()
        .filter(|(i, input)| input.is_ndjson() || shard.takes_file(*i))
        .map(|(_, input)| input.clone())
        .collect();
    let mut rest = inputs.as_slice();
    while !rest.is_empty() {
        if rest[0].is_ndjson() {
            validate_ndjson_file(v, &rest[0], shard, sink);
            rest = &rest[1..];
            continue;
        }
        let files = rest.iter().position(Input::is_ndjson).unwrap_or(rest.len());
        let validate_batch = |batch: &[Input]| {
            let mut results: Vec<(String, Result<Vec<ResourceResult>, String>)> = batch
                .par_iter()
                .map(|input| (input.name(), validate_whole(v, input, shard)))
                .collect();
            settle_batch(v, &mut results);
            results
        };
        one_ahead(rest[..files].chunks(FILE_BATCH), validate_batch, |batch| {
            for (name, result) in batch {
                sink.file_start(&name);
                match result {
                    Ok(results) => results.into_iter().for_each(|r| sink.resource(&name, r)),
                    Err(message) => sink.file_failed(&name, FileFailure { message }.into_outcome()),
                }
                sink.file_end(&name);
            }
        });
        rest = &rest[files..];
    }
}

/// Runs `work` on each item in the thread pool while the calling thread
/// fetches the next item and `deliver`s the previous one's result, in
/// order: one item is being validated while the next is read and the last
/// written, and no more than two are in memory at once.
fn one_ahead<T: Send, R: Send>(
    items: impl IntoIterator<Item = T>,
    work: impl Fn(T) -> R + Sync,
    mut deliver: impl FnMut(R),
) {
    let work = &work;
    rayon::in_place_scope(|scope| {
        let mut pending: Option<std::sync::mpsc::Receiver<R>> = None;
        for item in items {
            let (done, result) = std::sync::mpsc::sync_channel(1);
            scope.spawn(move |_| {
                // The receiver only goes away if `deliver` panicked.
                let _ = done.send(work(item));
            });
            if let Some(previous) = pending.replace(result) {
                // A panic in `work` ends the scope with that panic; the
                // receive only fails then.
                if let Ok(r) = previous.recv() {
                    deliver(r);
                }
            }
        }
        if let Some(Ok(r)) = pending.map(|p| p.recv()) {
            deliver(r);
        }
    });
}

/// A file read whole: one JSON or XML resource (XML when its first
/// non-blank byte is `<`, whatever its name), or NDJSON arriving on stdin.
fn validate_whole(
    v: &Validator,
    input: &Input,
    shard: Shard,
) -> Result<Vec<ResourceResult>, String> {
    let bytes = read_all(input, v.options.max_file_bytes)?;
    if *input == Input::Stdin && looks_like_ndjson(&bytes) {
        return Ok(validate_lines(v, &bytes, 0, shard));
    }
    Ok(vec![v.payload_unsettled(&bytes)])
}

/// Answers the terminology questions of a batch of files together, so a
/// code that many files use is asked about once and the server is asked
/// once per batch, not once per resource.
fn settle_batch(v: &Validator, batch: &mut [(String, Result<Vec<ResourceResult>, String>)]) {
    let counts: Vec<usize> = batch
        .iter()
        .map(|(_, r)| r.as_ref().map_or(0, Vec::len))
        .collect();
    let mut results: Vec<ResourceResult> = batch
        .iter_mut()
        .filter_map(|(_, r)| r.as_mut().ok())
        .flat_map(std::mem::take)
        .collect();
    v.settle(&mut results);
    let mut settled = results.into_iter();
    for ((_, r), n) in batch.iter_mut().zip(counts) {
        if let Ok(list) = r {
            list.extend(settled.by_ref().take(n));
        }
    }
}

/// The whole of a file or of standard input, unless it is larger than
/// `max` bytes (the max-file-bytes limit), which is an error before more
/// than `max` bytes are read.
fn read_all(input: &Input, max: u64) -> Result<Vec<u8>, String> {
    let too_large = |size: &str| {
        format!(
            "cannot read {}: it is {size} bytes, over the limit of {max} (raise it with \
             --max-file-bytes or conform.toml's [validate] max-file-bytes; docs/limits.md)",
            input.name()
        )
    };
    let (reader, known): (Box<dyn Read>, Option<u64>) = match input {
        Input::File(p) => {
            let file =
                std::fs::File::open(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            let len = file.metadata().map(|m| m.len()).ok();
            (Box::new(file), len)
        }
        Input::Stdin => (Box::new(std::io::stdin()), None),
    };
    if let Some(len) = known.filter(|&len| len > max) {
        return Err(too_large(&len.to_string()));
    }
    let mut buf = Vec::with_capacity(known.unwrap_or(0).min(max) as usize);
    reader
        .take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read {}: {e}", input.name()))?;
    if buf.len() as u64 > max {
        return Err(too_large("more than"));
    }
    Ok(buf)
}

/// More than one line that each start a JSON object.
fn looks_like_ndjson(bytes: &[u8]) -> bool {
    let mut lines = split_lines(bytes).filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    let first = lines.next();
    let second = lines.next();
    matches!((first, second), (Some(a), Some(b)) if a.trim_ascii_start().starts_with(b"{") && a.trim_ascii_end().ends_with(b"}") && b.trim_ascii_start().starts_with(b"{"))
}

/// The lines of `bytes` as `bytes.split(|&b| b == b'\n')` gives them (the
/// last one after the final newline, empty or not), found with `memchr`:
/// the byte-at-a-time split took 3% of a run's instructions.
fn split_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', bytes)
        .map(Some)
        .chain(std::iter::once(None))
        .map(move |newline| {
            let end = newline.unwrap_or(bytes.len());
            let line = &bytes[start..end];
            start = end + 1;
            line
        })
}

/// Validates each non-blank line of an NDJSON text in parallel.
fn validate_lines(
    v: &Validator,
    bytes: &[u8],
    first_line: u32,
    shard: Shard,
) -> Vec<ResourceResult> {
    let lines: Vec<(u32, &[u8])> = split_lines(bytes)
        .enumerate()
        .map(|(i, l)| (first_line + i as u32, l))
        .filter(|&(n, _)| shard.takes_line(n))
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .collect();
    let max = v.options.max_line_bytes;
    lines
        .par_iter()
        .map(|&(n, line)| {
            if line.len() as u64 > max {
                let why = format!("an NDJSON line longer than the limit of {max} bytes");
                over_limit("max-line-bytes", &why, n, n + 1, 1)
            } else {
                v.bytes_unsettled(line, n)
            }
        })
        .collect::<Vec<_>>()
}

/// Streams an NDJSON file in chunks, so a file larger than memory is fine.
fn validate_ndjson_file(v: &Validator, input: &Input, shard: Shard, sink: &mut dyn Sink) {
    let name = input.name();
    sink.file_start(&name);
    let Input::File(path) = input else { return };
    let chunks = match std::fs::File::open(path) {
        Ok(file) => NdjsonChunks {
            reader: BufReader::with_capacity(1 << 20, file),
            chunk_bytes: NDJSON_CHUNK_BYTES,
            max_line_bytes: v.options.max_line_bytes,
            lines_before: 0,
            done: false,
        },
        Err(e) => {
            let message = format!("cannot read {}: {e}", path.display());
            sink.file_failed(&name, FileFailure { message }.into_outcome());
            sink.file_end(&name);
            return;
        }
    };
    let validate_chunk = |chunk: std::io::Result<(Vec<u8>, u32)>| {
        chunk.map(|(bytes, first_line)| {
            // Drop the final newline so it does not count as an extra line.
            let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
            let mut results = validate_lines(v, body, first_line, shard);
            v.settle(&mut results);
            results
        })
    };
    one_ahead(chunks, validate_chunk, |chunk| match chunk {
        Ok(results) => results.into_iter().for_each(|r| sink.resource(&name, r)),
        Err(e) => {
            let message = format!("cannot read {}: {e}", path.display());
            sink.file_failed(&name, FileFailure { message }.into_outcome());
        }
    });
    sink.file_end(&name);
}

/// An NDJSON file as chunks of whole lines of about `chunk_bytes`, each
/// with the number of its first line; a read error ends it. A line longer
/// than `max_line_bytes` is kept only to one byte past that (enough for
/// [`validate_lines`] to refuse it), so memory stays bounded.
struct NdjsonChunks<R> {
    reader: R,
    chunk_bytes: usize,
    max_line_bytes: u64,
    lines_before: u32,
    done: bool,
}

/// Appends one line (with its newline) to `chunk`, but at most `max + 1`
/// bytes of it: the rest of a longer line is read and dropped. Returns
/// how many bytes were read (0 at the end).
fn read_line_bounded<R: BufRead>(
    reader: &mut R,
    chunk: &mut Vec<u8>,
    max: u64,
) -> std::io::Result<usize> {
    let n = reader
        .by_ref()
        .take(max.saturating_add(1))
        .read_until(b'\n', chunk)?;
    if n as u64 <= max || chunk.last() == Some(&b'\n') {
        return Ok(n);
    }
    let mut skipped = 0;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let (used, end) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        reader.consume(used);
        skipped += used;
        if end {
            chunk.push(b'\n');
            break;
        }
    }
    Ok(n + skipped)
}

impl<R: BufRead> Iterator for NdjsonChunks<R> {
    type Item = std::io::Result<(Vec<u8>, u32)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut chunk = Vec::with_capacity(self.chunk_bytes + (1 << 16));
        let first_line = self.lines_before;
        while chunk.len() < self.chunk_bytes {
            match read_line_bounded(&mut self.reader, &mut chunk, self.max_line_bytes) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(_) => self.lines_before += 1,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        // An empty file still passes through once, as before (no lines).
        if chunk.is_empty() && first_line > 0 {
            return None;
        }
        Some(Ok((chunk, first_line)))
    }
}

/// The result for text that is not JSON: one fatal finding where it broke.
pub(crate) fn parse_failure(bytes: &[u8], e: &ParseError, line_base: u32) -> ResourceResult {
    let text = String::from_utf8_lossy(bytes);
    let (line, column) = LineIndex::new(&text).line_col(&text, e.offset);
    if let Some(limit) = e.over_limit {
        return over_limit(limit, &e.message, line_base, line + line_base, column);
    }
    unread(
        line_base,
        Outcome::finding(
            Severity::Fatal,
            IssueCode::Invalid,
            rules::JSON_SYNTAX,
            Location::payload(String::new(), line + line_base, column),
            format!("The content is not valid JSON: {}", e.message),
        ),
    )
}

/// The result for a resource that could not be read: one fatal `finding`,
/// no type or id; `line_base` lines come before it in its file.
pub(crate) fn unread(line_base: u32, finding: Outcome) -> ResourceResult {
    ResourceResult {
        resource_type: None,
        id: None,
        line: line_base + 1,
        findings: vec![finding],
        ..Default::default()
    }
}

/// The result for a resource that is over one of the limits (docs/limits.md),
/// `setting` spelled as its flag and conform.toml key: one fatal finding
/// where it broke the limit; nothing else of it is validated.
pub(crate) fn over_limit(
    setting: &str,
    why: &str,
    line_base: u32,
    line: u32,
    column: u32,
) -> ResourceResult {
    unread(
        line_base,
        Outcome::finding(
            Severity::Fatal,
            IssueCode::Processing,
            rules::LIMIT_EXCEEDED,
            Location::payload(String::new(), line, column),
            format!(
                "The content was not validated: {why} (raise it with --{setting} or \
                 conform.toml's [validate] {setting}; docs/limits.md)"
            ),
        ),
    )
}

/// Keeps the first `max` findings of a resource and replaces the rest with
/// one `findings-truncated` finding that counts them, as severe as the
/// most severe of them (so dropping findings never turns a failing
/// resource into a passing one).
pub(crate) fn truncate_findings(result: &mut ResourceResult, max: usize) {
    if result.findings.len() <= max {
        return;
    }
    let rest = result.findings.split_off(max);
    // Severities order from fatal down to information.
    let worst = rest
        .iter()
        .map(|f| f.severity)
        .min()
        .unwrap_or(Severity::Information);
    let errors = rest.iter().filter(|f| f.severity.is_error()).count();
    let line = rest
        .first()
        .and_then(|f| f.location.line)
        .unwrap_or(result.line);
    result.findings.push(Outcome::finding(
        worst,
        IssueCode::Processing,
        rules::FINDINGS_TRUNCATED,
        Location::payload(String::new(), line, 1),
        format!(
            "{} more findings on this resource ({errors} of them errors) are not listed: \
             over the limit of {max} per resource (raise it with --max-findings or \
             conform.toml's [validate] max-findings; docs/limits.md)",
            rest.len()
        ),
    ));
}

#[cfg(test)]
mod shard_tests {
    use super::*;

    #[test]
    fn lines_are_split_as_slice_split_splits_them() {
        for text in ["", "\n", "a", "a\n", "a\nb", "\n\na\n\nb\n", "{}\r\n{}"] {
            let ours: Vec<&[u8]> = super::split_lines(text.as_bytes()).collect();
            let std: Vec<&[u8]> = text.as_bytes().split(|&b| b == b'\n').collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }

    #[test]
    fn ndjson_chunks_are_whole_lines_numbered_from_the_file_start() {
        let text = b"{\"a\":1}\n{\"b\":2}\n\n{\"c\":3}\n{\"d\":4}";
        let chunks: Vec<(Vec<u8>, u32)> = NdjsonChunks {
            reader: &text[..],
            chunk_bytes: 8,
            max_line_bytes: 64,
            lines_before: 0,
            done: false,
        }
        .map(Result::unwrap)
        .collect();
        let seen: Vec<(&str, u32)> = chunks
            .iter()
            .map(|(b, n)| (std::str::from_utf8(b).unwrap(), *n))
            .collect();
        assert_eq!(
            seen,
            [
                ("{\"a\":1}\n", 0),
                ("{\"b\":2}\n", 1),
                ("\n{\"c\":3}\n", 2),
                ("{\"d\":4}", 4)
            ]
        );
    }

    #[test]
    fn ndjson_lines_over_the_limit_are_cut_one_byte_past_it() {
        // A small BufReader so the long line spans several buffers.
        let text = format!(
            "{{\"a\":1}}\n{}\n{{\"c\":3}}\n{}",
            "x".repeat(100),
            "y".repeat(50)
        );
        let chunks: Vec<(Vec<u8>, u32)> = NdjsonChunks {
            reader: std::io::BufReader::with_capacity(16, text.as_bytes()),
            chunk_bytes: 1 << 20,
            max_line_bytes: 10,
            lines_before: 0,
            done: false,
        }
        .map(Result::unwrap)
        .collect();
        assert_eq!(chunks.len(), 1);
        let lines: Vec<&[u8]> = chunks[0].0.split(|&b| b == b'\n').collect();
        assert_eq!(
            lines,
            [
                &b"{\"a\":1}"[..],
                "x".repeat(11).as_bytes(),
                b"{\"c\":3}",
                "y".repeat(11).as_bytes(),
            ]
        );
    }

    #[test]
    fn one_ahead_delivers_every_result_in_order() {
        let mut seen = Vec::new();
        super::one_ahead(0..100u32, |i| i * 2, |r| seen.push(r));
        assert_eq!(seen, (0..100).map(|i| i * 2).collect::<Vec<_>>());
        let mut none = Vec::new();
        super::one_ahead(std::iter::empty::<u32>(), |i| i, |r| none.push(r));
        assert!(none.is_empty());
    }

    #[test]
    fn shards_split_files_by_place_and_ndjson_by_line_blocks() {
        let s = Shard::parse("2/3").unwrap();
        assert_eq!(s.number(), Some((2, 3)));
        assert_eq!(
            (0..6).filter(|&i| s.takes_file(i)).collect::<Vec<_>>(),
            [1, 4]
        );
        assert!(!s.takes_line(0) && s.takes_line(SHARD_LINES) && !s.takes_line(2 * SHARD_LINES));
        assert!(s.takes_line(4 * SHARD_LINES + 17));
        assert_eq!(Shard::WHOLE.number(), None);
        assert!((0..5).all(|i| Shard::WHOLE.takes_file(i) && Shard::WHOLE.takes_line(i as u32)));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", ""] {
            assert!(Shard::parse(bad).unwrap_err().contains("K/N"), "{bad}");
        }
    }
}
