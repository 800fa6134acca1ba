// SPDX-License-Identifier: GPL-2.0-only
//! The time stamp counter, for dom0-testkit's benchmarks.
//!
//! dom0's CLOCK_MONOTONIC is Xen's pvclock. Without
//! `PVCLOCK_TSC_STABLE_BIT` (QEMU's CPUs have no invariant TSC, so Xen never
//! sets it) Linux never lets it go back: when a record starts below what
//! another one extrapolated to, the clock stands still until it catches up.
//! Booted with two CPUs under TCG that was seen for milliseconds at a time
//! (995 of 1000 back-to-back reads equal, then a 4 ms step), which makes
//! calls of a few hundred microseconds read as 0 ns; with one CPU it did
//! not happen. RDTSC has no such clamp, and under `-icount` it counts guest
//! time in instructions (calibrated: exactly 1 tick a nanosecond).
//! [`Tsc::calibrate`] converts ticks to nanoseconds over a long interval,
//! where a standing clock costs little; ratios of two TSC times do not
//! depend on it at all.
#![allow(unsafe_code)]

use std::time::{Duration, Instant};

/// The TSC now.
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC only reads the time stamp counter into registers; it
    // touches no memory. Every x86_64 CPU has it (CPUID.01H:EDX.TSC is
    // architectural in long mode); Xen emulates it when it traps it.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// TSC ticks per nanosecond, measured against CLOCK_MONOTONIC.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tsc {
    /// Ticks per nanosecond.
    pub per_ns: f64,
}

impl Tsc {
    /// Counts ticks over at least `over` of CLOCK_MONOTONIC (busy-waiting).
    pub fn calibrate(over: Duration) -> Self {
        let (t0, c0) = (Instant::now(), rdtsc());
        while t0.elapsed() < over {
            std::hint::spin_loop();
        }
        let (ns, c1) = (t0.elapsed().as_nanos() as f64, rdtsc());
        Tsc {
            per_ns: c1.wrapping_sub(c0) as f64 / ns.max(1.0),
        }
    }

    /// Nanoseconds of `ticks` TSC ticks.
    pub fn ns(&self, ticks: u64) -> f64 {
        ticks as f64 / self.per_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advances_and_calibrates() {
        let a = rdtsc();
        let t = Tsc::calibrate(Duration::from_millis(20));
        assert!(rdtsc() > a);
        assert!(t.per_ns > 0.0);
        assert!((t.ns(1000) * t.per_ns - 1000.0).abs() < 1e-6);
    }
}
