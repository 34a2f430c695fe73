//! Human-readable text, streamed file by file as results arrive.

use conform_outcome::validate::{
    replay, MustSupportReport, ResourceResult, Sink, Summary, ValidationReport,
};
use conform_outcome::{Outcome, Severity, Triage};
use std::fmt::Write as _;
use std::io::Write;

#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    /// ANSI colours (the CLI turns them off for `NO_COLOR` and non-terminals).
    pub color: bool,
    /// Also list information findings (codes not checked offline...).
    pub show_information: bool,
}

/// Writes findings grouped by file, then a one-line summary ([`Self::finish`]).
pub struct TextSink<W: Write> {
    out: W,
    opts: TextOptions,
    pub summary: Summary,
    header_written: bool,
    current: String,
    /// The run's Must-Support population, written before the summary.
    must_support: Option<MustSupportReport>,
    /// A finding's place (`line:column`), written again for each.
    place: String,
}

impl<W: Write> TextSink<W> {
    pub fn new(out: W, opts: TextOptions) -> Self {
        TextSink {
            out,
            opts,
            summary: Summary::default(),
            header_written: false,
            current: String::new(),
            must_support: None,
            place: String::new(),
        }
    }

    fn paint(&self, code: &'static str, s: &str) -> String {
        Painted(self.opts.color.then_some(code), s).to_string()
    }

    fn header(&mut self) {
        if !self.header_written {
            let h = self.paint("1", &self.current.clone());
            let _ = writeln!(self.out, "{h}");
            self.header_written = true;
        }
    }

    /// One finding's line, written straight to the output: a report of
    /// many findings spent more on building each part as a string of its
    /// own than on anything else it did with them.
    fn finding(&mut self, f: &Outcome) {
        let (color, label) = match f.severity {
            Severity::Fatal => ("1;31", "fatal"),
            Severity::Error => ("31", "error"),
            Severity::Warning => ("33", "warning"),
            Severity::Information => ("34", "info"),
        };
        let paint = |code: &'static str| self.opts.color.then_some(code);
        // the place is right-aligned as one field
        self.place.clear();
        let _ = write!(self.place, "{}:{}", f.line(), f.column());
        let sev = Painted(paint(color), format_args!("{label:<7}"));
        let _ = write!(self.out, "  {:>8}  {sev} ", self.place);
        if !f.expression().is_empty() {
            let _ = write!(self.out, "{} ", Painted(paint("36"), f.expression()));
        }
        let rule = Painted(paint("2"), format_args!("[{}]", f.rule));
        let _ = writeln!(self.out, "{} {rule}", Marked(f));
    }

    fn failure(&mut self, f: &Outcome) {
        self.summary.unreadable += 1;
        self.header();
        let label = self.paint("1;31", "fatal  ");
        let _ = writeln!(self.out, "  {:>8}  {label} {}", "", Marked(f));
    }

    /// Writes a collected report, marking what a baseline or waivers made of
    /// each finding.
    pub fn write_report(&mut self, report: &ValidationReport) {
        replay(report, self);
    }

    /// The Must-Support section: one line per profile, shown whether or
    /// not information findings are (it was asked for by itself).
    fn must_support_section(&mut self) {
        let Some(report) = self.must_support.take() else {
            return;
        };
        let title = self.paint("1", "Must-Support population");
        let _ = writeln!(self.out, "{title}");
        if report.profiles.is_empty() {
            let _ = writeln!(self.out, "  no resource was validated against a profile");
        }
        for o in report.outcomes() {
            let label = match o.status {
                conform_outcome::Status::Pass => self.paint("32", "complete"),
                _ => self.paint("33", "partial "),
            };
            let rule = self.paint("2", &format!("[{}]", o.rule));
            let _ = writeln!(self.out, "  {label} {} {rule}", o.message);
        }
    }

    /// Writes the summary line and returns the writer.
    pub fn finish(mut self) -> W {
        self.must_support_section();
        let s = self.summary;
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let mut line = format!(
            "Validated {} ({}): {}, {}",
            plural(s.files, "file"),
            plural(s.resources, "resource"),
            plural(s.errors, "error"),
            plural(s.warnings, "warning"),
        );
        if s.information > 0 {
            line.push_str(&format!(", {} information", s.information));
        }
        if s.codes_verified > 0 {
            line.push_str(&format!(
                "; {} decided by the terminology server",
                plural(s.codes_verified, "code")
            ));
        }
        if s.unverified > 0 {
            line.push_str(&format!(" ({} not checked)", plural(s.unverified, "code")));
        }
        if s.unreadable > 0 {
            line.push_str(&format!(
                "; {} could not be read",
                plural(s.unreadable, "file")
            ));
        }
        let color = if s.errors > 0 || s.unreadable > 0 {
            "1;31"
        } else if s.warnings > 0 {
            "1;33"
        } else {
            "1;32"
        };
        let line = self.paint(color, &line);
        let _ = writeln!(self.out, "{line}");
        let _ = self.out.flush();
        self.out
    }
}

/// The message, with what a baseline or waivers made of it.
struct Marked<'a>(&'a Outcome);

impl std::fmt::Display for Marked<'_> {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let message = &self.0.message;
        match &self.0.triage {
            Some(Triage::Baselined) => write!(out, "{message} (in baseline)"),
            Some(Triage::Waived { justification }) => {
                write!(out, "{message} (waived: {justification})")
            }
            Some(Triage::Expired { justification }) => {
                write!(out, "{message} (waiver expired: {justification})")
            }
            Some(Triage::New) | None => out.write_str(message),
        }
    }
}

/// `T` in an ANSI colour (`None`: as it is).
struct Painted<T>(Option<&'static str>, T);

impl<T: std::fmt::Display> std::fmt::Display for Painted<T> {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(code) => write!(out, "\x1b[{code}m{}\x1b[0m", self.1),
            None => write!(out, "{}", self.1),
        }
    }
}

impl<W: Write> Sink for TextSink<W> {
    fn file_start(&mut self, name: &str) {
        self.summary.files += 1;
        self.current = name.to_string();
        self.header_written = false;
    }

    fn resource(&mut self, _name: &str, result: &mut ResourceResult) {
        self.summary.add(result);
        let shown: Vec<&Outcome> = result
            .findings
            .iter()
            .filter(|f| self.opts.show_information || f.severity != Severity::Information)
            .collect();
        if shown.is_empty() {
            return;
        }
        self.header();
        for f in shown {
            self.finding(f);
        }
    }

    fn file_failed(&mut self, _name: &str, failure: Outcome) {
        self.failure(&failure);
    }

    fn file_end(&mut self, _name: &str) {
        let _ = self.out.flush();
    }

    fn must_support(&mut self, report: &MustSupportReport) {
        self.must_support
            .get_or_insert_with(Default::default)
            .add(report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use conform_outcome::{IssueCode, Location};

    /// A finding's line in colour: each part painted on its own, the
    /// padding inside the colour, a triage mark after the message.
    #[test]
    fn a_finding_in_colour_paints_each_part() {
        let mut f = Outcome::finding(
            Severity::Error,
            IssueCode::Invariant,
            "pat-1",
            Location::payload("Patient.contact[0]".into(), 12, 7),
            "Constraint failed",
        );
        f.triage = Some(Triage::Baselined);
        let mut sink = TextSink::new(
            Vec::new(),
            TextOptions {
                color: true,
                show_information: false,
            },
        );
        sink.finding(&f);
        f.location.expression = None;
        f.triage = None;
        f.severity = Severity::Warning;
        sink.finding(&f);
        let text = String::from_utf8(sink.out).expect("text");
        assert_eq!(
            text,
            "      12:7  \x1b[31merror  \x1b[0m \x1b[36mPatient.contact[0]\x1b[0m Constraint failed (in baseline) \x1b[2m[pat-1]\x1b[0m\n\
             \x20     12:7  \x1b[33mwarning\x1b[0m Constraint failed \x1b[2m[pat-1]\x1b[0m\n"
        );
    }
}
