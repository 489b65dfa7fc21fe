//! The per-shard event queue: at most one entry per cell, keyed by `(time, cell)`, with the
//! minimum on top and an entry's time changeable in place.
//!
//! A binary min-heap of `(time, cell)` pairs stored inline, plus the position of every cell's
//! entry in a dense array indexed by the cell's local index. Every operation is O(log n) and
//! touches only the heap array and one position slot per move: no hashing. We first used the
//! `priority-queue` crate, which keys entries through a hashed index map; on CUBA its sift and
//! lookup functions took 18 % of the run (BENCHMARKS.md), since the engine's keys are dense
//! small integers that need no map. `ordered_by_time_then_cell` checks this queue against a
//! `BTreeSet` of the same entries under random operation sequences.

/// No entry for this cell.
const ABSENT: u32 = u32::MAX;

/// An indexed min-heap of `(time, cell)` with at most one entry per cell `0..n`.
#[derive(Clone, Debug, Default)]
pub(super) struct EventQueue {
    /// The heap: `heap[0]` is the earliest entry.
    heap: Vec<(f64, u32)>,
    /// Position of each cell's entry in `heap`, or [`ABSENT`].
    pos: Vec<u32>,
}

/// `a` comes before `b`: earlier time, then lower cell. Times are never NaN.
#[inline]
fn before(a: (f64, u32), b: (f64, u32)) -> bool {
    a.0 < b.0 || (a.0 == b.0 && a.1 < b.1)
}

impl EventQueue {
    /// An empty queue for cells `0..n`.
    pub(super) fn new(n: usize) -> Self {
        EventQueue {
            heap: Vec::with_capacity(n),
            pos: vec![ABSENT; n],
        }
    }

    /// Removes every entry.
    pub(super) fn clear(&mut self) {
        for &(_, c) in &self.heap {
            self.pos[c as usize] = ABSENT;
        }
        self.heap.clear();
    }

    /// The earliest entry `(time, cell)`, if any.
    #[inline]
    pub(super) fn peek(&self) -> Option<(f64, u32)> {
        self.heap.first().copied()
    }

    /// Sets cell `c`'s entry to time `t`, inserting it if absent.
    #[inline]
    pub(super) fn set(&mut self, c: u32, t: f64) {
        debug_assert!(!t.is_nan());
        let p = self.pos[c as usize];
        if p == ABSENT {
            self.heap.push((t, c));
            let i = self.heap.len() - 1;
            self.pos[c as usize] = i as u32;
            self.sift_up(i);
        } else {
            let i = p as usize;
            let old = self.heap[i].0;
            self.heap[i].0 = t;
            if t < old {
                self.sift_up(i);
            } else {
                self.sift_down(i);
            }
        }
    }

    /// Removes cell `c`'s entry, if any.
    #[inline]
    pub(super) fn remove(&mut self, c: u32) {
        let p = self.pos[c as usize];
        if p == ABSENT {
            return;
        }
        self.pos[c as usize] = ABSENT;
        let i = p as usize;
        let last = self.heap.pop().expect("an entry");
        if i < self.heap.len() {
            self.heap[i] = last;
            self.pos[last.1 as usize] = i as u32;
            // the moved entry may belong above or below its new place
            self.sift_up(i);
            let j = self.pos[last.1 as usize] as usize;
            self.sift_down(j);
        }
    }

    fn sift_up(&mut self, mut i: usize) {
        let e = self.heap[i];
        while i > 0 {
            let parent = (i - 1) / 2;
            let p = self.heap[parent];
            if !before(e, p) {
                break;
            }
            self.heap[i] = p;
            self.pos[p.1 as usize] = i as u32;
            i = parent;
        }
        self.heap[i] = e;
        self.pos[e.1 as usize] = i as u32;
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        let e = self.heap[i];
        loop {
            let l = 2 * i + 1;
            if l >= n {
                break;
            }
            let r = l + 1;
            let child = if r < n && before(self.heap[r], self.heap[l]) {
                r
            } else {
                l
            };
            let ch = self.heap[child];
            if !before(ch, e) {
                break;
            }
            self.heap[i] = ch;
            self.pos[ch.1 as usize] = i as u32;
            i = child;
        }
        self.heap[i] = e;
        self.pos[e.1 as usize] = i as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// An entry as a totally ordered key for the reference set.
    fn key(t: f64, c: u32) -> (u64, u32) {
        // times here are >= 0, where the bit pattern orders like the value
        (t.to_bits(), c)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("EXACTLIF_PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(256)))]

        /// Random sequences of set / remove / pop-the-top on 40 cells, with many equal
        /// times: after every operation the top is the least (time, cell) of a reference
        /// `BTreeSet` holding the same entries.
        #[test]
        fn ordered_by_time_then_cell(ops in proptest::collection::vec((0u8..3, 0u32..40, 0u32..12), 1..400)) {
            let mut q = EventQueue::new(40);
            let mut reference: BTreeSet<(u64, u32)> = BTreeSet::new();
            let mut time_of = [None::<f64>; 40];
            for (op, c, t) in ops {
                let t = t as f64 * 0.25;
                match op {
                    0 => {
                        if let Some(old) = time_of[c as usize] {
                            reference.remove(&key(old, c));
                        }
                        q.set(c, t);
                        reference.insert(key(t, c));
                        time_of[c as usize] = Some(t);
                    }
                    1 => {
                        if let Some(old) = time_of[c as usize].take() {
                            reference.remove(&key(old, c));
                        }
                        q.remove(c);
                    }
                    _ => {
                        if let Some((t0, c0)) = q.peek() {
                            q.remove(c0);
                            reference.remove(&key(t0, c0));
                            time_of[c0 as usize] = None;
                        }
                    }
                }
                let top = q.peek().map(|(t, c)| key(t, c));
                prop_assert_eq!(top, reference.iter().next().copied());
                prop_assert_eq!(q.heap.len(), reference.len());
            }
            q.clear();
            prop_assert!(q.peek().is_none() && q.pos.iter().all(|&p| p == ABSENT));
        }
    }
}
