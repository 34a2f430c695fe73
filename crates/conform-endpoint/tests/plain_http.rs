//! Plain `http://` to a host that is neither loopback nor a test host of
//! the regions file is refused before anything leaves: no request, and no
//! name lookup. The proof: this test binary sends every request through a
//! proxy on loopback, which hears of any request for a name without that
//! name being looked up; the name used here must never be looked up, and
//! the proxy hears of it only where the regions file lists it.

use conform_endpoint::{Endpoint, EndpointError, Region, RegionsFile, Request};
use std::sync::atomic::Ordering;

const NEVER: &str = "conform-must-never-be-looked-up.invalid";

fn refusal(e: &EndpointError) -> bool {
    e.to_string()
        .contains(&format!("refusing plain http:// to {NEVER}"))
}

#[test]
fn plain_http_to_an_unlisted_host_is_refused_before_any_lookup_or_request() {
    let proxy = conform_peers::Server::start(|_, conn| {
        conform_peers::respond(conn, 502, &[("Content-Type", "text/plain")], b"proxy")
    });
    let via = format!("http://127.0.0.1:{}", proxy.port);
    for (k, v) in [("HTTP_PROXY", &via), ("http_proxy", &via)] {
        std::env::set_var(k, v);
    }
    for k in ["NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"] {
        std::env::remove_var(k);
    }
    let hits = || proxy.hits.load(Ordering::SeqCst);

    // The base URL: refused when the endpoint is made, before a client exists.
    let e = Endpoint::new(&Region::from_url(&format!("http://{NEVER}/fhir"))).unwrap_err();
    assert!(matches!(e, EndpointError::Config(_)), "{e:?}");
    assert!(refusal(&e), "{e}");
    assert!(e.to_string().contains("nothing was sent"), "{e}");

    // A token URL over plain http is refused the same way.
    let yaml = format!(
        "regions:\n- name: a\n  base_url: https://{NEVER}/fhir\n  auth: {{type: client_credentials, token_url: 'http://{NEVER}/token', client_id: c, secret_env: CONFORM_TEST_UNSET_SECRET}}\n"
    );
    let file = RegionsFile::parse(&yaml).unwrap();
    let e = Endpoint::new(&file.regions[0]).unwrap_err();
    assert!(refusal(&e), "{e}");

    // An absolute link (a server's paging link) from a loopback endpoint.
    let local = Endpoint::new(&Region::from_url("http://127.0.0.1:9/fhir")).unwrap();
    let e = local
        .send(&Request::get(&format!(
            "http://{NEVER}/fhir/Patient?page=2"
        )))
        .unwrap_err();
    assert!(matches!(e, EndpointError::Transport { .. }), "{e:?}");
    assert!(refusal(&e), "{e}");
    assert_eq!(hits(), 0, "a request left for {NEVER}");

    // Listed as a test host, the same URL is sent: to the proxy, which
    // answers without the name ever being looked up. So the trap works.
    let yaml =
        format!("test_hosts: [{NEVER}]\nregions:\n- name: a\n  base_url: http://{NEVER}/fhir\n");
    let file = RegionsFile::parse(&yaml).unwrap();
    let listed = Endpoint::new(&file.regions[0]).unwrap();
    let r = listed
        .send(&Request::get("metadata").without_auth())
        .unwrap();
    assert_eq!(r.status, 502);
    assert_eq!(hits(), 1);
}
