//! Debian's nginx as an HTTPS front requiring a client certificate
//! (`ssl_verify_client on`) before proxying to a peer on 127.0.0.1.
//! Without a certificate nginx answers 400; with one from the test CA the
//! request reaches the peer.

use crate::install::nginx_binary;
use crate::pki::TestPki;
use crate::process::{free_port, run, wait_until, Owned};
use crate::PeerResult;
use std::process::{Command, Stdio};
use std::time::Duration;

pub struct MtlsFront {
    pub port: u16,
    _child: Owned,
    _dir: tempfile::TempDir,
}

impl MtlsFront {
    /// A port to give the front (so an upstream can be told its public URL
    /// before the front starts).
    pub fn reserve_port() -> u16 {
        free_port()
    }

    /// Starts nginx on `port`, proxying to `127.0.0.1:upstream_port`.
    pub fn start(port: u16, upstream_port: u16, pki: &TestPki) -> PeerResult<MtlsFront> {
        MtlsFront::start_with(port, upstream_port, pki, true)
    }

    /// The same front; without `client_certs` it is plain server TLS (a
    /// web application's front, e.g. the launch endpoint of S7).
    pub fn start_with(
        port: u16,
        upstream_port: u16,
        pki: &TestPki,
        client_certs: bool,
    ) -> PeerResult<MtlsFront> {
        let bin = nginx_binary()?;
        let dir = tempfile::Builder::new()
            .prefix("nginx-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let d = dir.path().display().to_string();
        let root = run(Command::new("id").arg("-u"))
            .map(|o| String::from_utf8_lossy(&o).trim() == "0")
            .unwrap_or(false);
        let conf = format!(
            r#"{user}
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_client_certificate {ca};
        ssl_verify_client {verify};
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {{
            proxy_pass http://127.0.0.1:{upstream_port};
            proxy_set_header Host $host:$server_port;
            proxy_set_header X-Forwarded-Proto https;
        }}
    }}
}}
"#,
            user = if root { "user root;" } else { "" },
            verify = if client_certs { "on" } else { "off" },
            cert = pki.server_cert.display(),
            key = pki.server_key.display(),
            ca = pki.ca_cert.display(),
        );
        let file = dir.path().join("nginx.conf");
        std::fs::write(&file, conf).map_err(|e| e.to_string())?;
        let child = Command::new(&bin)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let mut child = Owned(child);
        let ready = wait_until(&mut child, Duration::from_secs(20), "nginx", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        if let Err(e) = ready {
            let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
            return Err(format!("{e}\n{log}"));
        }
        Ok(MtlsFront {
            port,
            _child: child,
            _dir: dir,
        })
    }

    pub fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}/fhir", self.port)
    }
}
