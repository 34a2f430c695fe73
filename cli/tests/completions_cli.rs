//! `conform completions SHELL` and `conform man`, generated from the clap
//! definitions: the scripts know the subcommands and their options, the
//! man pages render with the usual sections.

mod common;

use common::{run, stdout};

#[test]
fn bash_completion_knows_the_subcommands_and_options() {
    let out = run(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    let script = stdout(&out);
    assert!(
        script.contains("complete -F _conform"),
        "a bash completion function"
    );
    for word in [
        "validate",
        "baseline",
        "package",
        "rules",
        "fhirpath",
        "completions",
        "man",
    ] {
        assert!(script.contains(word), "mentions {word}");
    }
    // validate's own options, including the new ones.
    for option in ["--format", "--baseline", "--waivers", "--pack"] {
        assert!(script.contains(option), "mentions {option}");
    }
}

#[test]
fn every_shell_gets_a_script_naming_validate() {
    for (shell, marker) in [
        ("zsh", "#compdef conform"),
        ("fish", "complete -c conform"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: {marker}");
        assert!(script.contains("validate"), "{shell}");
    }
}

#[test]
fn the_man_page_renders() {
    let out = run(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = stdout(&out);
    assert!(
        page.starts_with(".ie"),
        "roff: {}",
        &page[..page.len().min(80)]
    );
    assert!(page.contains(".TH conform 1"), "title line");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "{section}");
    }
    assert!(
        page.contains("conform\\-validate(1)"),
        "the validate subcommand"
    );
}

#[test]
fn man_writes_a_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["man", "-o", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let validate = std::fs::read_to_string(dir.path().join("conform-validate.1")).unwrap();
    assert!(validate.contains(".TH conform-validate 1"));
    assert!(validate.contains("\\-\\-baseline"), "validate's options");
    assert!(
        validate.contains("conform validate"),
        "the synopsis names the command"
    );
    assert!(dir.path().join("conform-baseline-write.1").exists());
    assert!(dir.path().join("conform-package-install.1").exists());
    assert!(dir.path().join("conform.1").exists());
}
