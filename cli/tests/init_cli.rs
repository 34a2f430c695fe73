//! `conform init` and the CI templates under ci/: the scaffolded files are
//! pinned, the scaffolded conform.toml drives a real validation, the
//! regions.yaml parses as conform-endpoint reads it, and each platform's CI
//! file is parsed and its shell steps run against the fixtures with a
//! `conform` on the PATH (no hosted CI needed).

mod common;

use common::{command_in, root, stderr, stdout};
use serde_yaml_ng::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn init(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["init", "--dir", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    command_in(&root(), &all).output().unwrap()
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn init_writes_the_commented_templates() {
    let dir = tempfile::tempdir().unwrap();
    let out = init(dir.path(), &["--ci", "github"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out).replace(dir.path().to_str().unwrap(), "[dir]");
    insta::assert_snapshot!("init_github_stdout", shown);
    insta::assert_snapshot!("init_conform_toml", read(dir.path(), "conform.toml"));
    insta::assert_snapshot!("init_regions_yaml", read(dir.path(), "regions.yaml"));
    insta::assert_snapshot!(
        "init_github_workflow",
        read(dir.path(), ".github/workflows/conform.yml")
    );
    // The files are the templates committed under ci/, as they are.
    assert_eq!(
        read(dir.path(), ".github/workflows/conform.yml"),
        read(&root(), "ci/github/conform.yml")
    );
    assert_eq!(
        read(dir.path(), "conform.toml"),
        read(&root(), "ci/conform.toml")
    );

    let gitlab = tempfile::tempdir().unwrap();
    assert_eq!(
        init(gitlab.path(), &["--ci", "gitlab"]).status.code(),
        Some(0)
    );
    insta::assert_snapshot!("init_gitlab_ci", read(gitlab.path(), ".gitlab-ci.yml"));
    let azure = tempfile::tempdir().unwrap();
    assert_eq!(
        init(azure.path(), &["--ci", "azure"]).status.code(),
        Some(0)
    );
    insta::assert_snapshot!(
        "init_azure_pipelines",
        read(azure.path(), "azure-pipelines.yml")
    );
}

/// `--shards N` writes the platform's sharded template where the one-job
/// file would go, with N in the one line that sets the count and nothing
/// else changed.
#[test]
fn init_shards_writes_the_sharded_template_with_its_count() {
    let cases = [
        (
            "github",
            ".github/workflows/conform.yml",
            "ci/github/conform-shards.yml",
            ("shard: [1, 2, 3, 4]", "shard: [1, 2, 3, 4, 5, 6, 7]"),
        ),
        (
            "gitlab",
            ".gitlab-ci.yml",
            "ci/gitlab/conform-shards.gitlab-ci.yml",
            ("parallel: 4", "parallel: 7"),
        ),
        (
            "azure",
            "azure-pipelines.yml",
            "ci/azure/azure-pipelines-shards.yml",
            ("parallel: 4", "parallel: 7"),
        ),
    ];
    for (platform, written, template, (committed, seven)) in cases {
        let dir = tempfile::tempdir().unwrap();
        let out = init(dir.path(), &["--ci", platform, "--shards", "7"]);
        assert_eq!(out.status.code(), Some(0), "{platform}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("7 parallel shards"),
            "{}",
            stdout(&out)
        );
        let template = read(&root(), template);
        let expected = template.replacen(committed, seven, 1);
        assert_ne!(
            expected, template,
            "{platform}: the count line is in the template"
        );
        assert_eq!(read(dir.path(), written), expected, "{platform}");
    }
    // The count as each platform reads it.
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        init(dir.path(), &["--ci", "github", "--shards", "12"])
            .status
            .code(),
        Some(0)
    );
    let matrix = &yaml(dir.path(), ".github/workflows/conform.yml")["jobs"]["validate"]["strategy"]
        ["matrix"]["shard"];
    let shards: Vec<u64> = matrix
        .as_sequence()
        .unwrap()
        .iter()
        .map(|k| k.as_u64().unwrap())
        .collect();
    assert_eq!(shards, (1..=12).collect::<Vec<u64>>());

    // One shard is the one-job template; a count needs a platform.
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--ci", "gitlab", "--shards", "1"][..],
        &["--ci", "azure", "--shards", "201"],
        &["--shards", "4"],
    ] {
        let out = init(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn init_does_not_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(init(dir.path(), &[]).status.code(), Some(0));
    std::fs::write(dir.path().join("conform.toml"), "# mine\n").unwrap();
    let out = init(dir.path(), &["--ci", "gitlab"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not overwriting"), "{}", stderr(&out));
    assert_eq!(read(dir.path(), "conform.toml"), "# mine\n");
    assert!(
        !dir.path().join(".gitlab-ci.yml").exists(),
        "nothing written"
    );
    assert_eq!(init(dir.path(), &["--force"]).status.code(), Some(0));
    assert_ne!(read(dir.path(), "conform.toml"), "# mine\n");
}

#[test]
fn the_scaffolded_config_drives_validation_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(init(dir.path(), &[]).status.code(), Some(0));
    // Run in the new project, so conform finds its conform.toml there.
    let valid = root().join("fixtures/valid");
    let out = command_in(dir.path(), &["validate", "-v", valid.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let log = stderr(&out);
    assert!(
        log.contains(&format!(
            "using config {}",
            dir.path().join("conform.toml").display()
        )),
        "{log}"
    );
    assert!(
        log.contains("using pack uk-core"),
        "the config's pack: {log}"
    );
    // The pack's national rules apply without --pack.
    let bad = root().join("fixtures/invalid/uk-core/patient-nhs-number-bad-check-digit.json");
    let out = command_in(dir.path(), &["validate", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("[nhs-number-check-digit]"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_scaffolded_regions_file_is_read_by_conform_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(init(dir.path(), &[]).status.code(), Some(0));
    let regions = conform_endpoint::RegionsFile::load(&dir.path().join("regions.yaml"))
        .expect("regions.yaml loads");
    assert_eq!(regions.regions.len(), 1);
    let r = regions.region("my-ics").unwrap();
    assert!(r.base_url.starts_with("https://"));
    assert!(matches!(
        r.auth,
        conform_endpoint::AuthConfig::ClientCredentials { .. }
    ));
}

// ---- the CI templates, run here ----

/// One template's shell steps in order, and the variables it sets.
struct Pipeline {
    variables: BTreeMap<String, String>,
    scripts: Vec<String>,
}

/// The CI file `conform init` wrote into the project.
fn yaml(project: &Path, path: &str) -> Value {
    serde_yaml_ng::from_str(&read(project, path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn strings(map: &Value) -> BTreeMap<String, String> {
    map.as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.as_str().unwrap().to_string(),
                        v.as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn github(project: &Path) -> Pipeline {
    let doc = yaml(project, ".github/workflows/conform.yml");
    let steps = doc["jobs"]["conform"]["steps"].as_sequence().unwrap();
    Pipeline {
        variables: strings(&doc["env"]),
        scripts: steps
            .iter()
            .filter_map(|s| s["run"].as_str().map(str::to_string))
            .collect(),
    }
}

/// The sharded template: the `validate` job's steps once per shard of its
/// matrix (in one folder, where the artifacts would be; `strategy.job-total`
/// is the matrix's length), then `merge`'s.
fn github_shards(project: &Path) -> Pipeline {
    let doc = yaml(project, ".github/workflows/conform.yml");
    let runs = |job: &str| -> Vec<String> {
        doc["jobs"][job]["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|s| s["run"].as_str().map(str::to_string))
            .collect()
    };
    let shards = doc["jobs"]["validate"]["strategy"]["matrix"]["shard"]
        .as_sequence()
        .unwrap();
    let total = shards.len().to_string();
    let mut scripts = Vec::new();
    for shard in shards {
        let k = shard.as_u64().unwrap().to_string();
        scripts.extend(runs("validate").iter().map(|r| {
            r.replace("${{ matrix.shard }}", &k)
                .replace("${{ strategy.job-total }}", &total)
        }));
    }
    scripts.extend(runs("merge"));
    Pipeline {
        variables: strings(&doc["env"]),
        scripts,
    }
}

fn gitlab(project: &Path) -> Pipeline {
    let doc = yaml(project, ".gitlab-ci.yml");
    let job = &doc["conform"];
    let lines = |key: &str| -> Vec<String> {
        job[key]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect()
    };
    // GitLab runs before_script and script in one shell, stopping at the
    // first failing line.
    let mut all = vec!["set -e".to_string()];
    all.extend(lines("before_script"));
    all.extend(lines("script"));
    Pipeline {
        variables: strings(&job["variables"]),
        scripts: vec![all.join("\n")],
    }
}

/// The sharded GitLab template: `conform-shard` once per `parallel:` node
/// (`CI_NODE_INDEX`/`CI_NODE_TOTAL` as GitLab sets them), then
/// `conform-merge`, each as GitLab runs a job: before_script and script in
/// one shell, stopping at the first failing line.
fn gitlab_shards(project: &Path) -> Pipeline {
    let doc = yaml(project, ".gitlab-ci.yml");
    let lines = |job: &str, key: &str| -> Vec<String> {
        let own = &doc[job][key];
        let list = if own.is_sequence() {
            own
        } else {
            &doc[".conform"][key]
        };
        list.as_sequence()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect()
    };
    let job = |name: &str| -> String {
        let mut all = vec!["set -e".to_string()];
        all.extend(lines(name, "before_script"));
        all.extend(lines(name, "script"));
        all.join("\n")
    };
    let nodes = doc["conform-shard"]["parallel"].as_u64().unwrap();
    let mut scripts: Vec<String> = (1..=nodes)
        .map(|k| {
            format!(
                "export CI_NODE_INDEX={k} CI_NODE_TOTAL={nodes}\n{}",
                job("conform-shard")
            )
        })
        .collect();
    scripts.push(job("conform-merge"));
    Pipeline {
        variables: strings(&doc["variables"]),
        scripts,
    }
}

fn azure(project: &Path) -> Pipeline {
    let doc = yaml(project, "azure-pipelines.yml");
    let mut scripts = Vec::new();
    for step in doc["steps"].as_sequence().unwrap() {
        if let Some(script) = step["bash"].as_str() {
            let mut script = script.to_string();
            // A step's env: maps pipeline variables into the script.
            for (k, v) in strings(&step["env"]) {
                script = format!("export {k}=\"{v}\"\n{script}");
            }
            scripts.push(script);
        }
    }
    Pipeline {
        variables: strings(&doc["variables"]),
        scripts,
    }
}

/// The sharded Azure template: the `validate` job's bash steps once per
/// agent of its `strategy: parallel` (with the position and count Azure
/// gives it), then the `merge` job's.
fn azure_shards(project: &Path) -> Pipeline {
    let doc = yaml(project, "azure-pipelines.yml");
    let jobs = doc["jobs"].as_sequence().unwrap();
    let job = |name: &str| jobs.iter().find(|j| j["job"] == name).unwrap();
    let bash = |job: &Value| -> Vec<String> {
        job["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|step| {
                let mut script = step["bash"].as_str()?.to_string();
                for (k, v) in strings(&step["env"]) {
                    script = format!("export {k}=\"{v}\"\n{script}");
                }
                Some(script)
            })
            .collect()
    };
    let agents = job("validate")["strategy"]["parallel"].as_u64().unwrap();
    let mut scripts = Vec::new();
    for k in 1..=agents {
        scripts.extend(bash(job("validate")).iter().map(|s| {
            s.replace("$(System.JobPositionInPhase)", &k.to_string())
                .replace("$(System.TotalJobsInPhase)", &agents.to_string())
        }));
    }
    scripts.extend(bash(job("merge")));
    Pipeline {
        variables: strings(&doc["variables"]),
        scripts,
    }
}

/// A folder with a `conform` that runs the binary under test offline on
/// the shared test packages, as installed in CI. No registry is reachable
/// here, so `package install ID#VERSION` imports that package's .tgz from
/// the shared test data instead (the same bytes the registry serves).
fn conform_on_path(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let wrapper = bin.join("conform");
    let exe = env!("CARGO_BIN_EXE_conform");
    let packages = conform_testdata::packages_dir();
    let packages = packages.display();
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n\
             if [ \"$1\" = package ] && [ \"$2\" = install ]; then\n\
             \x20 exec '{exe}' --offline package import \"{packages}/$(echo \"$3\" | tr '#' '-').tgz\"\n\
             fi\n\
             exec '{exe}' --offline --package-source '{packages}' \"$@\"\n"
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

struct RunResult {
    /// The exit code the pipeline ends with.
    code: i32,
    dir: tempfile::TempDir,
    log: String,
}

/// A region to probe: its name, the regions.yaml that defines it, and the
/// scenario files to run against it (relative to the project).
type ProbeRegion<'a> = Option<(&'a str, &'a str, &'a str)>;

/// Reads the CI file `conform init` wrote into a project as its platform
/// would run it.
type Parse = fn(&Path) -> Pipeline;

/// How a template is run: its platform, what else `conform init` is given
/// (`--shards N`), and how the platform reads the file it writes.
#[derive(Clone, Copy)]
struct Template<'a> {
    platform: &'a str,
    init: &'a [&'a str],
    parse: Parse,
}

/// Scaffolds a project with `conform init --ci PLATFORM`, points PAYLOADS at
/// `payloads`, and runs the shell steps of the CI file init wrote in order,
/// substituting what the platform would (its expressions and macros), until
/// one fails.
fn run_pipeline(template: Template<'_>, payloads: &Path, region: ProbeRegion<'_>) -> RunResult {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path();
    let platform = template.platform;
    let mut args = vec!["--ci", platform];
    args.extend_from_slice(template.init);
    let out = init(project, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pipeline = (template.parse)(project);
    if let Some((_, regions, _)) = region {
        std::fs::write(project.join("regions.yaml"), regions).unwrap();
        std::fs::write(project.join("smoke.yaml"), SMOKE_SCENARIO).unwrap();
    }
    let region_name = region.map_or("", |r| r.0);
    let scenarios = region.map_or("", |r| r.2);
    let bin = conform_on_path(&project.join(".tools"));
    let workspace = project.to_str().unwrap();
    let expand = |s: &str, outputs: &BTreeMap<String, String>| -> String {
        let mut s = s
            .replace("${{ github.workspace }}", workspace)
            .replace("${{ vars.CONFORM_GIT }}", "")
            .replace("${{ vars.CONFORM_REGION }}", region_name)
            .replace("${{ vars.CONFORM_SCENARIOS }}", scenarios)
            .replace("${{ vars.CONFORM_SCENARIO_FLAGS }}", "")
            .replace("${{ vars.CONFORM_SCORECARD_GATE }}", "")
            .replace("${{ inputs.flags || vars.CONFORM_FLAGS }}", "")
            .replace("${{ vars.CONFORM_FLAGS }}", "")
            .replace("$(Pipeline.Workspace)", workspace)
            .replace("$(CONFORM_GIT)", "")
            .replace("$CI_PROJECT_DIR", workspace);
        for (k, v) in outputs {
            s = s
                .replace(&format!("${{{{ steps.validate.outputs.{k} }}}}"), v)
                .replace(&format!("${{{{ steps.merge.outputs.{k} }}}}"), v)
                .replace(&format!("$({k})"), v);
        }
        s
    };
    let mut outputs = BTreeMap::new();
    let mut log = String::new();
    let github_output = project.join(".github-output");
    for script in &pipeline.scripts {
        let script = expand(script, &outputs);
        let mut cmd = Command::new("bash");
        // GitHub runs `bash -e`; Azure and GitLab (set -e above) as written.
        if platform == "github" {
            cmd.arg("-e");
        }
        cmd.arg("-c").arg(&script).current_dir(project);
        for (k, v) in &pipeline.variables {
            cmd.env(k, expand(v, &outputs));
        }
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
        let out = cmd
            .env("PAYLOADS", payloads)
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .env_remove("CONFORM_PACKAGE_SOURCE")
            .env("GITHUB_OUTPUT", &github_output)
            .env("CONFORM_REGION", region_name)
            .env("CONFORM_SCENARIOS", scenarios)
            .output()
            .unwrap();
        let text = stdout(&out);
        log.push_str(&format!("$ {script}\n{text}{}\n", stderr(&out)));
        // Outputs a later step reads: GitHub's step outputs, Azure's
        // task.setvariable.
        if let Ok(o) = std::fs::read_to_string(&github_output) {
            for line in o.lines() {
                if let Some((k, v)) = line.split_once('=') {
                    outputs.insert(k.to_string(), v.to_string());
                }
            }
        }
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("##vso[task.setvariable variable=") {
                if let Some((k, v)) = rest.split_once(']') {
                    outputs.insert(k.to_string(), v.to_string());
                }
            }
        }
        let code = out.status.code().unwrap_or(-1);
        if code != 0 {
            return RunResult { code, dir, log };
        }
    }
    RunResult { code: 0, dir, log }
}

fn check_reports(r: &RunResult, errors: usize) {
    let project = r.dir.path();
    let junit = read(project, "conform-junit.xml");
    let doc = roxmltree::Document::parse(&junit).expect("JUnit XML");
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(failures, errors, "{}", r.log);
    let sarif: serde_json::Value = serde_json::from_str(&read(project, "conform.sarif")).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let evidence: serde_json::Value =
        serde_json::from_str(&read(project, "conform-evidence.json")).unwrap();
    assert_eq!(evidence["schema"], "conform.validate/1");
    assert!(
        evidence["packages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().starts_with("fhir.r4.ukcore")),
        "the scaffolded config's pack loads UK Core: {}",
        evidence["packages"]
    );
    // The FHIR packages went into the cache the pipeline caches.
    assert!(
        project.join(".fhir-packages").read_dir().unwrap().count() >= 2,
        "{}",
        r.log
    );
}

/// Runs the template on valid and on invalid fixtures; the passing run is
/// returned for what a caller checks beyond the reports.
fn template_passes_and_fails_as_conform_does(template: Template<'_>) -> RunResult {
    let platform = template.platform;
    let passing = run_pipeline(template, &root().join("fixtures/valid"), None);
    assert_eq!(
        passing.code, 0,
        "{platform}: valid fixtures pass\n{}",
        passing.log
    );
    check_reports(&passing, 0);

    let failing = run_pipeline(template, &root().join("fixtures/invalid/uk-core"), None);
    assert_eq!(
        failing.code, 1,
        "{platform}: findings fail the job\n{}",
        failing.log
    );
    check_reports(&failing, 5);
    assert!(
        failing.log.contains("[nhs-number-check-digit]"),
        "{}",
        failing.log
    );
    passing
}

/// The one-job template of a platform, as `conform init --ci` writes it.
fn one_job(platform: &'static str, parse: Parse) -> Template<'static> {
    Template {
        platform,
        init: &[],
        parse,
    }
}

/// The sharded template as `conform init --ci PLATFORM --shards 3` writes
/// it: three shards, not the four committed, so the count init fills in is
/// the one the jobs run with.
fn sharded(platform: &'static str, parse: Parse) -> Template<'static> {
    Template {
        platform,
        init: &["--shards", "3"],
        parse,
    }
}

/// Sharded, the same verdicts and reports as one job, from one report per
/// shard asked for.
fn sharded_template_runs_against_the_fixtures(platform: &'static str, parse: Parse) {
    let r = template_passes_and_fails_as_conform_does(sharded(platform, parse));
    let mut reports: Vec<String> = std::fs::read_dir(r.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("conform-shard-"))
        .collect();
    reports.sort();
    assert_eq!(
        reports,
        [
            "conform-shard-1.json",
            "conform-shard-2.json",
            "conform-shard-3.json"
        ],
        "{platform}\n{}",
        r.log
    );
}

#[test]
fn github_template_runs_against_the_fixtures() {
    template_passes_and_fails_as_conform_does(one_job("github", github));
}

#[test]
fn github_sharded_template_runs_against_the_fixtures() {
    sharded_template_runs_against_the_fixtures("github", github_shards);
}

#[test]
fn gitlab_template_runs_against_the_fixtures() {
    template_passes_and_fails_as_conform_does(one_job("gitlab", gitlab));
}

#[test]
fn gitlab_sharded_template_runs_against_the_fixtures() {
    sharded_template_runs_against_the_fixtures("gitlab", gitlab_shards);
}

#[test]
fn azure_sharded_template_runs_against_the_fixtures() {
    sharded_template_runs_against_the_fixtures("azure", azure_shards);
}

#[test]
fn azure_template_runs_against_the_fixtures() {
    template_passes_and_fails_as_conform_does(one_job("azure", azure));
}

/// A one-step scenario against the probed region.
const SMOKE_SCENARIO: &str = "id: smoke
title: The region answers a Patient search
regions: [test-region]
steps:
  - id: smoke-search
    name: Search Patients
    on: test-region
    request: { path: Patient, params: { _count: \"2\" } }
    expect:
      status: 200
      fhirpath:
        - \"Bundle.type = 'searchset'\"
";

/// With CONFORM_REGION set, each template also probes that region's live
/// endpoint (a real SEKMET here) and keeps the probe's JUnit and JSON; with
/// CONFORM_SCENARIOS, it runs those scenarios and keeps their results.
#[test]
fn templates_probe_the_region_when_one_is_named() {
    let server = conform_peers::Sekmet::start().expect("SEKMET starts");
    let regions = format!(
        "regions:\n  - name: test-region\n    base_url: {}\n",
        server.local_base_url
    );
    for template in [
        one_job("github", github),
        one_job("gitlab", gitlab),
        one_job("azure", azure),
    ] {
        let platform = template.platform;
        let r = run_pipeline(
            template,
            &root().join("fixtures/valid"),
            Some(("test-region", &regions, "smoke.yaml")),
        );
        assert_eq!(r.code, 0, "{platform}\n{}", r.log);
        let project = r.dir.path();
        let junit = read(project, "conform-probe-junit.xml");
        let doc = roxmltree::Document::parse(&junit).expect("probe JUnit XML");
        let cases = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .count();
        assert!(cases > 10, "{platform}: {cases} probe checks\n{junit}");
        let probe: serde_json::Value =
            serde_json::from_str(&read(project, "conform-probe.json")).unwrap();
        assert_eq!(probe["schema"], "conform.probe/2", "{platform}");
        assert_eq!(probe["target"]["region"], "test-region", "{platform}");
        let results: serde_json::Value =
            serde_json::from_str(&read(project, "conform-scenarios/results.json")).unwrap();
        assert_eq!(results["schema"], "conform.scenario/2", "{platform}");
        assert_eq!(results["summary"]["passed"], 1, "{platform}: {results}");
        let junit = read(project, "conform-scenarios-junit.xml");
        assert!(junit.contains("smoke-search"), "{platform}: {junit}");
        assert!(project.join("conform-scenarios/report.html").is_file());
        // the region's scorecard from this run's own evidence
        let card: serde_json::Value =
            serde_json::from_str(&read(project, "conform-scorecard.json")).unwrap();
        let region = card["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["region"] == "test-region")
            .unwrap_or_else(|| panic!("{platform}: {card}"));
        assert!(
            region["overall"]["evidence_coverage"].as_f64().unwrap() > 0.0,
            "{platform}: the run's evidence was read: {region}"
        );
        let html = read(project, "conform-scorecard.html");
        assert!(
            html.contains("test-region") && html.contains("<svg"),
            "{platform}"
        );
        let junit = read(project, "conform-scorecard-junit.xml");
        roxmltree::Document::parse(&junit).expect("scorecard JUnit XML");
    }
    // without a region nothing is probed
    let r = run_pipeline(
        one_job("github", github),
        &root().join("fixtures/valid"),
        None,
    );
    assert_eq!(r.code, 0, "{}", r.log);
    assert!(!r.dir.path().join("conform-probe-junit.xml").exists());
}

/// Only the commands that use conform.toml read it: with a broken one in the
/// working folder, `init` (into another folder), `man` and `completions`
/// still succeed, while `validate` reports the config (exit 2).
#[test]
fn a_broken_config_stops_only_the_commands_that_read_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("conform.toml"), "[packages\nbroken = ").unwrap();
    let fresh = dir.path().join("fresh");
    let fresh = fresh.to_str().unwrap();
    for args in [
        &["init", "--dir", fresh][..],
        &["man"],
        &["completions", "bash"],
    ] {
        let out = common::conform_in(dir.path(), args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            common::stderr(&out)
        );
    }
    let out = common::conform_in(dir.path(), &["validate", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("invalid config"),
        "{}",
        common::stderr(&out)
    );
}
