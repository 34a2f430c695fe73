//! The driver: validates inputs on all cores and reports results into a
//! [`Sink`] in input order, so output is deterministic whatever the
//! scheduling.

use crate::finding::{rules, IssueCode, Location, Outcome, Severity};
use crate::input::Input;
use crate::Validator;
use conform_json::{LineIndex, ParseError};
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
pub fn validate_shard(v: &Validator, inputs: &[Input], shard: Shard, sink: &mut dyn Sink) {
    let inputs: Vec<Input> = inputs
        .iter()
        .enumerate()
        .filter(|(i, input)| input.is_ndjson() || shard.takes_file(*i))
        .map(|(_, input)| input.clone())
        .collect();
    let inputs = inputs.as_slice();
    let mut i = 0;
    while i < inputs.len() {
        if inputs[i].is_ndjson() {
            validate_ndjson_file(v, &inputs[i], shard, sink);
            i += 1;
            continue;
        }
        let end = inputs[i..]
            .iter()
            .position(Input::is_ndjson)
            .map_or(inputs.len(), |p| i + p)
            .min(i + FILE_BATCH);
        let mut batch: Vec<(String, Result<Vec<ResourceResult>, String>)> = inputs[i..end]
            .par_iter()
            .map(|input| (input.name(), validate_whole(v, input, shard)))
            .collect();
        settle_batch(v, &mut batch);
        for (name, result) in batch {
            sink.file_start(&name);
            match result {
                Ok(results) => results.into_iter().for_each(|r| sink.resource(&name, r)),
                Err(message) => sink.file_failed(&name, FileFailure { message }.into_outcome()),
            }
            sink.file_end(&name);
        }
        i = end;
    }
}

/// A file read whole: one JSON or XML resource (XML when its first
/// non-blank byte is `<`, whatever its name), or NDJSON arriving on stdin.
fn validate_whole(
    v: &Validator,
    input: &Input,
    shard: Shard,
) -> Result<Vec<ResourceResult>, String> {
    let bytes = read_all(input)?;
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

fn read_all(input: &Input) -> Result<Vec<u8>, String> {
    match input {
        Input::File(p) => std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display())),
        Input::Stdin => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            Ok(buf)
        }
    }
}

/// More than one line that each start a JSON object.
fn looks_like_ndjson(bytes: &[u8]) -> bool {
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    let first = lines.next();
    let second = lines.next();
    matches!((first, second), (Some(a), Some(b)) if a.trim_ascii_start().starts_with(b"{") && a.trim_ascii_end().ends_with(b"}") && b.trim_ascii_start().starts_with(b"{"))
}

/// Validates each non-blank line of an NDJSON text in parallel.
fn validate_lines(
    v: &Validator,
    bytes: &[u8],
    first_line: u32,
    shard: Shard,
) -> Vec<ResourceResult> {
    let lines: Vec<(u32, &[u8])> = bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (first_line + i as u32, l))
        .filter(|&(n, _)| shard.takes_line(n))
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .collect();
    lines
        .par_iter()
        .map(|&(n, line)| v.bytes_unsettled(line, n))
        .collect::<Vec<_>>()
}

/// Streams an NDJSON file in chunks, so a file larger than memory is fine.
fn validate_ndjson_file(v: &Validator, input: &Input, shard: Shard, sink: &mut dyn Sink) {
    let name = input.name();
    sink.file_start(&name);
    let Input::File(path) = input else { return };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            sink.file_failed(
                &name,
                FileFailure {
                    message: format!("cannot read {}: {e}", path.display()),
                }
                .into_outcome(),
            );
            sink.file_end(&name);
            return;
        }
    };
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut chunk = Vec::with_capacity(NDJSON_CHUNK_BYTES + (1 << 16));
    let mut lines_before = 0u32;
    loop {
        chunk.clear();
        let mut lines_in_chunk = 0u32;
        let mut eof = false;
        while chunk.len() < NDJSON_CHUNK_BYTES {
            match reader.read_until(b'\n', &mut chunk) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(_) => lines_in_chunk += 1,
                Err(e) => {
                    sink.file_failed(
                        &name,
                        FileFailure {
                            message: format!("cannot read {}: {e}", path.display()),
                        }
                        .into_outcome(),
                    );
                    sink.file_end(&name);
                    return;
                }
            }
        }
        // Drop the final newline so it does not count as an extra line.
        let body = chunk.strip_suffix(b"\n").unwrap_or(&chunk);
        let mut results = validate_lines(v, body, lines_before, shard);
        v.settle(&mut results);
        for r in results {
            sink.resource(&name, r);
        }
        lines_before += lines_in_chunk;
        if eof {
            break;
        }
    }
    sink.file_end(&name);
}

/// The result for text that is not JSON: one fatal finding where it broke.
pub(crate) fn parse_failure(bytes: &[u8], e: &ParseError, line_base: u32) -> ResourceResult {
    let text = String::from_utf8_lossy(bytes);
    let (line, column) = LineIndex::new(&text).line_col(&text, e.offset);
    ResourceResult {
        resource_type: None,
        id: None,
        line: line_base + 1,
        findings: vec![Outcome::finding(
            Severity::Fatal,
            IssueCode::Invalid,
            rules::JSON_SYNTAX,
            Location::payload(String::new(), line + line_base, column),
            format!("The content is not valid JSON: {}", e.message),
        )],
        ..Default::default()
    }
}

#[cfg(test)]
mod shard_tests {
    use super::*;

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
