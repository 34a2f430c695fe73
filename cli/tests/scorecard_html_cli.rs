//! The HTML scorecard rendered in a real headless browser (Debian's
//! chromium, installed on first use) with its charts, and a screenshot under
//! target/scorecard-html/.

mod common;

use common::scorecard::{scorecard, scorecard_at};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian's chromium, installed on first use (a fresh machine has none).
fn chromium() -> PathBuf {
    conform_peers::chromium_binary().unwrap_or_else(|e| panic!("the HTML scorecard test: {e}"))
}

fn headless(profile: &Path) -> Command {
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// Runs chromium, killing it after two minutes (a hung browser must fail
/// the test, not the CI run), and returns its standard output. Output goes
/// through files, so a large DOM never blocks on a full pipe.
fn finish(mut cmd: Command, what: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let (out, err) = (tmp.path().join("out"), tmp.path().join("err"));
    let mut child = cmd
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("chromium {what} does not start: {e}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {what} did not finish in 120 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    assert!(status.success(), "chromium {what} failed: {}", read(&err));
    read(&out)
}

#[test]
fn html_renders_in_headless_chromium_with_its_charts() {
    let dir = common::root().join("target/scorecard-html");
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("scorecard.html");
    // With a history of two runs, so the trend chart has lines.
    let tmp = tempfile::tempdir().unwrap();
    let history = tmp.path().join("h.redb");
    let h = history.to_str().unwrap();
    let first = scorecard_at("2026-11-01", &["--history", h, "--format", "json"]);
    assert_eq!(first.status.code(), Some(1), "{}", common::stderr(&first));
    let out = scorecard(&[
        "--history",
        h,
        "--format",
        "html",
        "-o",
        html.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let page = std::fs::read_to_string(&html).unwrap();
    // Self-contained: nothing fetched from anywhere.
    for needle in ["<script", "<link", "src=\"http", "url(http", "@import"] {
        assert!(!page.contains(needle), "the page refers to {needle}");
    }

    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", html.display());
    let mut cmd = headless(profile.path());
    cmd.arg("--dump-dom").arg(&url);
    let dom = finish(cmd, "--dump-dom");
    assert!(
        dom.contains("<svg class=\"chart levels\""),
        "no levels chart in the DOM"
    );
    assert_eq!(
        dom.matches("class=\"level-bar\"").count(),
        5,
        "one level bar per region"
    );
    assert_eq!(dom.matches("<svg class=\"chart dimensions\"").count(), 5);
    assert!(dom.contains("<svg class=\"chart trend\""), "no trend chart");
    assert_eq!(dom.matches("class=\"trend-line\"").count(), 5);
    // Two runs: every line has two points, the runs' dates on the axis.
    assert_eq!(dom.matches("<circle ").count(), 10);
    assert!(dom.contains(">2026-11-01</text>") && dom.contains(">2026-11-29</text>"));
    for r in [
        "north-moor",
        "river-vale",
        "east-fen",
        "west-weald",
        "south-downs",
    ] {
        assert!(
            dom.contains(&format!("id=\"region-{r}\"")),
            "no section for {r}"
        );
    }
    assert!(dom.contains("4 of 5 at L1 MVS 1.0 or above"));

    let png = dir.join("scorecard.png");
    let _ = std::fs::remove_file(&png);
    let mut cmd = headless(profile.path());
    cmd.arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,2000")
        .arg(&url);
    finish(cmd, "--screenshot");
    let bytes = std::fs::read(&png).expect("a screenshot was written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // A blank page compresses to a few KiB; charts and tables do not.
    assert!(
        bytes.len() > 30_000,
        "screenshot is only {} bytes",
        bytes.len()
    );

    // Printed: the roll-up, then each region from a fresh page.
    let pdf = dir.join("scorecard.pdf");
    let _ = std::fs::remove_file(&pdf);
    let mut cmd = headless(profile.path());
    cmd.arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(&url);
    finish(cmd, "--print-to-pdf");
    let bytes = std::fs::read(&pdf).expect("a PDF was written");
    assert!(bytes.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&bytes);
    let pages = text
        .match_indices("/Count ")
        .filter_map(|(i, _)| {
            let digits: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            digits.parse::<usize>().ok()
        })
        .max()
        .unwrap_or(0);
    assert!(
        pages >= 6,
        "{pages} printed pages: expected the roll-up and a page per region at least"
    );
}
