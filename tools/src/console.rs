// SPDX-License-Identifier: GPL-2.0-only
//! What the tools read out of Xen's console text: the DMA width Xen
//! printed at boot. Pure code.
#![forbid(unsafe_code)]

use xen_numastat_abi::PAGE_SHIFT;

/// Where the buddy allocator's DMA zone ends, as Xen decided at boot
/// (`dma_bitsize`, xen/common/page_alloc.c): no sysctl reports it, only the
/// boot line `Domain heap initialised DMA width N bits` in the console ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmaWidth {
    /// Xen printed `DMA width N bits`: zones below `N - PAGE_SHIFT + 1`
    /// (machine addresses below `2^N`) form the DMA heap.
    Bits(u32),
    /// Xen printed `Domain heap initialised` without a width: no DMA zone
    /// (one online node and no `dma_bits=`).
    None,
    /// The line is no longer in the console ring (it wrapped, or a reader
    /// cleared it).
    Unknown,
}

impl DmaWidth {
    /// Finds Xen's boot line in console text.
    pub fn from_console(text: &str) -> Self {
        const LINE: &str = "Domain heap initialised";
        let Some(at) = text.find(LINE) else {
            return Self::Unknown;
        };
        let rest = text[at + LINE.len()..].lines().next().unwrap_or("");
        let bits = rest
            .trim()
            .strip_prefix("DMA width ")
            .and_then(|r| r.strip_suffix("bits"))
            .and_then(|n| n.trim().parse::<u32>().ok());
        match bits {
            Some(b) if b > PAGE_SHIFT && b <= 64 => Self::Bits(b),
            Some(_) => Self::Unknown,
            None => Self::None,
        }
    }

    /// The first machine address above the DMA zone, if there is one.
    pub fn boundary(self) -> Option<u64> {
        match self {
            Self::Bits(b) if b < 64 => Some(1u64 << b),
            _ => None,
        }
    }

    /// Whether zone `zone` (> 0) lies below the boundary: Xen's DMA zones
    /// are `1..=bits_to_zone(dma_bitsize)` = `1..=bits - PAGE_SHIFT`.
    pub fn zone_is_dma(self, zone: u32) -> bool {
        match self {
            Self::Bits(b) => zone >= 1 && zone <= b - PAGE_SHIFT,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dma_width_from_the_boot_line() {
        let log = "(XEN) NUMA: ...\n(XEN) Domain heap initialised DMA width 28 bits\n(XEN) x\n";
        assert_eq!(DmaWidth::from_console(log), DmaWidth::Bits(28));
        let w = DmaWidth::Bits(28);
        assert_eq!(w.boundary(), Some(256 << 20));
        // Zones 1..=16 hold addresses below 2^28.
        assert!(w.zone_is_dma(1) && w.zone_is_dma(16));
        assert!(!w.zone_is_dma(17) && !w.zone_is_dma(0));
        assert_eq!(
            DmaWidth::from_console("(XEN) [  0.1] Domain heap initialised\n"),
            DmaWidth::None
        );
        assert_eq!(
            DmaWidth::from_console("(XEN) wrapped away\n"),
            DmaWidth::Unknown
        );
        assert_eq!(DmaWidth::None.boundary(), None);
        assert!(!DmaWidth::Unknown.zone_is_dma(3));
    }
}
