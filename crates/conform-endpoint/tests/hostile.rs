//! Hostile servers end in a clear error within the configured time-out and
//! without reading past the size limit; 429 and 503 are retried.

use conform_endpoint::{Endpoint, EndpointError, Region, Request};
use conform_peers::{Fault, FaultServer};
use std::time::{Duration, Instant};

fn endpoint(base: &str, timeout_ms: u64, max: u64) -> Endpoint {
    let mut r = Region::from_url(base);
    r.timeout = Some(Duration::from_millis(timeout_ms));
    r.max_response_bytes = Some(max);
    r.retries = Some(2);
    Endpoint::new(&r).unwrap()
}

fn metadata(
    fault: Fault,
    timeout_ms: u64,
    max: u64,
) -> (
    Result<conform_endpoint::Response, EndpointError>,
    Duration,
    FaultServer,
) {
    let server = FaultServer::start(fault);
    let e = endpoint(&server.base_url(), timeout_ms, max);
    let start = Instant::now();
    let r = e.send(&Request::get("metadata"));
    (r, start.elapsed(), server)
}

#[test]
fn slow_headers_time_out_within_the_limit() {
    let (r, took, _s) = metadata(Fault::SlowHeaders(Duration::from_secs(10)), 800, 1 << 20);
    assert!(matches!(r, Err(EndpointError::Timeout { .. })), "{r:?}");
    assert!(took < Duration::from_millis(2500), "took {took:?}");
    assert!(r
        .unwrap_err()
        .to_string()
        .contains("no complete response within 800ms"));
}

#[test]
fn a_trickling_body_times_out_within_the_limit() {
    let (r, took, _s) = metadata(Fault::SlowBody(Duration::from_millis(100)), 800, 1 << 20);
    assert!(matches!(r, Err(EndpointError::Timeout { .. })), "{r:?}");
    assert!(took < Duration::from_millis(2500), "took {took:?}");
}

#[test]
fn a_truncated_body_is_a_transport_error() {
    let (r, _, _s) = metadata(Fault::Truncated, 5000, 1 << 20);
    let e = r.unwrap_err();
    assert!(matches!(e, EndpointError::Transport { .. }), "{e:?}");
    assert!(e.to_string().contains("ended early"), "{e}");
}

#[test]
fn a_huge_declared_body_is_refused_before_reading() {
    let (r, took, _s) = metadata(
        Fault::Huge {
            bytes: 1 << 30,
            declared: true,
        },
        5000,
        1 << 20,
    );
    assert!(
        matches!(r, Err(EndpointError::TooLarge { limit: 1048576, .. })),
        "{r:?}"
    );
    assert!(took < Duration::from_secs(2));
}

#[test]
fn a_huge_undeclared_body_stops_at_the_limit() {
    // 4 GiB would take far longer than the time-out to stream; stopping at
    // the 1 MiB limit is what makes this fast.
    let (r, took, _s) = metadata(
        Fault::Huge {
            bytes: 4 << 30,
            declared: false,
        },
        20_000,
        1 << 20,
    );
    assert!(matches!(r, Err(EndpointError::TooLarge { .. })), "{r:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_redirect_to_another_host_is_refused() {
    let (r, _, _s) = metadata(Fault::RedirectElsewhere, 5000, 1 << 20);
    let e = r.unwrap_err();
    assert!(matches!(e, EndpointError::Redirect { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("redirect to another host (localhost) refused"),
        "{e}"
    );
}

#[test]
fn a_redirect_to_another_scheme_on_the_same_host_and_port_is_refused() {
    let server = conform_peers::Server::start(|req, conn| {
        let port = conn.local_addr().map(|a| a.port()).unwrap_or(0);
        let to = format!("https://127.0.0.1:{port}{}", req.target);
        conform_peers::respond(conn, 302, &[("Location", to.as_str())], b"");
    });
    let e = endpoint(&format!("http://127.0.0.1:{}", server.port), 5000, 1 << 20)
        .send(&Request::get("metadata"))
        .unwrap_err();
    assert!(matches!(e, EndpointError::Redirect { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("redirect to another origin (https://127.0.0.1) refused"),
        "{e}"
    );
    assert_eq!(server.hits.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn a_request_that_follows_no_redirect_gets_the_redirect_itself() {
    // Even one elsewhere (a sign-in page): nothing is sent there.
    let server = conform_peers::Server::start(|_, conn| {
        conform_peers::respond(
            conn,
            302,
            &[("Location", "https://login.example/authorize")],
            b"",
        );
    });
    let r = endpoint(&format!("http://127.0.0.1:{}", server.port), 5000, 1 << 20)
        .send(&Request::get("launch").without_redirects())
        .unwrap();
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location"),
        Some("https://login.example/authorize")
    );
    assert_eq!(server.hits.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn malformed_json_and_wrong_content_type_reach_the_caller_as_data() {
    let (r, _, _s) = metadata(Fault::MalformedJson, 5000, 1 << 20);
    let r = r.unwrap();
    assert_eq!(r.status, 200);
    assert!(r.json().is_none());
    let (r, _, _s) = metadata(Fault::WrongContentType, 5000, 1 << 20);
    assert_eq!(r.unwrap().media_type().as_deref(), Some("text/html"));
}

#[test]
fn too_many_requests_is_retried_after_the_servers_wait() {
    let (r, took, s) = metadata(
        Fault::TooManyRequests {
            times: 1,
            retry_after_secs: 1,
        },
        5000,
        1 << 20,
    );
    let r = r.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.attempts, 2);
    assert_eq!(s.hits(), 2);
    assert!(
        took >= Duration::from_secs(1),
        "Retry-After honoured: {took:?}"
    );
}

#[test]
fn a_retry_after_beyond_the_time_out_is_not_waited_for() {
    let (r, took, s) = metadata(
        Fault::TooManyRequests {
            times: 5,
            retry_after_secs: 60,
        },
        2000,
        1 << 20,
    );
    assert_eq!(r.unwrap().status, 429);
    assert_eq!(s.hits(), 1);
    assert!(took < Duration::from_secs(1));
}

#[test]
fn service_unavailable_then_success_is_retried_with_back_off() {
    let (r, _, s) = metadata(Fault::Unavailable { times: 2 }, 5000, 1 << 20);
    let r = r.unwrap();
    assert_eq!((r.status, r.attempts, s.hits()), (200, 3, 3));
    let (r, _, s) = metadata(Fault::Unavailable { times: 5 }, 5000, 1 << 20);
    assert_eq!(
        (r.unwrap().status, s.hits()),
        (503, 3),
        "gives up after two retries"
    );
}

#[test]
fn a_closed_port_is_unreachable() {
    let port = conform_peers::free_port();
    let e = endpoint(&format!("http://127.0.0.1:{port}/fhir"), 3000, 1 << 20);
    let err = e.send(&Request::get("metadata")).unwrap_err();
    assert!(matches!(err, EndpointError::Unreachable { .. }), "{err:?}");
    assert!(err.is_infrastructure());
}
