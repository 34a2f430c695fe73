//! Latency per interaction: count, p50, p95 (nearest rank).

use conform_outcome::probe::LatencyStat;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Default)]
pub(crate) struct Latencies(BTreeMap<String, Vec<Duration>>);

impl Latencies {
    pub fn add(&mut self, interaction: &str, d: Duration) {
        self.0.entry(interaction.to_string()).or_default().push(d);
    }

    pub fn stats(&self) -> Vec<LatencyStat> {
        self.0
            .iter()
            .map(|(k, v)| {
                let mut ms: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
                ms.sort_by(f64::total_cmp);
                LatencyStat {
                    interaction: k.clone(),
                    count: ms.len(),
                    p50_ms: round(percentile(&ms, 50.0)),
                    p95_ms: round(percentile(&ms, 95.0)),
                }
            })
            .collect()
    }
}

pub(crate) fn round(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 10.0);
        assert_eq!(percentile(&v, 95.0), 19.0);
        assert_eq!(percentile(&[7.0], 95.0), 7.0);
    }
}
