//! Child processes that die with their owner, free ports, running commands.

use crate::PeerResult;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A port that was free on 127.0.0.1 a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// A child process killed (by its own pid) and reaped on drop.
pub(crate) struct Owned(pub Child);

impl Drop for Owned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a command to completion; its stdout, or why it failed.
pub(crate) fn run(cmd: &mut Command) -> PeerResult<Vec<u8>> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

/// Polls `ready` until it is true or `limit` passes; fails if the child
/// exits first.
pub(crate) fn wait_until(
    child: &mut Owned,
    limit: Duration,
    what: &str,
    mut ready: impl FnMut() -> bool,
) -> PeerResult<()> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(status)) = child.0.try_wait() {
            return Err(format!("{what} exited early ({status})"));
        }
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("{what} not ready after {limit:?}"))
}
