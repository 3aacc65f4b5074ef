//! The event queue. Owns ordering: events run by (time, insertion sequence),
//! so two events at one instant run in the order they were scheduled, never
//! in an order that depends on allocation, hashing or threads.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::Instant;

/// A heap key: 24 bytes, so sifting never moves whole events.
#[derive(PartialEq, Eq)]
struct Key {
    at: Instant,
    seq: u64,
    /// Where the event waits in `Scheduler::slots`.
    slot: u32,
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    /// Reversed: `BinaryHeap` is a max-heap and we want the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// A priority queue of events ordered by (time, insertion sequence). The
/// heap holds small keys; events wait in a slab of reused slots.
///
/// Popping leaves the popped key at the top of the heap (`spent`): a run
/// almost always pushes an event right after popping one (a reply, a timer
/// re-armed), and that push overwrites the spent key and sifts it down
/// once, instead of a pop's sift to the bottom and back plus a push's
/// sift up.
pub struct Scheduler<E> {
    heap: BinaryHeap<Key>,
    /// The top of `heap` is the key popped last, its event already taken.
    spent: bool,
    slots: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
    /// The time of the last event popped: nothing may be scheduled before it.
    now: Instant,
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Scheduler {
            heap: BinaryHeap::with_capacity(1024),
            spent: false,
            slots: Vec::with_capacity(1024),
            free: Vec::with_capacity(1024),
            next_seq: 0,
            now: Instant::ZERO,
        }
    }
}

impl<E> Scheduler<E> {
    /// Queues `event` at `at`, which must not be before the last event
    /// popped: the past cannot be changed.
    pub fn push(&mut self, at: Instant, event: E) {
        debug_assert!(
            at >= self.now,
            "an event scheduled at {at}, before the current {}",
            self.now
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slots.push(Some(event));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 queued events")
            }
        };
        let key = Key { at, seq, slot };
        if self.spent {
            self.spent = false;
            let mut top = self.heap.peek_mut().expect("the spent key is at the top");
            *top = key;
        } else {
            self.heap.push(key);
        }
    }

    /// The earliest event, ties broken by insertion order.
    pub fn pop(&mut self) -> Option<(Instant, E)> {
        if self.spent {
            self.spent = false;
            self.heap.pop();
        }
        let key = self.heap.peek()?;
        let (at, slot) = (key.at, key.slot);
        self.spent = true;
        debug_assert!(at >= self.now, "events come out in time order");
        self.now = at;
        self.free.push(slot);
        let event = self.slots[slot as usize]
            .take()
            .expect("a queued slot holds its event");
        debug_assert_eq!(self.len() + self.free.len(), self.slots.len());
        Some((at, event))
    }

    pub fn len(&self) -> usize {
        self.heap.len() - usize::from(self.spent)
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
    }
}
