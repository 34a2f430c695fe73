//! Validation with a progress bar on standard error, for long runs on a
//! terminal: the sink passed on ticks the bar per file.

use conform_outcome::validate::{ResourceResult, Sink};
use conform_outcome::Outcome;
use conform_validate::{Input, InputError, Validator};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// Reports the paths that named nothing, then validates the inputs into
/// `sink`, showing progress when there are many files.
pub fn validate(
    validator: &Validator,
    inputs: &[Input],
    shard: conform_validate::Shard,
    input_errors: &[InputError],
    sink: &mut dyn Sink,
) {
    let bar = progress_bar(inputs.len());
    for e in input_errors {
        e.report(sink);
    }
    conform_validate::validate_shard(
        validator,
        inputs,
        shard,
        &mut Progress {
            inner: sink,
            bar: &bar,
        },
    );
    bar.finish_and_clear();
}

/// Hidden for short runs and when standard error is not a terminal.
fn progress_bar(files: usize) -> ProgressBar {
    if files < 50 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(files as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} validating {pos}/{len} files {wide_bar} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Passes results on and ticks the progress bar per file.
struct Progress<'a> {
    inner: &'a mut dyn Sink,
    bar: &'a ProgressBar,
}

impl Sink for Progress<'_> {
    fn file_start(&mut self, name: &str) {
        self.inner.file_start(name);
    }
    fn resource(&mut self, name: &str, result: &mut ResourceResult) {
        self.inner.resource(name, result);
    }
    fn file_failed(&mut self, name: &str, failure: Outcome) {
        self.inner.file_failed(name, failure);
    }
    fn file_end(&mut self, name: &str) {
        self.bar.inc(1);
        self.inner.file_end(name);
    }
    fn must_support(&mut self, report: &conform_outcome::validate::MustSupportReport) {
        self.inner.must_support(report);
    }
}
