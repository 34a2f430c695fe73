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
use std::io::Read;

/// How many files one task validates (on one thread, in order); tasks are
/// what [`pipeline`] hands to the cores.
const FILE_BATCH: usize = 8;
/// How much NDJSON one task validates (whole lines, on one thread): small
/// enough that the chunks in flight stay in the caches between the
/// reading thread and the one validating, and that at the end of a file
/// one core waits little for the other's last chunk; 1 MiB chunks cost
/// more on both counts.
const NDJSON_CHUNK_BYTES: usize = 256 * 1024;
/// Tasks queued per thread beyond those being delivered: enough that a
/// core finding a slow task (a large StructureDefinition) ahead of it is
/// never left without work, few enough to bound memory (about a MB of
/// NDJSON, or a few dozen files, a thread).
const TASKS_PER_THREAD: usize = 4;

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
/// Files go in small batches and NDJSON in chunks of lines, each a task
/// on one thread, several in flight at once ([`pipeline`]), so reading
/// the next chunk and writing the finished ones' results overlap with
/// validation.
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
    fn resource(&mut self, name: &str, result: &mut ResourceResult) {
        self.report.take_from(result);
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
                .iter()
                .map(|input| (input.name(), validate_whole(v, input, shard)))
                .collect();
            settle_batch(v, &mut results);
            results
        };
        pipeline(rest[..files].chunks(FILE_BATCH), validate_batch, |batch| {
            for (name, result) in batch {
                sink.file_start(name);
                match result {
                    Ok(results) => results.iter_mut().for_each(|r| sink.resource(name, r)),
                    Err(message) => {
                        let message = std::mem::take(message);
                        sink.file_failed(name, FileFailure { message }.into_outcome())
                    }
                }
                sink.file_end(name);
            }
        });
        rest = &rest[files..];
    }
}

/// Runs `work` on each item as a task of its own in the thread pool while
/// the calling thread fetches the next items and `deliver`s the results,
/// in order. Up to [`TASKS_PER_THREAD`] tasks a thread are queued ahead of
/// the oldest, which is the one delivered next.
///
/// A result is lent to `deliver` and then dropped on a pool thread: the
/// calling thread is the part of a run that two cores cannot share, and
/// freeing a result there (made on another thread, so each free takes
/// that thread's allocator lock) was an eighth of its work.
///
/// Each task runs on one thread from start to end. Splitting a chunk's
/// lines across the threads instead (`par_iter`) made a thread waiting
/// for the other half of one chunk steal lines of the next, so chunks
/// finished together and both cores then waited while the next was read
/// and the last written: two threads ran 1.7× as fast as one, not 2×.
fn pipeline<T: Send, R: Send>(
    items: impl IntoIterator<Item = T>,
    work: impl Fn(T) -> R + Sync,
    mut deliver: impl FnMut(&mut R),
) {
    let work = &work;
    let ahead = rayon::current_num_threads() * TASKS_PER_THREAD;
    rayon::in_place_scope(|scope| {
        let mut pending = std::collections::VecDeque::with_capacity(ahead + 1);
        let mut deliver_oldest = |pending: &mut std::collections::VecDeque<_>| {
            let oldest: Option<std::sync::mpsc::Receiver<R>> = pending.pop_front();
            // A panic in `work` ends the scope with that panic; the
            // receive only fails then.
            if let Some(Ok(mut r)) = oldest.map(|p| p.recv()) {
                deliver(&mut r);
                scope.spawn(move |_| drop(r));
            }
        };
        for item in items {
            let (done, result) = std::sync::mpsc::sync_channel(1);
            // Tasks spawned from outside the pool are taken first in,
            // first out, so the oldest is the first to finish.
            scope.spawn(move |_| {
                // The receiver only goes away if `deliver` panicked.
                let _ = done.send(work(item));
            });
            pending.push_back(result);
            if pending.len() > ahead {
                deliver_oldest(&mut pending);
            }
        }
        while !pending.is_empty() {
            deliver_oldest(&mut pending);
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

/// Validates each non-blank line of an NDJSON text in parallel (standard
/// input, read whole).
fn validate_lines(
    v: &Validator,
    bytes: &[u8],
    first_line: u32,
    shard: Shard,
) -> Vec<ResourceResult> {
    let lines = lines_of(bytes, first_line, shard);
    lines
        .par_iter()
        .map(|&(n, line)| validate_line(v, n, line))
        .collect()
}

/// The non-blank lines of an NDJSON text that are this shard's, each with
/// its 0-based number in the file.
fn lines_of(bytes: &[u8], first_line: u32, shard: Shard) -> Vec<(u32, &[u8])> {
    split_lines(bytes)
        .enumerate()
        .map(|(i, l)| (first_line + i as u32, l))
        .filter(|&(n, _)| shard.takes_line(n))
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .collect()
}

/// One NDJSON line (0-based number `n`), unless it is over the
/// max-line-bytes limit.
fn validate_line(v: &Validator, n: u32, line: &[u8]) -> ResourceResult {
    let max = v.options.max_line_bytes;
    if line.len() as u64 > max {
        let why = format!("an NDJSON line longer than the limit of {max} bytes");
        over_limit("max-line-bytes", &why, n, n + 1, 1)
    } else {
        v.bytes_unsettled(line, n)
    }
}

/// Streams an NDJSON file in chunks, so a file larger than memory is fine.
fn validate_ndjson_file(v: &Validator, input: &Input, shard: Shard, sink: &mut dyn Sink) {
    let name = input.name();
    sink.file_start(&name);
    let Input::File(path) = input else { return };
    let chunks = match std::fs::File::open(path) {
        Ok(file) => NdjsonChunks::new(file, NDJSON_CHUNK_BYTES, v.options.max_line_bytes),
        Err(e) => {
            let message = format!("cannot read {}: {e}", path.display());
            sink.file_failed(&name, FileFailure { message }.into_outcome());
            sink.file_end(&name);
            return;
        }
    };
    let validate_chunk = |chunk: std::io::Result<(Vec<u8>, u32)>| match chunk {
        Ok((bytes, first_line)) => {
            // Drop the final newline so it does not count as an extra line.
            let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
            let mut results: Vec<ResourceResult> = lines_of(body, first_line, shard)
                .into_iter()
                .map(|(n, line)| validate_line(v, n, line))
                .collect();
            v.settle(&mut results);
            (bytes, Ok(results))
        }
        Err(e) => (Vec::new(), Err(e)),
    };
    // The reader is lent in turn to the pipeline, for the next chunk, and
    // to the delivery, which gives it back each chunk's buffer to read
    // into again.
    let chunks = std::cell::RefCell::new(chunks);
    let next_chunk = std::iter::from_fn(|| chunks.borrow_mut().next());
    pipeline(next_chunk, validate_chunk, |(bytes, chunk)| {
        chunks.borrow_mut().reuse(std::mem::take(bytes));
        match chunk {
            Ok(results) => results.iter_mut().for_each(|r| sink.resource(&name, r)),
            Err(e) => {
                let message = format!("cannot read {}: {e}", path.display());
                sink.file_failed(&name, FileFailure { message }.into_outcome());
            }
        }
    });
    sink.file_end(&name);
}

/// An NDJSON file as chunks of whole lines of about `chunk_bytes`, each
/// with the number of its first line; a read error ends it. A line longer
/// than `max_line_bytes` is kept only to one byte past that (enough for
/// [`validate_line`] to refuse it), so memory stays bounded.
///
/// The file is read in large blocks straight into the chunk, and only the
/// newlines are looked for: reading it a line at a time through a buffer
/// copied every byte once more and was most of what the reading thread
/// did.
struct NdjsonChunks<R> {
    reader: R,
    chunk_bytes: usize,
    max_line_bytes: u64,
    lines_before: u32,
    /// Bytes read past the end of the last chunk: the start of the next.
    carry: Vec<u8>,
    /// Buffers of chunks already validated, to read the next ones into:
    /// memory already mapped and warm, where a new buffer cost a page
    /// fault every 4 KiB of the file on the reading thread.
    spare: Vec<Vec<u8>>,
    /// The line being read is over the limit: the rest of it, up to its
    /// newline, is dropped as it is read.
    skipping: bool,
    /// The end of the file was reached.
    at_end: bool,
    /// The last chunk has been given out.
    done: bool,
}

impl<R> NdjsonChunks<R> {
    fn new(reader: R, chunk_bytes: usize, max_line_bytes: u64) -> Self {
        NdjsonChunks {
            reader,
            chunk_bytes,
            max_line_bytes,
            lines_before: 0,
            carry: Vec::new(),
            spare: Vec::new(),
            skipping: false,
            at_end: false,
            done: false,
        }
    }
}

/// The least that is read at once: once a chunk is full, reads go on
/// only to the end of its last line, and what they bring past it is copied
/// to the next chunk, so they are kept short.
const READ_BLOCK: usize = 16 * 1024;
/// Chunk buffers kept for reuse: about as many as are in flight.
const SPARE_CHUNKS: usize = 16;

impl<R> NdjsonChunks<R> {
    /// Takes back a chunk's buffer once its lines are validated, unless
    /// enough are kept already or it grew past a few chunks' size (for an
    /// over-long line), so what is kept stays small.
    fn reuse(&mut self, mut buffer: Vec<u8>) {
        if self.spare.len() < SPARE_CHUNKS
            && buffer.capacity() <= 4 * (self.chunk_bytes + READ_BLOCK)
        {
            buffer.clear();
            self.spare.push(buffer);
        }
    }
}

impl<R: Read> NdjsonChunks<R> {
    /// Appends what is read next to `chunk`; while skipping the rest of an
    /// over-long line, drops it up to and without its newline. `false` at
    /// the end of the file.
    fn read_more(&mut self, chunk: &mut Vec<u8>) -> std::io::Result<bool> {
        let before = chunk.len();
        let want = self.chunk_bytes.saturating_sub(before).max(READ_BLOCK);
        let n = (&mut self.reader).take(want as u64).read_to_end(chunk)?;
        if n == 0 {
            return Ok(false);
        }
        if self.skipping {
            match memchr::memchr(b'\n', &chunk[before..]) {
                Some(i) => {
                    chunk.drain(before..before + i);
                    self.skipping = false;
                }
                None => chunk.truncate(before),
            }
        }
        Ok(true)
    }
}

impl<R: Read> Iterator for NdjsonChunks<R> {
    type Item = std::io::Result<(Vec<u8>, u32)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let first_line = self.lines_before;
        let max = usize::try_from(self.max_line_bytes.saturating_add(1)).unwrap_or(usize::MAX);
        let mut chunk = self.spare.pop().unwrap_or_default();
        chunk.reserve(self.carry.len() + self.chunk_bytes + READ_BLOCK);
        chunk.append(&mut self.carry);
        // `scanned`: bytes already looked at for newlines; `line`: where
        // the line being read starts.
        let (mut scanned, mut line) = (0, 0);
        loop {
            while let Some(i) = memchr::memchr(b'\n', &chunk[scanned..]) {
                let mut newline = scanned + i;
                if newline - line > max {
                    chunk.drain(line + max..newline);
                    newline = line + max;
                }
                self.lines_before += 1;
                line = newline + 1;
                scanned = line;
                // The chunk ends with the first line that reaches its size.
                if line >= self.chunk_bytes {
                    self.carry.extend_from_slice(&chunk[line..]);
                    chunk.truncate(line);
                    return Some(Ok((chunk, first_line)));
                }
            }
            scanned = chunk.len();
            if scanned - line > max {
                chunk.truncate(line + max);
                scanned = chunk.len();
                self.skipping = true;
            }
            if self.at_end {
                break;
            }
            match self.read_more(&mut chunk) {
                Ok(true) => {}
                Ok(false) => self.at_end = true,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        self.done = true;
        if line < chunk.len() {
            self.lines_before += 1; // the last line, without a newline
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
        let chunks: Vec<(Vec<u8>, u32)> = NdjsonChunks::new(&text[..], 8, 64)
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

    /// A reader that gives at most `.1` bytes a read, so lines span reads.
    struct Chunked<'t>(&'t [u8], usize);

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn ndjson_lines_over_the_limit_are_cut_one_byte_past_it() {
        let text = format!(
            "{{\"a\":1}}\n{}\n{{\"c\":3}}\n{}",
            "x".repeat(100),
            "y".repeat(50)
        );
        // in one read, and spread over many
        for read_size in [usize::MAX, 7, 1] {
            let chunks: Vec<(Vec<u8>, u32)> =
                NdjsonChunks::new(Chunked(text.as_bytes(), read_size), 1 << 20, 10)
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
                ],
                "reads of {read_size}"
            );
        }
    }

    #[test]
    fn ndjson_chunks_hold_every_line_once_whatever_the_read_and_chunk_sizes() {
        let lines: Vec<String> = (0..40)
            .map(|i| match i % 5 {
                0 => String::new(),
                1 => "z".repeat(30 + i),
                _ => format!("{{\"n\":{i}}}"),
            })
            .collect();
        for ending in ["", "\n"] {
            let text = lines.join("\n") + ending;
            for read_size in [1, 3, 64, usize::MAX] {
                for (chunk_bytes, reuse) in [1, 10, 100, 1 << 20]
                    .into_iter()
                    .flat_map(|c| [(c, false), (c, true)])
                {
                    // With `reuse`, each chunk's buffer is given back, not
                    // cleared, before the next is read, as the pipeline
                    // gives them back.
                    let mut reader =
                        NdjsonChunks::new(Chunked(text.as_bytes(), read_size), chunk_bytes, 40);
                    let mut chunks: Vec<(Vec<u8>, u32)> = Vec::new();
                    while let Some(chunk) = reader.next() {
                        let (bytes, first) = chunk.unwrap();
                        chunks.push((bytes.clone(), first));
                        if reuse {
                            reader.reuse(bytes);
                        }
                    }
                    let mut next_line = 0;
                    let mut joined = Vec::new();
                    for (bytes, first) in &chunks {
                        assert_eq!(*first, next_line, "{read_size}/{chunk_bytes}");
                        let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
                        next_line += body.split(|&b| b == b'\n').count() as u32;
                        joined.extend_from_slice(bytes);
                    }
                    let expected: String = lines
                        .iter()
                        .map(|l| &l[..l.len().min(41)])
                        .collect::<Vec<_>>()
                        .join("\n")
                        + ending;
                    assert_eq!(
                        String::from_utf8(joined).unwrap(),
                        expected,
                        "{read_size}/{chunk_bytes}"
                    );
                }
            }
        }
    }

    #[test]
    fn pipeline_delivers_every_result_in_order() {
        let mut seen = Vec::new();
        super::pipeline(0..100u32, |i| i * 2, |r| seen.push(*r));
        assert_eq!(seen, (0..100).map(|i| i * 2).collect::<Vec<_>>());
        let mut none = Vec::new();
        super::pipeline(std::iter::empty::<u32>(), |i| i, |r| none.push(*r));
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
