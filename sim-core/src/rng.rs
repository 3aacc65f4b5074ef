//! Seeded randomness. Every random draw of a run comes from a [`Stream`]
//! derived from the scenario seed and a fixed purpose label, so that one
//! purpose (say node 3's timers) never shifts the draws of another. The
//! sampling functions are written here rather than taken from `rand` so that
//! a dependency upgrade can never change a run.

use rand_chacha::ChaCha8Core;
use rand_core::block::Generator;
use rand_core::SeedableRng;

/// The 32-bit words one refill of the ChaCha8 core produces (four blocks).
const BUFFER_WORDS: usize = 64;
/// The draws one refill gives (two words each).
const BUFFER_DRAWS: usize = BUFFER_WORDS / 2;

/// A deterministic random stream (ChaCha8): the words of `rand_chacha`'s
/// `ChaCha8Rng`, two per draw, low word first, so the draws are exactly
/// that generator's `next_u64` (a test compares them). Buffered here
/// rather than through the generator so that a draw is a load and an
/// increment; every draw takes two words, so a draw never straddles a
/// refill.
#[derive(Clone)]
pub struct Stream {
    words: [u32; BUFFER_WORDS],
    /// The next draw: words `2 * next` and `2 * next + 1`
    /// (`BUFFER_DRAWS`: refill first).
    next: usize,
    core: ChaCha8Core,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream").finish_non_exhaustive()
    }
}

/// What a stream is for. The label is part of the key, so streams of
/// different purposes are independent.
#[derive(Clone, Copy, Debug)]
pub enum Purpose {
    /// Network draws for one directed link (index = from * 64 + to).
    Link,
    /// One node's timers (index = node id).
    NodeTimers,
    /// Storage write latencies of one node (index = node id).
    Storage,
    /// Randomly drawn faults (the scenario's `chaos` section).
    Chaos,
    /// One node's clock drift, drawn once per run (index = node id).
    ClockDrift,
    /// How late each timer of one node fires (index = node id).
    TimerJitter,
    /// The drawn instants of one scripted event with a ranged `at_ms`
    /// (index = the event's position in the file).
    EventTimes,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::Link => "network/link",
            Purpose::NodeTimers => "node/timers",
            Purpose::Storage => "node/storage",
            Purpose::Chaos => "chaos",
            Purpose::ClockDrift => "node/clock-drift",
            Purpose::TimerJitter => "node/timer-jitter",
            Purpose::EventTimes => "script/event-times",
        }
    }
}

/// FNV-1a (64 bit): stable across platforms and Rust versions, for keys
/// and fingerprints (not for anything adversarial).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The ChaCha8 key of stream `purpose` number `index` of a run with `seed`.
fn key(seed: u64, purpose: Purpose, index: u64) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[0..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&fnv1a(purpose.label().as_bytes()).to_le_bytes());
    key[16..24].copy_from_slice(&index.to_le_bytes());
    key[24..32].copy_from_slice(b"raftsim1");
    key
}

impl Stream {
    /// The stream for `purpose` number `index` of a run with `seed`.
    pub fn new(seed: u64, purpose: Purpose, index: u64) -> Stream {
        let key = key(seed, purpose, index);
        Stream {
            core: ChaCha8Core::from_seed(key),
            words: [0; BUFFER_WORDS],
            next: BUFFER_DRAWS,
        }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        if self.next >= BUFFER_DRAWS {
            self.refill();
        }
        debug_assert!(self.next < BUFFER_DRAWS, "a draw within the buffer");
        let (lo, hi) = (self.words[2 * self.next], self.words[2 * self.next + 1]);
        self.next += 1;
        (u64::from(hi) << 32) | u64::from(lo)
    }

    /// Once every 32 draws: out of line, so that a draw inlines.
    #[cold]
    #[inline(never)]
    fn refill(&mut self) {
        self.core.generate(&mut self.words);
        self.next = 0;
    }

    /// Uniform in `0..bound` (bound > 0), unbiased (Lemire's method). The
    /// rejection threshold (a 64-bit division) is computed only when the
    /// low half of the product falls below `bound`, which is rare (out of
    /// line): the draws, and so the results, are those of the plain method.
    #[inline]
    pub fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        let product = u128::from(self.next_u64()) * u128::from(bound);
        if (product as u64) < bound {
            return self.below_rejecting(bound, product);
        }
        let drawn = (product >> 64) as u64;
        debug_assert!(drawn < bound, "{drawn} drawn below {bound}");
        drawn
    }

    /// The rare path of [`Stream::below`]: redraws while the low half of
    /// the product is below Lemire's threshold.
    #[cold]
    #[inline(never)]
    fn below_rejecting(&mut self, bound: u64, mut product: u128) -> u64 {
        let threshold = bound.wrapping_neg() % bound;
        while (product as u64) < threshold {
            product = u128::from(self.next_u64()) * u128::from(bound);
        }
        let drawn = (product >> 64) as u64;
        debug_assert!(drawn < bound, "{drawn} drawn below {bound}");
        drawn
    }

    /// Uniform in `min..=max`.
    #[inline]
    pub fn between(&mut self, min: u64, max: u64) -> u64 {
        debug_assert!(min <= max);
        let drawn = match (max - min).checked_add(1) {
            Some(span) => min + self.below(span),
            None => self.next_u64(),
        };
        debug_assert!(
            (min..=max).contains(&drawn),
            "{drawn} outside [{min}, {max}]"
        );
        drawn
    }

    /// Uniform in [0, 1).
    #[inline]
    pub fn unit(&mut self) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        debug_assert!((0.0..1.0).contains(&unit), "{unit} outside [0, 1)");
        unit
    }

    /// True with probability `p`. Always consumes exactly one draw, so that
    /// streams stay aligned whatever `p` is (common random numbers).
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        debug_assert!(!p.is_nan(), "a chance of NaN");
        self.unit() < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_draws_other_key_other_draws() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut s = Stream::new(7, Purpose::Link, 3);
                move |_| s.next_u64()
            })
            .collect();
        let mut again = Stream::new(7, Purpose::Link, 3);
        assert_eq!(a, (0..4).map(|_| again.next_u64()).collect::<Vec<_>>());
        let mut other_index = Stream::new(7, Purpose::Link, 4);
        let mut other_purpose = Stream::new(7, Purpose::NodeTimers, 3);
        let mut other_seed = Stream::new(8, Purpose::Link, 3);
        assert_ne!(a[0], other_index.next_u64());
        assert_ne!(a[0], other_purpose.next_u64());
        assert_ne!(a[0], other_seed.next_u64());
    }

    /// The buffered draws are `rand_chacha`'s `ChaCha8Rng::next_u64`,
    /// across several refills: every stream, so every run, is unchanged.
    #[test]
    fn draws_are_chacha8rng_next_u64() {
        use rand_core::Rng;
        let mut ours = Stream::new(11, Purpose::Link, 6);
        let mut reference = rand_chacha::ChaCha8Rng::from_seed(key(11, Purpose::Link, 6));
        for i in 0..1_000 {
            assert_eq!(ours.next_u64(), reference.next_u64(), "draw {i}");
        }
    }

    #[test]
    fn between_stays_in_range_and_covers_it() {
        let mut s = Stream::new(1, Purpose::Chaos, 0);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let v = s.between(10, 14);
            assert!((10..=14).contains(&v));
            seen[(v - 10) as usize] = true;
        }
        assert!(seen.iter().all(|&x| x));
        assert_eq!(s.between(3, 3), 3);
        let _ = s.between(0, u64::MAX);
    }

    /// The plain Lemire method, threshold computed up front: `below` must
    /// give exactly its results (a run's draws may not change).
    fn below_plain(s: &mut Stream, bound: u64) -> u64 {
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let product = u128::from(s.next_u64()) * u128::from(bound);
            if (product as u64) >= threshold {
                return (product >> 64) as u64;
            }
        }
    }

    #[test]
    fn below_draws_what_the_plain_method_draws() {
        let mut fast = Stream::new(3, Purpose::Link, 1);
        let mut plain = Stream::new(3, Purpose::Link, 1);
        // Bounds near 2^63 reject about half the draws: both paths taken.
        let bounds = [1, 2, 3, 7, 4_001, 1 << 40, (1 << 63) + 1, u64::MAX];
        for i in 0..20_000 {
            let bound = bounds[i % bounds.len()];
            assert_eq!(
                fast.below(bound),
                below_plain(&mut plain, bound),
                "bound {bound}"
            );
        }
    }

    #[test]
    fn chance_respects_extremes() {
        let mut s = Stream::new(1, Purpose::Chaos, 0);
        assert!((0..1000).all(|_| !s.chance(0.0)));
        assert!((0..1000).all(|_| s.chance(1.0)));
        let hits = (0..10_000).filter(|_| s.chance(0.25)).count();
        assert!((2_200..2_800).contains(&hits), "{hits}");
    }
}
