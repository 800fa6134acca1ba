// SPDX-License-Identifier: GPL-2.0-only
//! Speculation-safe indexing, mirroring Xen's `array_index_nospec()`
//! (xen/arch/x86/include/asm/nospec.h, CONFIG_SPECULATIVE_HARDEN_ARRAY):
//! after a bounds check on a caller-supplied index, the index is clamped
//! with a `cmp`/`sbb` mask so a mispredicted check cannot be used to read
//! out of bounds speculatively.
#![allow(unsafe_code)]

/// Returns `index` if `index < size`, else 0, without a branch.
#[inline(always)]
pub fn index_nospec(index: usize, size: usize) -> usize {
    let mask: usize;
    // SAFETY: pure register arithmetic, same sequence as Xen's
    // array_index_mask_nospec(): mask = (index < size) ? ~0 : 0.
    unsafe {
        core::arch::asm!(
            "cmp {idx}, {size}",
            "sbb {mask}, {mask}",
            idx = in(reg) index,
            size = in(reg) size,
            mask = lateout(reg) mask,
            options(pure, nomem, nostack),
        );
    }
    index & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_out_of_range_to_zero() {
        assert_eq!(index_nospec(0, 4), 0);
        assert_eq!(index_nospec(3, 4), 3);
        assert_eq!(index_nospec(4, 4), 0);
        assert_eq!(index_nospec(usize::MAX, 4), 0);
        assert_eq!(index_nospec(63, 64), 63);
    }
}
