//! A SEKMET FHIR R4 server on a free 127.0.0.1 port with its own temporary
//! data folder and the order simulator off; optionally a SMART Backend
//! Services authorisation server for the given clients. Seeded with the
//! workspace fixtures (`fixtures/valid`) unless told otherwise; killed on drop.

use crate::install::sekmet_binary;
use crate::keys::KeyPair;
use crate::process::{free_port, wait_until, Owned};
use crate::PeerResult;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The client the harness itself uses to seed a SMART-protected instance.
const SEEDER: &str = "conform-peers-seeder";

/// A client registered with a SMART instance.
#[derive(Clone, Debug)]
pub struct SmartClient {
    pub client_id: String,
    /// `{"keys": [...]}` with the client's public key(s).
    pub jwks: Value,
    /// e.g. `system/*.read system/*.write`.
    pub scopes: String,
}

#[derive(Default)]
pub struct SekmetBuilder {
    smart_clients: Vec<SmartClient>,
    public_base_url: Option<String>,
    port: Option<u16>,
    no_seed: bool,
}

pub struct Sekmet {
    pub port: u16,
    /// The base URL SEKMET writes into `Location` and `fullUrl` (the
    /// front's, when one was named).
    pub base_url: String,
    /// The base URL on SEKMET's own port.
    pub local_base_url: String,
    /// `(type, id)` of every seeded resource.
    pub seeded: Vec<(String, String)>,
    seeder_token: Option<String>,
    _child: Owned,
    dir: tempfile::TempDir,
}

impl SekmetBuilder {
    /// Turns on SMART Backend Services auth and registers a client.
    pub fn smart_client(mut self, client: SmartClient) -> Self {
        self.smart_clients.push(client);
        self
    }
    /// The base URL clients will use (e.g. an https front).
    pub fn public_base_url(mut self, url: &str) -> Self {
        self.public_base_url = Some(url.to_string());
        self
    }
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }
    /// Start empty instead of seeding the fixtures.
    pub fn no_seed(mut self) -> Self {
        self.no_seed = true;
        self
    }

    pub fn start(self) -> PeerResult<Sekmet> {
        let bin = sekmet_binary()?;
        let dir = tempfile::Builder::new()
            .prefix("sekmet-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let port = self.port.unwrap_or_else(free_port);
        let local_base_url = format!("http://127.0.0.1:{port}/fhir");
        let base_url = self
            .public_base_url
            .clone()
            .unwrap_or(local_base_url.clone());
        let mut settings = json!({
            "base_url": base_url,
            "host": "127.0.0.1",
            "port": port,
            "data_dir": dir.path().join("data"),
            "simulator": {"enabled": false},
        });
        let mut seeder_key = None;
        if !self.smart_clients.is_empty() {
            let key = KeyPair::generate("RS384", dir.path())?;
            let mut clients: Vec<Value> = self
                .smart_clients
                .iter()
                .map(|c| json!({"client_id": c.client_id, "jwks": c.jwks, "scopes": c.scopes}))
                .collect();
            clients.push(json!({"client_id": SEEDER, "jwks": key.jwks(), "scopes": "system/*.read system/*.write"}));
            settings["server_auth"] = json!({"types": ["smart"], "smart_clients": clients});
            seeder_key = Some(key);
        }
        // JSON is YAML.
        let file = dir.path().join("settings.yaml");
        std::fs::write(&file, settings.to_string()).map_err(|e| e.to_string())?;
        let log = std::fs::File::create(dir.path().join("serve.log")).map_err(|e| e.to_string())?;
        let child = Command::new(&bin)
            .arg("serve")
            .arg("-c")
            .arg(&file)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let mut child = Owned(child);
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let metadata = format!("{local_base_url}/metadata");
        let ready = wait_until(&mut child, Duration::from_secs(60), "sekmet", || {
            http.get(&metadata)
                .send()
                .is_ok_and(|r| r.status().as_u16() == 200)
        });
        if let Err(e) = ready {
            let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
            return Err(format!("{e}\n{log}"));
        }
        let mut s = Sekmet {
            port,
            base_url,
            local_base_url,
            seeded: Vec::new(),
            seeder_token: None,
            _child: child,
            dir,
        };
        if let Some(key) = seeder_key {
            s.seeder_token = Some(s.token_with(&http, SEEDER, &key)?);
        }
        if !self.no_seed {
            s.seed_dir(&crate::fixtures_dir().join("valid"))?;
        }
        Ok(s)
    }
}

impl Sekmet {
    pub fn builder() -> SekmetBuilder {
        SekmetBuilder::default()
    }

    /// A plain instance seeded with the fixtures.
    pub fn start() -> PeerResult<Sekmet> {
        Self::builder().start()
    }

    /// SEKMET's token endpoint (on its own port).
    pub fn token_url(&self) -> String {
        format!("http://127.0.0.1:{}/auth/token", self.port)
    }

    /// The instance's folder (settings, data, `serve.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A token for a registered client, by signed assertion (RS384/ES384).
    pub fn token_with(
        &self,
        http: &reqwest::blocking::Client,
        client_id: &str,
        key: &KeyPair,
    ) -> PeerResult<String> {
        let pem = std::fs::read(&key.private_pem).map_err(|e| e.to_string())?;
        let (alg, enc) = match key.alg.as_str() {
            "ES384" => (Algorithm::ES384, EncodingKey::from_ec_pem(&pem)),
            other => (
                other.parse().map_err(|_| format!("alg {other}"))?,
                EncodingKey::from_rsa_pem(&pem),
            ),
        };
        let enc = enc.map_err(|e| e.to_string())?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let url = self.token_url();
        let mut header = Header::new(alg);
        header.kid = Some(key.kid.clone());
        let claims = json!({"iss": client_id, "sub": client_id, "aud": url, "jti": uuid::Uuid::new_v4().to_string(), "iat": now, "exp": now + 240});
        let jwt = jsonwebtoken::encode(&header, &claims, &enc).map_err(|e| e.to_string())?;
        let resp = http
            .post(&url)
            .form(&[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", jwt.as_str()),
                ("scope", "system/*.read system/*.write"),
            ])
            .send()
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body: Value = resp.json().unwrap_or(Value::Null);
        body["access_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("sekmet token endpoint answered {status}: {body}"))
    }

    /// Stores resources with their own ids (`PUT Type/id`).
    pub fn seed(&mut self, resources: &[Value]) -> PeerResult<()> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        for r in resources {
            let (Some(t), Some(id)) = (r["resourceType"].as_str(), r["id"].as_str()) else {
                return Err(format!("seed resource without type or id: {r}"));
            };
            let mut rb = http
                .put(format!("{}/{t}/{id}", self.local_base_url))
                .header("Content-Type", "application/fhir+json")
                .body(r.to_string());
            if let Some(tok) = &self.seeder_token {
                rb = rb.bearer_auth(tok);
            }
            let resp = rb.send().map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            if !(200..300).contains(&status) {
                return Err(format!(
                    "seeding {t}/{id}: {status} {}",
                    resp.text().unwrap_or_default()
                ));
            }
            self.seeded.push((t.to_string(), id.to_string()));
        }
        Ok(())
    }

    /// Seeds every resource (not Bundles) in the JSON, NDJSON and JSONL files of a
    /// folder and its subfolders.
    pub fn seed_dir(&mut self, dir: &Path) -> PeerResult<()> {
        let mut resources = Vec::new();
        let files = conform_json::files::json_files_or_error(dir).map_err(|e| e.to_string())?;
        for file in files {
            let values = conform_json::files::read_values(&file)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            resources.extend(values.into_iter().filter(|v| v["resourceType"] != "Bundle"));
        }
        self.seed(&resources)
    }
}
