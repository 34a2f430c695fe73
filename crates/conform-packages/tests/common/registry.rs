//! A minimal npm-style FHIR registry on 127.0.0.1, serving the shared test
//! tarballs: `GET /{id}` gives metadata, `GET /{id}/{version}` the tarball.
//! It counts connections so tests can prove "offline" never connects, and
//! stops when dropped.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use sha1::{Digest, Sha1};

/// How the registry misbehaves, for error tests.
#[derive(Clone, Copy, Default)]
pub struct Faults {
    /// Publish a wrong sha1 for every tarball.
    pub wrong_shasum: bool,
}

pub struct TestRegistry {
    pub url: String,
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestRegistry {
    /// Serves every `<id>-<version>.tgz` of the shared packages folder, plus
    /// `extra` (name, version, tarball path) entries.
    pub fn start(faults: Faults, extra: &[(&str, &str, PathBuf)]) -> TestRegistry {
        let mut packages: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
        let dir = conform_testdata::packages_dir();
        for entry in std::fs::read_dir(&dir).expect("list packages") {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".tgz") else {
                continue;
            };
            // `<name>-<version>`: versions start with a digit.
            let Some(split) = stem
                .match_indices('-')
                .map(|(i, _)| i)
                .find(|&i| stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
            else {
                continue;
            };
            packages
                .entry(stem[..split].to_string())
                .or_default()
                .insert(stem[split + 1..].to_string(), path.clone());
        }
        for (name, version, path) in extra {
            packages
                .entry(name.to_string())
                .or_default()
                .insert(version.to_string(), path.clone());
        }
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let url = format!("http://{addr}");
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (url, connections, stop) = (url.clone(), connections.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let _ = serve(stream, &url, &packages, faults);
                }
            })
        };
        TestRegistry {
            url,
            addr,
            connections,
            stop,
            thread: Some(thread),
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    base: &str,
    packages: &BTreeMap<String, BTreeMap<String, PathBuf>>,
    faults: Faults,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (status, content_type, body) = match parts.as_slice() {
        [name] => match packages.get(*name) {
            Some(versions) => (
                "200 OK",
                "application/json",
                metadata(base, name, versions, faults),
            ),
            None => not_found(),
        },
        [name, version] => match packages.get(*name).and_then(|v| v.get(*version)) {
            Some(file) => ("200 OK", "application/tar+gzip", std::fs::read(file)?),
            None => not_found(),
        },
        _ => not_found(),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)?;
    stream.flush()
}

fn not_found() -> (&'static str, &'static str, Vec<u8>) {
    (
        "404 Not Found",
        "application/json",
        b"{\"error\":\"not found\"}".to_vec(),
    )
}

fn metadata(
    base: &str,
    name: &str,
    versions: &BTreeMap<String, PathBuf>,
    faults: Faults,
) -> Vec<u8> {
    let mut out = serde_json::Map::new();
    let mut latest = String::new();
    for (version, file) in versions {
        let bytes = std::fs::read(file).unwrap_or_default();
        let shasum = if faults.wrong_shasum {
            "0000000000000000000000000000000000000000".to_string()
        } else {
            Sha1::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        out.insert(
            version.clone(),
            serde_json::json!({
                "name": name,
                "version": version,
                "dist": { "shasum": shasum, "tarball": format!("{base}/{name}/{version}") }
            }),
        );
        latest = version.clone();
    }
    serde_json::to_vec(&serde_json::json!({
        "name": name,
        "dist-tags": { "latest": latest },
        "versions": out,
    }))
    .unwrap_or_default()
}
