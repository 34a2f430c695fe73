//! A throwaway PKI for mutual TLS tests, made with openssl: a CA, a server
//! certificate for 127.0.0.1/localhost and a client certificate.

use crate::process::run;
use crate::PeerResult;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct TestPki {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl TestPki {
    pub fn generate(dir: &Path) -> PeerResult<TestPki> {
        let p = |n: &str| dir.join(n);
        let ossl = |args: &[&str]| run(Command::new("openssl").current_dir(dir).args(args));
        ossl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=conform test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ])?;
        for (name, cn, ext) in [
            ("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature"),
            ("client", "conform test client", "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature"),
        ] {
            std::fs::write(p(&format!("{name}.ext")), ext).map_err(|e| e.to_string())?;
            ossl(&["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", &format!("{name}.key"), "-out", &format!("{name}.csr"), "-subj", &format!("/CN={cn}")])?;
            ossl(&["x509", "-req", "-in", &format!("{name}.csr"), "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-out", &format!("{name}.crt"), "-extfile", &format!("{name}.ext")])?;
        }
        Ok(TestPki {
            ca_cert: p("ca.crt"),
            server_cert: p("server.crt"),
            server_key: p("server.key"),
            client_cert: p("client.crt"),
            client_key: p("client.key"),
        })
    }
}
