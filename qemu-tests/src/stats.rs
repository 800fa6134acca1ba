// SPDX-License-Identifier: GPL-2.0-only
//! Order statistics of benchmark samples, printed and parsed as
//! `key=value` words so that dom0-testkit and the bench driver agree on
//! one format.
//!
//! The spread is `(p90 - p10) / median`: it ignores the single slowest and
//! fastest tenth, where host preemption under TCG lands, and says how far
//! apart the typical samples are.

/// min, p10, median, p90 and max of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Samples summarised.
    pub n: usize,
    /// The smallest sample.
    pub min: f64,
    /// The 10th percentile (nearest rank).
    pub p10: f64,
    /// The median (nearest rank, lower of the two middle ones).
    pub median: f64,
    /// The 90th percentile (nearest rank).
    pub p90: f64,
    /// The largest sample.
    pub max: f64,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<Self> {
        let mut s: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
        if s.is_empty() {
            return None;
        }
        s.sort_by(f64::total_cmp);
        let at = |q: usize| s[(s.len() - 1) * q / 100];
        Some(Summary {
            n: s.len(),
            min: s[0],
            p10: at(10),
            median: at(50),
            p90: at(90),
            max: s[s.len() - 1],
        })
    }

    /// `(p90 - p10) / median` in percent (0 when the median is 0).
    pub fn spread_pct(&self) -> f64 {
        if self.median == 0.0 {
            0.0
        } else {
            (self.p90 - self.p10) / self.median * 100.0
        }
    }

    /// `min=.. p10=.. median=.. p90=.. max=.. spread_pct=..`, with `unit`
    /// appended to the five sample keys (`min_ns=` for `"_ns"`).
    pub fn words(&self, unit: &str) -> String {
        format!(
            "n={} min{unit}={:.3} p10{unit}={:.3} median{unit}={:.3} p90{unit}={:.3} \
             max{unit}={:.3} spread_pct={:.3}",
            self.n,
            self.min,
            self.p10,
            self.median,
            self.p90,
            self.max,
            self.spread_pct()
        )
    }

    /// Reads back what [`Summary::words`] wrote with the same `unit`.
    pub fn parse(line: &str, unit: &str) -> Option<Self> {
        let get = |k: &str| field(line, &format!("{k}{unit}"));
        Some(Summary {
            n: field(line, "n")? as usize,
            min: get("min")?,
            p10: get("p10")?,
            median: get("median")?,
            p90: get("p90")?,
            max: get("max")?,
        })
    }
}

/// The number after `key=` among the whitespace-separated words of `line`.
pub fn field(line: &str, key: &str) -> Option<f64> {
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.parse().ok())
}

/// The text after `key=` among the words of `line`.
pub fn word<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=11).map(f64::from).rev().collect();
        let s = Summary::of(&v).unwrap();
        assert_eq!(
            (s.min, s.p10, s.median, s.p90, s.max),
            (1.0, 2.0, 6.0, 10.0, 11.0)
        );
        assert_eq!(s.n, 11);
        assert!((s.spread_pct() - 800.0 / 6.0).abs() < 1e-9);
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Summary::of(&[5.0]).unwrap().spread_pct(), 0.0);
    }

    #[test]
    fn words_round_trip() {
        let s = Summary::of(&[3.0, 1.5, 2.25]).unwrap();
        let line = format!("time method=walk {}", s.words("_ns"));
        assert_eq!(Summary::parse(&line, "_ns"), Some(s));
        assert_eq!(word(&line, "method"), Some("walk"));
        assert_eq!(field(&line, "median_ns"), Some(2.25));
        assert_eq!(Summary::parse(&line, ""), None);
    }
}
