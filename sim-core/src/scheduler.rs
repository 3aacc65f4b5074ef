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
pub struct Scheduler<E> {
    heap: BinaryHeap<Key>,
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
        self.heap.push(Key { at, seq, slot });
    }

    /// The earliest event, ties broken by insertion order.
    pub fn pop(&mut self) -> Option<(Instant, E)> {
        let key = self.heap.pop()?;
        debug_assert!(key.at >= self.now, "events come out in time order");
        self.now = key.at;
        self.free.push(key.slot);
        let event = self.slots[key.slot as usize]
            .take()
            .expect("a queued slot holds its event");
        debug_assert_eq!(self.heap.len() + self.free.len(), self.slots.len());
        Some((key.at, event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
    }
}
