//! Helpers of the scenario CLI tests: the cross-ICS kit and the peers that
//! play its regions, reading a run's JSON results, and sending a request
//! outside conform.

use conform_endpoint::{Endpoint, Region, Request};
use conform_peers::{
    BarsReceiver, GpConnectProvider, LaunchBehaviour, LaunchEndpoint, Sekmet, SspDocuments,
};
use serde_json::Value;
use std::process::Output;

/// The kit the national scenarios live in.
pub const KIT: &str = "testkits/cross-ics";

/// The regions file of the kit (URLs from the environment: [`Peers::env`]).
pub const REGIONS: &str = "fixtures/regions-cross-ics.yaml";

/// The regions of the cross-ICS kit: four SEKMET instances play
/// demographics (PDS, which also plays the directory, SDS), the record
/// locator (NRL), and regions A and B; the GP Connect provider stand-in
/// plays the GP practice of S3; the BaRS stand-in plays the proxy and the
/// ED's receiver of S6 (the directory also plays DoS and the ODS API); the
/// SSP document relay stand-in serves region A's documents (S4) and the
/// launch endpoint stand-in is region A's in-context launch (S7).
pub struct Peers {
    pub demographics: Sekmet,
    pub locator: Sekmet,
    pub a: Sekmet,
    pub b: Sekmet,
    pub gp: GpConnectProvider,
    pub bars: BarsReceiver,
    pub ssp: SspDocuments,
    pub launch: LaunchEndpoint,
}

/// Region A's ASID, the one its care plan pointers name (context.related)
/// and the SSP routes to.
pub const REGION_A_ASID: &str = "200000001115";

/// The launch pointer of S7 (fixtures/seed/record-locator), and the NHS
/// number whose record the launch endpoint holds.
pub const LAUNCH_POINTER: &str = "record-locator/pointer-launch-9990010005.json";
pub const LAUNCH_NHS: &str = "9990010005";

/// The DoS service id of the ED's BaRS receiver (fixtures/seed/directory).
pub const ED_DOS_SERVICE_ID: &str = "2000100001";

impl Peers {
    pub fn start() -> Peers {
        let start = || Sekmet::builder().no_seed().start().expect("sekmet starts");
        let a = start();
        Peers {
            demographics: start(),
            locator: start(),
            ssp: SspDocuments::start(&a.base_url, REGION_A_ASID).expect("the SSP stand-in starts"),
            a,
            b: start(),
            gp: GpConnectProvider::start().expect("the GP Connect stand-in starts"),
            bars: BarsReceiver::start(ED_DOS_SERVICE_ID).expect("the BaRS stand-in starts"),
            launch: launch_endpoint(LaunchBehaviour::Challenge),
        }
    }

    pub fn env(&self) -> [(&'static str, String); 10] {
        [
            ("DEMOGRAPHICS_URL", self.demographics.base_url.clone()),
            ("RECORD_LOCATOR_URL", self.locator.base_url.clone()),
            ("REGION_A_URL", self.a.base_url.clone()),
            ("REGION_B_URL", self.b.base_url.clone()),
            ("DIRECTORY_URL", self.demographics.base_url.clone()),
            ("GP_PROVIDER_URL", self.gp.base_url()),
            ("BARS_URL", self.bars.base_url()),
            ("SSP_URL", self.ssp.base_url()),
            ("LAUNCH_URL", self.launch.base_url()),
            (
                "LAUNCH_CA_FILE",
                self.launch.ca_file().display().to_string(),
            ),
        ]
    }

    pub fn base(&self, region: &str) -> &str {
        match region {
            "demographics" | "directory" => &self.demographics.base_url,
            "record-locator" => &self.locator.base_url,
            "region-a" => &self.a.base_url,
            _ => &self.b.base_url,
        }
    }

    /// `conform ARGS` with the regions' URLs in the environment.
    pub fn conform(&self, args: &[&str]) -> Output {
        let mut cmd = super::command_in(&super::root(), args);
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        cmd.output().expect("conform runs")
    }

    /// `conform --pack uk-core scenario run PATHS --regions REGIONS EXTRA`.
    pub fn run_kit(&self, paths: &[&str], extra: &[&str]) -> Output {
        let mut args = vec!["--pack", "uk-core", "scenario", "run"];
        args.extend_from_slice(paths);
        args.extend_from_slice(&["--regions", REGIONS]);
        args.extend_from_slice(extra);
        self.conform(&args)
    }

    /// Seeds every region from fixtures/seed/<region> with `conform seed`.
    pub fn seed_all(&self) {
        for region in [
            "demographics",
            "record-locator",
            "region-a",
            "region-b",
            "directory",
        ] {
            let dir = format!("fixtures/seed/{region}");
            let out = self.conform(&["seed", "--regions", REGIONS, "--region", region, &dir]);
            assert_eq!(out.status.code(), Some(0), "{}", super::stderr(&out));
            assert!(
                super::stdout(&out).starts_with("seeded "),
                "{}",
                super::stdout(&out)
            );
        }
        self.put("directory", &sds_endpoint(&self.gp.base_url()));
        self.put("record-locator", &self.launch_pointer());
    }

    /// S7's launch pointer as seeded, its URL on the launch stand-in
    /// (whose address is known only at run time).
    pub fn launch_pointer(&self) -> Value {
        let mut p = seed_file(LAUNCH_POINTER);
        p["content"][0]["attachment"]["url"] = self.launch.launch_url(LAUNCH_NHS).into();
        p
    }

    pub fn put(&self, region: &str, resource: &Value) {
        let target = format!(
            "{}/{}",
            resource["resourceType"].as_str().unwrap(),
            resource["id"].as_str().unwrap()
        );
        let status = send(
            self.base(region),
            Request::new("PUT", &target).json(resource),
        );
        assert!((200..300).contains(&status), "PUT {target}: {status}");
    }

    pub fn delete(&self, region: &str, target: &str) {
        let status = send(self.base(region), Request::new("DELETE", target));
        assert!((200..300).contains(&status), "DELETE {target}: {status}");
    }
}

/// The launch endpoint stand-in holding region A's patient of S7.
pub fn launch_endpoint(behaviour: LaunchBehaviour) -> LaunchEndpoint {
    LaunchEndpoint::start(&seed_file("region-a/a1-patient.json"), behaviour)
        .expect("the launch endpoint stand-in starts")
}

/// A resource of fixtures/seed, e.g. `demographics/patient-9990010005.json`.
pub fn seed_file(rel: &str) -> Value {
    let p = super::root().join("fixtures/seed").join(rel);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Sends one request outside conform (to break or repair the seed).
pub fn send(base: &str, req: Request) -> u16 {
    Endpoint::new(&Region::from_url(base))
        .unwrap()
        .send(&req)
        .unwrap()
        .status
}

/// A run's JSON results, or a panic showing what it printed instead.
pub fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON results ({e}):\n{}\n{}",
            super::stdout(out),
            super::stderr(out)
        )
    })
}

/// The step of a scenario's results with this id.
pub fn step<'a>(s: &'a Value, id: &str) -> &'a Value {
    s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {}", s["id"]))
}

/// The first failed step of a scenario, and its failed assertions' ids and messages.
pub fn first_failure(s: &Value) -> (String, Vec<(String, String)>) {
    let st = s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["status"] == "fail")
        .unwrap_or_else(|| panic!("no failed step in {s}"));
    let failed = st["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "fail")
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_string(),
                a["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (st["id"].as_str().unwrap().to_string(), failed)
}

/// The scenario of a run's results with this id.
pub fn scenario<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no scenario {id}"))
}

/// What SDS holds for the GP Connect stand-in's practice (ODS B82617): its
/// structured-record endpoint, with the address the stand-in listens on and
/// the provider's ASID. Written at run time, since the address is.
pub fn sds_endpoint(provider_url: &str) -> Value {
    serde_json::json!({
        "resourceType": "Endpoint",
        "id": "gpc-b82617-structured",
        "status": "active",
        "connectionType": {"system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type", "code": "hl7-fhir-rest"},
        "payloadType": [{"text": "GP Connect Access Record Structured"}],
        "address": provider_url,
        "managingOrganization": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "B82617"}},
        "identifier": [
            {"system": "https://fhir.nhs.uk/Id/nhsServiceInteractionId", "value": "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1"},
            {"system": "https://fhir.nhs.uk/Id/nhsSpineASID", "value": "918999198993"}
        ]
    })
}
