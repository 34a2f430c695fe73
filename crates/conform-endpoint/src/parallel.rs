//! Work against several endpoints at once, a bounded number at a time.
//! Talking to an endpoint is waiting on the network, not computing, so the
//! bound is how much load conform puts on the servers and the network, not
//! the machine's cores: threads of their own, not rayon's CPU-sized pool
//! (which validation uses).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// `f` applied to every item, at most `jobs` at a time (at least one), on
/// scoped threads that take the next item as they finish one. The results
/// are in the order of `items`, whatever order they finish in. A panic in
/// `f` is raised again here once every thread has stopped.
pub fn map_bounded<T, R, F>(items: &[T], jobs: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let workers = jobs.clamp(1, items.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            });
        }
    });
    // Every index below items.len() was taken by exactly one worker, and
    // the scope only returns once all of them finished (or re-raises their
    // panic), so every slot is filled.
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every item was done")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Counts the calls running at once and keeps the highest count seen.
    #[derive(Default)]
    struct Gauge {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    impl Gauge {
        fn enter(&self) {
            let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(n, Ordering::SeqCst);
        }
        fn leave(&self) {
            self.now.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn at_most_jobs_run_at_once_and_that_many_do() {
        for jobs in [1, 3, 5] {
            let gauge = Gauge::default();
            let items: Vec<u64> = (0..12).collect();
            let out = map_bounded(&items, jobs, |&i| {
                gauge.enter();
                // Long enough that the workers overlap, so the bound is
                // what stops more from running, not the timing.
                std::thread::sleep(Duration::from_millis(100));
                gauge.leave();
                i * 10
            });
            assert_eq!(out, (0..12).map(|i| i * 10).collect::<Vec<_>>());
            assert_eq!(gauge.most.load(Ordering::SeqCst), jobs, "jobs {jobs}");
        }
    }

    #[test]
    fn results_keep_the_order_of_the_items_whatever_finishes_first() {
        // The first items take longest, so they finish last.
        let items: Vec<u64> = (0..6).collect();
        let finished = Mutex::new(Vec::new());
        let out = map_bounded(&items, 6, |&i| {
            std::thread::sleep(Duration::from_millis(50 * (6 - i)));
            finished.lock().unwrap().push(i);
            format!("item {i}")
        });
        assert_eq!(
            out,
            ["item 0", "item 1", "item 2", "item 3", "item 4", "item 5"]
        );
        let finished = finished.into_inner().unwrap();
        assert_ne!(finished, items, "finished out of order: {finished:?}");
    }

    #[test]
    fn no_items_and_zero_jobs_are_handled() {
        let none: Vec<u8> = Vec::new();
        assert!(map_bounded(&none, 4, |&b| b).is_empty());
        // Zero jobs still runs the work, one at a time.
        assert_eq!(map_bounded(&[1, 2, 3], 0, |&n| n + 1), [2, 3, 4]);
    }
}
