//! Hints to the memory system, the engine's only unsafe code: neither changes what any
//! computation reads or writes, only how soon the data is there.
//!
//! - [`advise_huge_pages`]: the sparse benchmark's cell records (64 bytes x 110 000 cells) are
//!   read in random order, one per synaptic input, over 1 700 pages of 4 KiB, more than the TLB
//!   holds; on 2 MiB pages the array takes four. (With transparent huge pages for everything,
//!   the sparse run was 20 % faster: BENCHMARKS.md, step 13.)
//! - [`prefetch`]: the engine knows which cells the next delivery will touch long before it
//!   touches them, and asks for their records while it works on the current delivery.
#![allow(unsafe_code)]

/// Asks the kernel to back `v`'s allocation (its whole capacity) with transparent huge pages,
/// where the system allows it (Linux with `transparent_hugepage` set to `madvise` or
/// `always`). Call it before the vector is filled: pages already touched keep their size.
/// Elsewhere, or if the kernel declines, nothing happens; the hint never fails a run.
pub(super) fn advise_huge_pages<T>(v: &mut Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = v.as_mut_ptr() as usize;
        let len = v.capacity() * std::mem::size_of::<T>();
        // only whole pages inside the allocation
        let (a, b) = (
            (start + PAGE - 1) & !(PAGE - 1),
            (start + len) & !(PAGE - 1),
        );
        if b > a {
            // SAFETY: `a..b` lies inside `v`'s allocation, which `v` owns. MADV_HUGEPAGE only
            // tells the kernel how to back those pages when they are first touched; it changes
            // no data and no mapping the program relies on. A failure (EINVAL on a kernel
            // without THP, say) is returned as -1 and ignored: the hint is optional.
            unsafe {
                libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// Asks the CPU to bring the cache line of `x` into cache, without waiting for it (a plain
/// read would hold up the instructions behind it until the line arrives). A no-op off x86-64.
#[inline(always)]
pub(super) fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `x` is a valid reference, and a prefetch has no architectural effect: it never
    // faults and changes no memory; `sse` is part of the x86-64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (x as *const T).cast(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// [`prefetch`]es every cache line of `s`.
#[inline]
pub(super) fn prefetch_all<T>(s: &[T]) {
    let step = (64 / std::mem::size_of::<T>().max(1)).max(1);
    for x in s.iter().step_by(step) {
        prefetch(x);
    }
    if let Some(x) = s.last() {
        prefetch(x);
    }
}
