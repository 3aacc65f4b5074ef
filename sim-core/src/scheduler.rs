//! The event queue. Owns ordering: events run by (time, insertion sequence),
//! so two events at one instant run in the order they were scheduled, never
//! in an order that depends on allocation, hashing or threads.
//!
//! The queue of a run is small (the benchmark's holds about 12 events, at
//! most 26) and its order is data that no branch predictor can guess: a
//! binary heap's sifts mispredicted about 2.5 branches per event (push
//! and pop had a fifth of perf's samples). So events wait in a short
//! sorted array, where a pop is a decrement and a push one insertion loop
//! (one mispredicted branch, at its end): 8% of the benchmark's wall time
//! saved. While the array is full, new events wait in a binary heap
//! instead, so a large queue (64 nodes broadcasting) costs no more than a
//! heap.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use crate::time::Instant;

/// A queue key: 24 bytes, so ordering never moves whole events.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    at: Instant,
    seq: u64,
    /// Where the event waits in `Scheduler::slots`.
    slot: u32,
}

impl Key {
    /// Later than every real key (no run reaches `seq` 2^64 - 1).
    const SENTINEL: Key = Key {
        at: Instant::NEVER,
        seq: u64::MAX,
        slot: u32::MAX,
    };

    /// The key's place in the order as one number: time, then sequence
    /// (one 128-bit comparison instead of a branch per field).
    #[inline(always)]
    fn rank(self) -> u128 {
        (u128::from(self.at.as_us()) << 64) | u128::from(self.seq)
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

/// How many keys the sorted array holds; keys pushed while it is full
/// wait in the heap.
const NEAR_CAPACITY: usize = 32;

/// A priority queue of events ordered by (time, insertion sequence). The
/// keys wait in `near`, a sorted array, or, when it is full, in `far`, a
/// heap; the events wait in a slab of reused slots.
pub struct Scheduler<E> {
    /// `near[1..=near_len]`, sorted latest first, so the earliest key is
    /// the last and leaves by a decrement; `near[0]` is `Key::SENTINEL`,
    /// which ends the insertion loop without a bounds check.
    near: [Key; NEAR_CAPACITY + 1],
    near_len: usize,
    /// The keys that found `near` full (a key can be earlier than some in
    /// `near`: a pop takes the earlier of the two queues' earliest).
    far: BinaryHeap<Reverse<Key>>,
    slots: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
    /// The time of the last event popped: nothing may be scheduled before it.
    now: Instant,
    /// The rank of the last key popped: every pop's is higher (checked in
    /// debug builds only).
    #[cfg(debug_assertions)]
    last_popped: Option<u128>,
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Scheduler {
            near: [Key::SENTINEL; NEAR_CAPACITY + 1],
            near_len: 0,
            far: BinaryHeap::new(),
            slots: Vec::with_capacity(1024),
            free: Vec::with_capacity(1024),
            next_seq: 0,
            now: Instant::ZERO,
            #[cfg(debug_assertions)]
            last_popped: None,
        }
    }
}

impl<E> Scheduler<E> {
    /// Queues `event` at `at`, which must not be before the last event
    /// popped: the past cannot be changed. Inlined, like `pop`: both are
    /// short now, and the run loop calls them for every event.
    #[inline(always)]
    pub fn push(&mut self, at: Instant, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.push_at_seq(at, seq, event);
    }

    /// Sets aside `count` insertion sequences, to be given later to
    /// events pushed with [`Scheduler::push_reserved`]: such an event runs,
    /// among those of its instant, where it would have had it been pushed
    /// now. Returns the first.
    pub fn reserve(&mut self, count: u64) -> u64 {
        let first = self.next_seq;
        self.next_seq = first.checked_add(count).expect("sequences to spare");
        first
    }

    /// Queues `event` at `at` with a sequence set aside by `reserve`. The
    /// caller gives each sequence once and never one that ranks before an
    /// event already popped.
    pub fn push_reserved(&mut self, at: Instant, seq: u64, event: E) {
        assert!(seq < self.next_seq, "sequence {seq} was never reserved");
        self.push_at_seq(at, seq, event);
    }

    #[inline(always)]
    fn push_at_seq(&mut self, at: Instant, seq: u64, event: E) {
        debug_assert!(
            at >= self.now,
            "an event scheduled at {at}, before the current {}",
            self.now
        );
        let slot = match self.free.pop() {
            Some(slot) => {
                debug_assert!(
                    self.slots[slot as usize].is_none(),
                    "a free slot holds no event"
                );
                self.slots[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slots.push(Some(event));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 queued events")
            }
        };
        let key = Key { at, seq, slot };
        if self.near_len == NEAR_CAPACITY {
            self.far.push(Reverse(key));
            return;
        }
        // Insertion: the keys earlier than the new one move up by one; the
        // sentinel stops the loop.
        let rank = key.rank();
        let mut i = self.near_len + 1;
        while self.near[i - 1].rank() < rank {
            self.near[i] = self.near[i - 1];
            i -= 1;
        }
        self.near[i] = key;
        self.near_len += 1;
        // `near` stays sorted latest first: the key sits between a later
        // one (or the sentinel) and an earlier one.
        debug_assert!(
            self.near[i - 1].rank() > rank
                && (i == self.near_len || self.near[i + 1].rank() < rank),
            "the sorted array lost its order at {i}"
        );
    }

    /// The earliest event, ties broken by insertion order. Inlined, as
    /// `push` is.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<(Instant, E)> {
        // With `near` empty, `near[0]` is the sentinel, later than any key.
        let from_far = match self.far.peek() {
            None => false,
            Some(Reverse(far)) => far.rank() < self.near[self.near_len].rank(),
        };
        let key = if from_far {
            self.far.pop().expect("peeked").0
        } else if self.near_len > 0 {
            self.near_len -= 1;
            self.near[self.near_len + 1]
        } else {
            return None;
        };
        debug_assert!(key.at >= self.now, "events come out in time order");
        #[cfg(debug_assertions)]
        {
            // (time, seq) order: a later push always has a higher sequence
            // and is never earlier than `now`, so every pop ranks higher.
            debug_assert!(
                self.last_popped.is_none_or(|last| key.rank() > last),
                "events come out in (time, seq) order"
            );
            self.last_popped = Some(key.rank());
        }
        debug_assert!(
            self.near_len == 0 || self.near[self.near_len].rank() > key.rank(),
            "the popped key is earlier than the sorted array's earliest"
        );
        debug_assert!(
            self.far
                .peek()
                .is_none_or(|Reverse(far)| far.rank() > key.rank()),
            "the popped key is earlier than the heap's earliest"
        );
        self.now = key.at;
        self.free.push(key.slot);
        let event = self.slots[key.slot as usize]
            .take()
            .expect("a queued slot holds its event");
        debug_assert_eq!(self.len() + self.free.len(), self.slots.len());
        Some((key.at, event))
    }

    pub fn len(&self) -> usize {
        self.near_len + self.far.len()
    }

    /// Every queued event, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &E> {
        self.slots.iter().flatten()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the push order, events pop sorted by time, and events at
        /// one instant pop in the order they were pushed.
        #[test]
        fn pops_by_time_then_insertion(times in proptest::collection::vec(0u64..20, 0..200)) {
            let mut scheduler = Scheduler::default();
            for (i, &t) in times.iter().enumerate() {
                scheduler.push(Instant::from_us(t), i);
            }
            let mut expected: Vec<(u64, usize)> = times.iter().copied().zip(0..).collect();
            expected.sort();
            let mut popped = Vec::new();
            while let Some((at, i)) = scheduler.pop() {
                popped.push((at.as_us(), i));
            }
            prop_assert_eq!(popped, expected);
        }

        /// Pushes and pops interleaved (as a run does them) come out as a
        /// reference queue of (time, seq) pairs gives them.
        #[test]
        fn interleaved_like_a_reference_heap(
            ops in proptest::collection::vec((0u64..4, 0u64..30), 0..300)
        ) {
            let mut scheduler = Scheduler::default();
            let mut reference = std::collections::BTreeSet::new();
            let mut now = 0;
            for (seq, (pops, delay)) in ops.into_iter().enumerate() {
                scheduler.push(Instant::from_us(now + delay), seq);
                reference.insert((now + delay, seq));
                for _ in 0..pops {
                    let expected = reference.pop_first();
                    let got = scheduler.pop().map(|(at, i)| (at.as_us(), i));
                    prop_assert_eq!(got, expected);
                    if let Some((at, _)) = got {
                        now = at;
                    }
                }
            }
        }

        /// A queue larger than the sorted array: keys wait in both the
        /// array and the heap, and still pop in (time, seq) order.
        #[test]
        fn beyond_the_sorted_array_like_a_reference_heap(
            prefill in proptest::collection::vec(0u64..2_000, 0..120),
            ops in proptest::collection::vec((0u64..3, 0u64..2_000), 0..400)
        ) {
            let mut scheduler = Scheduler::default();
            let mut reference = std::collections::BTreeSet::new();
            let mut seq = 0;
            for at in prefill {
                scheduler.push(Instant::from_us(at), seq);
                reference.insert((at, seq));
                seq += 1;
            }
            let mut now = 0;
            for (pops, delay) in ops {
                scheduler.push(Instant::from_us(now + delay), seq);
                reference.insert((now + delay, seq));
                seq += 1;
                for _ in 0..pops {
                    let expected = reference.pop_first();
                    let got = scheduler.pop().map(|(at, i)| (at.as_us(), i));
                    prop_assert_eq!(got, expected);
                    prop_assert_eq!(scheduler.len(), reference.len());
                    if let Some((at, _)) = got {
                        now = at;
                    }
                }
            }
        }
    }
}
