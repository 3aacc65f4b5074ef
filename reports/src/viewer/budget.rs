//! The size budget of a viewer page, and fitting each variant's record into
//! its share of it. The budget is 2 MB for a run of up to 10 virtual
//! minutes, growing in proportion to 10 MB at a virtual hour, and 10 MB for
//! anything longer; each variant gets an equal share of what the page's
//! script and style leave. A record over its share loses detail in steps:
//! first its markers, if they take more than a sixth of it, are merged
//! (those of a kind close together become one); then the windows around
//! its moments are halved, up to three times, and then kept around fewer
//! moments, spaced ever further apart (a whole story around some moments
//! beats a sliver around each), the period of the log and commit samples
//! between them doubling at each step, by the same rule the recorder
//! follows (`record`), so inside the windows that remain everything is
//! still exact; the last step keeps no messages. A violation keeps its
//! whole window throughout. Role, term, vote, leader, crashes, restarts,
//! pauses and cut links are never thinned. The step is chosen from one
//! encoding of the record and counts of what each step keeps, so a record
//! many times its share is encoded twice or three times, not once a step.

use super::encode;
use super::record::{self, Marker, MarkerKind, StatusChange, VariantReplay};

const MB: usize = 1_000_000;
/// 10 virtual minutes and an hour, in microseconds.
const SHORT_US: u64 = 600_000_000;
const HOUR_US: u64 = 3_600_000_000;

/// The most a page of a run of `duration_us` may weigh.
pub fn budget_bytes(duration_us: u64) -> usize {
    if duration_us <= SHORT_US {
        return 2 * MB;
    }
    let over = duration_us.min(HOUR_US) - SHORT_US;
    2 * MB + (8 * MB as u64 * over / (HOUR_US - SHORT_US)) as usize
}

/// Each of `variants` variants' share of the budget, once `fixed` bytes
/// (the page's script, style and the rest) are counted.
pub fn share_bytes(duration_us: u64, variants: usize, fixed: usize) -> usize {
    budget_bytes(duration_us).saturating_sub(fixed) / variants.max(1)
}

/// How thin a record is made: windows of `window_us` around the moments
/// at least `gap_us` apart, samples every `coarse_us` between them, and
/// messages or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Thinning {
    window_us: u64,
    coarse_us: u64,
    gap_us: u64,
    messages: bool,
}

/// The longest sample period thinning goes to.
const COARSEST_US: u64 = 60_000_000;
/// Window halvings before moments are spaced out instead: a window of an
/// eighth of a failure-detection time still shows the fault and what
/// came at once; shorter ones would show nothing whole.
const HALVINGS: u32 = 3;
/// Steps that space the moments out, each doubling the gap.
const SPACINGS: u32 = 16;

/// The steps of thinning, from the lightest: nothing but the markers
/// merged; the windows halved up to `HALVINGS` times, then the moments kept spaced ever further apart
/// (windows of a whole story around fewer moments, rather than slivers
/// around all of them), the sample period doubling at each step; last,
/// no messages and no windows.
fn ladder(replay: &VariantReplay) -> Vec<Thinning> {
    let (window, coarse) = (replay.window_us, replay.coarse_us.max(1));
    let coarse_at = |step: u32| coarse.saturating_mul(1 << step.min(30)).min(COARSEST_US);
    let mut steps: Vec<Thinning> = (0..=HALVINGS)
        .map(|step| Thinning {
            window_us: window >> step,
            coarse_us: coarse_at(step),
            gap_us: 0,
            messages: true,
        })
        .collect();
    steps.extend((1..=SPACINGS).map(|spacing| Thinning {
        window_us: window >> HALVINGS,
        coarse_us: coarse_at(HALVINGS + spacing),
        gap_us: window.max(1).saturating_mul(1 << (spacing - 1)),
        messages: true,
    }));
    steps.push(Thinning {
        window_us: 0,
        coarse_us: COARSEST_US.max(coarse),
        gap_us: u64::MAX,
        messages: false,
    });
    steps
}

/// The moments kept at `gap_us` apart at least (the first of each run of
/// close ones), in time order.
fn spaced(moments: &[(u64, bool)], gap_us: u64) -> Vec<(u64, bool)> {
    let mut sorted = moments.to_vec();
    sorted.sort_unstable();
    if gap_us == 0 {
        return sorted;
    }
    let mut kept: Vec<(u64, bool)> = Vec::new();
    for m in sorted {
        if kept.last().is_none_or(|last| m.0 - last.0 >= gap_us) {
            kept.push(m);
        }
    }
    kept
}

/// The windows a thinning keeps: around its moments, and each violation's
/// whole window (what led to it matters most). Windows of no width would
/// be exact at single instants only: none.
fn windows_of(replay: &VariantReplay, how: Thinning) -> Vec<(u64, u64)> {
    let mut spans = match (how.window_us, how.messages) {
        (0, _) | (_, false) => Vec::new(),
        _ => record::windows(
            &spaced(&replay.moments, how.gap_us),
            how.window_us,
            replay.end_us,
        ),
    };
    for v in replay
        .markers
        .iter()
        .filter(|m| m.kind == MarkerKind::Violation)
    {
        spans.extend(
            replay
                .windows
                .iter()
                .filter(|w| w.0 <= v.at_us && v.at_us <= w.1),
        );
    }
    record::merged(spans)
}

/// Whether `t` is inside one of `windows` (sorted, disjoint).
fn inside(windows: &[(u64, u64)], t: u64) -> bool {
    let i = windows.partition_point(|w| w.1 < t);
    windows.get(i).is_some_and(|w| w.0 <= t)
}

/// The status changes of one node a thinning keeps: every change of
/// state, everything inside the windows, and between them the last change
/// of each sample period and the state each window opens with.
fn kept_statuses<'a>(
    changes: &'a [StatusChange],
    windows: &'a [(u64, u64)],
    coarse_us: u64,
) -> impl Iterator<Item = &'a StatusChange> + 'a {
    // A window opens in (a, b]: the change at a is the state it opens with.
    let opens_between = move |a: u64, b: u64| {
        let i = windows.partition_point(|w| w.0 <= a);
        windows.get(i).is_some_and(|w| w.0 <= b)
    };
    changes.iter().enumerate().filter_map(move |(i, s)| {
        let before = i.checked_sub(1).map(|j| &changes[j]);
        let after = changes.get(i + 1);
        let keep = before.is_none_or(|b| b.view.differs_in_state(&s.view))
            || inside(windows, s.at_us)
            || after.is_none_or(|a| {
                inside(windows, a.at_us)
                    || a.at_us / coarse_us != s.at_us / coarse_us
                    || opens_between(s.at_us, a.at_us)
            });
        keep.then_some(s)
    })
}

/// The messages a thinning keeps: those sent inside its windows (one
/// walk along both, the messages being in send order).
fn kept_messages<'a>(
    replay: &'a VariantReplay,
    windows: &'a [(u64, u64)],
    how: Thinning,
) -> impl Iterator<Item = &'a record::Message> + 'a {
    let mut next = 0;
    replay.messages.iter().filter(move |m| {
        while windows.get(next).is_some_and(|w| w.1 < m.sent_us) {
            next += 1;
        }
        how.messages && windows.get(next).is_some_and(|w| w.0 <= m.sent_us)
    })
}

/// `replay` with what `how` keeps of it, and `markers`.
fn thin(replay: &VariantReplay, markers: &[Marker], how: Thinning) -> VariantReplay {
    let windows = windows_of(replay, how);
    VariantReplay {
        statuses: replay
            .statuses
            .iter()
            .map(|changes| {
                kept_statuses(changes, &windows, how.coarse_us)
                    .copied()
                    .collect()
            })
            .collect(),
        messages: kept_messages(replay, &windows, how).copied().collect(),
        markers: markers.to_vec(),
        window_us: how.window_us,
        coarse_us: how.coarse_us,
        label: replay.label.clone(),
        nodes: replay.nodes,
        end_us: replay.end_us,
        kinds: replay.kinds.clone(),
        node_events: replay.node_events.clone(),
        links: replay.links.clone(),
        configs: replay.configs.clone(),
        moments: replay.moments.clone(),
        links_known: replay.links_known,
        windows,
    }
}

/// What a record's data weighs, from one encoding of it: the bytes of its
/// messages and status changes apiece, and of the rest. A thinning's size
/// is then estimated by counting what it keeps, without encoding it.
struct Weights {
    per_message: f64,
    per_status: f64,
    rest: usize,
}

impl Weights {
    fn new(replay: &VariantReplay, encoded: &encode::Encoded) -> Weights {
        let count = |n: usize| n.max(1) as f64;
        let status_count: usize = replay.statuses.iter().map(Vec::len).sum();
        Weights {
            per_message: encoded.messages_bytes as f64 / count(replay.messages.len()),
            per_status: encoded.statuses_bytes as f64 / count(status_count),
            rest: encoded
                .json
                .len()
                .saturating_sub(encoded.messages_bytes + encoded.statuses_bytes),
        }
    }

    /// The estimated size of `replay` thinned by `how` (markers apart:
    /// they are the same at every step).
    fn estimate(&self, replay: &VariantReplay, how: Thinning) -> usize {
        let windows = windows_of(replay, how);
        let messages = kept_messages(replay, &windows, how).count();
        let statuses: usize = replay
            .statuses
            .iter()
            .map(|changes| kept_statuses(changes, &windows, how.coarse_us).count())
            .sum();
        self.rest
            + (messages as f64 * self.per_message + statuses as f64 * self.per_status) as usize
    }
}

/// Markers of one kind within `merge_us` of the first of a run, merged
/// into one that names how many and the first few.
fn merge_markers(markers: &[Marker], merge_us: u64) -> Vec<Marker> {
    let mut out: Vec<(Marker, usize)> = Vec::new();
    let mut open: Vec<(MarkerKind, usize)> = Vec::new();
    for m in markers {
        let group = open
            .iter()
            .find(|(kind, i)| *kind == m.kind && m.at_us - out[*i].0.at_us <= merge_us)
            .map(|&(_, i)| i);
        match group {
            Some(i) => {
                let (first, count) = &mut out[i];
                *count += 1;
                if first.text.len() < 120 {
                    first.text.push_str("; ");
                    first.text.push_str(&m.text);
                }
            }
            None => {
                open.retain(|(kind, _)| *kind != m.kind);
                open.push((m.kind, out.len()));
                out.push((m.clone(), 1));
            }
        }
    }
    out.into_iter()
        .map(|(mut m, count)| {
            if count > 1 {
                m.text = format!("{count} {}s: {}…", m.kind.name(), m.text);
            }
            m
        })
        .collect()
}

/// The size of markers as JSON, a little over: the instant, the kind and
/// the text with room for escapes.
fn markers_size(markers: &[Marker]) -> usize {
    markers.iter().map(|m| 40 + m.text.len() * 9 / 8).sum()
}

/// Markers merged per ever longer periods (1 ms, 2 ms, 4 ms, ...) until
/// their JSON takes at most `bytes`.
fn markers_within(markers: &[Marker], bytes: usize) -> Vec<Marker> {
    let mut merged = markers.to_vec();
    let mut merge_us = 1_000;
    while markers_size(&merged) > bytes && merged.len() > 1 && merge_us < u64::MAX / 2 {
        merged = merge_markers(markers, merge_us);
        merge_us *= 2;
    }
    merged
}

/// `replay`, thinned until its data (returned with it, as JSON) takes at
/// most `share` bytes, or as thin as it gets: its markers merged until
/// they take a sixth of it at most; then the lightest step of the
/// [`ladder`] whose size, estimated from one encoding, fits; a step
/// further while the encoding does not. `None` when it fits as it is.
/// A record whose markers alone could not fit is not encoded whole, and
/// no step is encoded but the one chosen (and the next, if the estimate
/// fell short).
pub fn fit(replay: &VariantReplay, share: usize) -> (Option<VariantReplay>, String) {
    let mut whole = (markers_size(&replay.markers) <= share).then(|| encode::variant_sized(replay));
    if let Some(encoded) = whole.take_if(|e| e.json.len() <= share) {
        return (None, encoded.json);
    }
    let markers = markers_within(&replay.markers, share / 6);
    let ladder = ladder(replay);
    // The record's own encoding weighs it, when its markers stay as they
    // are: the lightest step is then the record itself.
    let weights = match whole {
        Some(encoded) if markers.len() == replay.markers.len() => Weights::new(replay, &encoded),
        _ => {
            let lightest = thin(replay, &markers, ladder[0]);
            let encoded = encode::variant_sized(&lightest);
            if encoded.json.len() <= share {
                return (Some(lightest), encoded.json);
            }
            Weights::new(&lightest, &encoded)
        }
    };
    // Estimates shrink down the ladder: the first that fits.
    let fits = |how: Thinning| weights.estimate(replay, how) as f64 <= share as f64 * 0.97;
    let mut step = 1 + ladder[1..].partition_point(|&how| !fits(how));
    loop {
        let how = ladder[step.min(ladder.len() - 1)];
        let current = thin(replay, &markers, how);
        let json = encode::variant(&current);
        if json.len() <= share || step + 1 >= ladder.len() {
            return (Some(current), json);
        }
        step += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_2_mb_to_10_minutes_and_10_mb_from_an_hour() {
        assert_eq!(budget_bytes(60_000_000), 2 * MB);
        assert_eq!(budget_bytes(SHORT_US), 2 * MB);
        assert_eq!(budget_bytes((SHORT_US + HOUR_US) / 2), 6 * MB);
        assert_eq!(budget_bytes(HOUR_US), 10 * MB);
        assert_eq!(budget_bytes(7 * 24 * HOUR_US), 10 * MB);
        assert_eq!(share_bytes(60_000_000, 4, 400_000), 400_000);
    }

    #[test]
    fn windows_merge_and_stay_within_the_run() {
        let moments = [(100, true), (150, false), (1_000, true)];
        assert_eq!(
            record::windows(&moments, 60, 1_020),
            vec![(40, 210), (940, 1_020)]
        );
        assert_eq!(record::windows(&[(10, true)], 60, 500), vec![(0, 70)]);
        assert_eq!(record::windows(&[(10, false)], 60, 500), vec![(10, 70)]);
        assert_eq!(record::merged(vec![(90, 110), (50, 250)]), vec![(50, 250)]);
        // A scripted event after the run stopped.
        assert_eq!(record::windows(&[(900, true)], 60, 500), vec![]);
    }
}
