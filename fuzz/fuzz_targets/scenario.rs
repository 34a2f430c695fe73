//! The scenario loader: any text, saved as a scenario file in a folder of
//! its own, compiles (YAML, includes, matrix, schema) or fails with an
//! error naming the file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;

fn file() -> &'static PathBuf {
    static FILE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("conform-fuzz-scenario-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        dir.join("scenario.yaml")
    })
}

fuzz_target!(|data: &[u8]| {
    let path = file();
    std::fs::write(path, data).expect("write the scenario file");
    if let Err(e) = conform_scenario::compile::compile_file(path) {
        assert!(!e.file.is_empty(), "an error that names no file: {e}");
    }
});
