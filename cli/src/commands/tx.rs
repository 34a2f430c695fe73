//! `conform tx`: the terminology cache (stats, prune, export) and direct
//! questions to the terminology server (lookup, expand).

use crate::exit::{Code, Failure, Outcome};
use crate::output;
use conform_setup::Settings;
use conform_terminology::TxCache;
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand)]
pub enum Command {
    /// The terminology cache (--tx-cache DIR, [terminology] cache, or
    /// conform's cache folder/tx).
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Look a code up on the terminology server ($lookup): display,
    /// designations, whether it is inactive.
    Lookup {
        system: String,
        code: String,
        #[arg(long)]
        version: Option<String>,
    },
    /// Expand a value set on the terminology server ($expand).
    Expand {
        url: String,
        /// At most this many codes.
        #[arg(long, default_value_t = 100)]
        count: usize,
    },
}

#[derive(clap::Subcommand)]
pub enum CacheCommand {
    /// How many answers, from which servers, of which verdicts, how old.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Remove answers older than a duration (30d, 12h) or from other servers.
    Prune {
        #[arg(long, value_name = "DURATION")]
        older_than: Option<String>,
        /// Keep only this server's answers.
        #[arg(long, value_name = "URL")]
        keep_server: Option<String>,
    },
    /// Every answer as JSON lines (question, answer, server version, time).
    Export {
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub fn run(settings: &Settings, cmd: &Command) -> Outcome {
    match cmd {
        Command::Cache(c) => cache(&cache_dir(settings), c),
        Command::Lookup {
            system,
            code,
            version,
        } => {
            let t = client(settings)?;
            let endpoint = t.endpoint().ok_or_else(|| {
                Failure::usage(
                    "--tx-replay answers validation from the cache; lookup needs the server",
                )
            })?;
            let found = conform_terminology::lookup(endpoint, system, code, version.as_deref())
                .map_err(|e| Failure::infrastructure(format!("{}: {e}", t.server())))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&found).unwrap_or_default()
            );
            Ok(Code::Pass)
        }
        Command::Expand { url, count } => {
            let t = client(settings)?;
            let endpoint = t.endpoint().ok_or_else(|| {
                Failure::usage(
                    "--tx-replay answers validation from the cache; expand needs the server",
                )
            })?;
            let codes = conform_terminology::expand(endpoint, url, *count)
                .map_err(|e| Failure::infrastructure(format!("{}: {e}", t.server())))?;
            for (system, code, display) in codes {
                println!("{system}\t{code}\t{}", display.unwrap_or_default());
            }
            Ok(Code::Pass)
        }
    }
}

/// One line on standard error after a run that asked a terminology server:
/// what was asked, and where the answers came from.
pub fn note(settings: &Settings) {
    let Ok(Some(t)) = settings.code_checker() else {
        return;
    };
    let s = t.stats();
    let mode = if t.is_replay() { " (replay)" } else { "" };
    eprintln!(
        "conform: terminology {}{mode}: {} questions; {} answered earlier in the run, {} from the cache, {} asked in {} requests; {} not checked",
        t.server(),
        s.questions,
        s.from_run,
        s.from_cache,
        s.asked,
        s.requests,
        s.not_checked
    );
}

fn client(
    settings: &Settings,
) -> Result<std::sync::Arc<conform_terminology::Terminology>, Failure> {
    settings.code_checker()?.ok_or_else(|| {
        Failure::usage("no terminology server: give --tx URL or [terminology] url in conform.toml")
    })
}

fn cache_dir(settings: &Settings) -> PathBuf {
    settings
        .terminology
        .cache
        .clone()
        .unwrap_or_else(|| conform_validate::plan::cache::default_dir().join("tx"))
}

fn cache(dir: &Path, cmd: &CacheCommand) -> Outcome {
    let cache = TxCache::open_existing(dir).map_err(Failure::usage)?;
    match cmd {
        CacheCommand::Stats { json } => {
            let s = cache.stats().map_err(Failure::usage)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
                return Ok(Code::Pass);
            }
            println!("{} ({} bytes): {} answers", s.file, s.bytes, s.answers);
            for (server, n) in &s.by_server {
                let version = s
                    .servers
                    .get(server)
                    .and_then(|i| i.software_version.as_deref())
                    .map(|v| format!(", server version {v}"))
                    .unwrap_or_default();
                println!("  {server}: {n}{version}");
            }
            for (verdict, n) in &s.by_verdict {
                println!("  {verdict}: {n}");
            }
            if let (Some(o), Some(n)) = (s.oldest, s.newest) {
                println!("  stored between {} and {}", time(o), time(n));
            }
            Ok(Code::Pass)
        }
        CacheCommand::Prune {
            older_than,
            keep_server,
        } => {
            let before = older_than
                .as_deref()
                .map(|d| {
                    age_seconds(d)
                        .map(|age| conform_terminology::cache::now() - age)
                        .ok_or_else(|| {
                            Failure::usage(format!(
                                "--older-than '{d}' is not a duration (30d, 12h, 90m)"
                            ))
                        })
                })
                .transpose()?;
            if before.is_none() && keep_server.is_none() {
                return Err(Failure::usage(
                    "say what to prune: --older-than DURATION and/or --keep-server URL",
                ));
            }
            let n = cache
                .prune(before, keep_server.as_deref())
                .map_err(Failure::usage)?;
            eprintln!("conform: removed {n} answers; {} left", cache.len());
            Ok(Code::Pass)
        }
        CacheCommand::Export { output: out } => {
            let mut text = String::new();
            for e in cache.entries().map_err(Failure::usage)? {
                text.push_str(&serde_json::to_string(&e).unwrap_or_default());
                text.push('\n');
            }
            output::write(out.as_deref(), &text)?;
            Ok(Code::Pass)
        }
    }
}

/// `30d`, `12h`, `90m`, `45s` in seconds.
fn age_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let n: i64 = text[..split].parse().ok()?;
    let unit = match &text[split..] {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return None,
    };
    n.checked_mul(unit)
}

fn time(epoch: i64) -> String {
    conform_terminology::cache::format_time(epoch)
}
