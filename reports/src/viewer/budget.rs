//! The size budget of a viewer page, and fitting each variant's record into
//! its share of it. The budget is 2 MB for a run of up to 10 virtual
//! minutes, growing in proportion to 10 MB at a virtual hour, and 10 MB for
//! anything longer; each variant gets an equal share of what the page's
//! script and style leave. A record over its share loses detail in steps:
//! first its markers, if they take more than a sixth of it, are merged
//! (those of a kind close together become one); then each step halves the
//! windows around its moments and doubles the period of the log and commit
//! samples between them, by the same rule the recorder follows (`record`),
//! so inside the windows that remain everything is still exact; the last
//! steps keep only the moments, then no messages. Role, term, vote,
//! leader, crashes, restarts, pauses and cut links are never thinned.

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

/// How thin a record is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Thinning {
    window_us: u64,
    coarse_us: u64,
    messages: bool,
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

/// `replay` with windows of `window_us` around its moments, samples every
/// `coarse_us` between them, and `markers`.
fn thin(replay: &VariantReplay, markers: &[Marker], how: Thinning) -> VariantReplay {
    let Thinning {
        window_us,
        coarse_us,
        ..
    } = how;
    // A violation keeps its whole window: what led to it matters most.
    // Windows of no width would be exact at single instants only: none.
    let mut spans = match window_us {
        0 => Vec::new(),
        _ => record::windows(&replay.moments, window_us, replay.end_us),
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
    let windows = record::merged(spans);
    let inside = |t: u64| {
        let i = windows.partition_point(|w| w.1 < t);
        windows.get(i).is_some_and(|w| w.0 <= t)
    };
    // A window opens in (a, b]: the change at a is the state it opens with.
    let opens_between = |a: u64, b: u64| {
        let i = windows.partition_point(|w| w.0 <= a);
        windows.get(i).is_some_and(|w| w.0 <= b)
    };
    let kept: Vec<Vec<StatusChange>> = replay
        .statuses
        .iter()
        .map(|changes| {
            let mut kept = Vec::new();
            for (i, s) in changes.iter().enumerate() {
                let before = i.checked_sub(1).map(|j| &changes[j]);
                let after = changes.get(i + 1);
                let keep = before.is_none_or(|b| b.view.differs_in_state(&s.view))
                    || inside(s.at_us)
                    || after.is_none_or(|a| {
                        inside(a.at_us)
                            || a.at_us / coarse_us != s.at_us / coarse_us
                            || opens_between(s.at_us, a.at_us)
                    });
                if keep {
                    kept.push(*s);
                }
            }
            kept
        })
        .collect();
    VariantReplay {
        statuses: kept,
        messages: replay
            .messages
            .iter()
            .filter(|m| how.messages && inside(m.sent_us))
            .copied()
            .collect(),
        markers: markers.to_vec(),
        windows,
        window_us,
        coarse_us,
        label: replay.label.clone(),
        nodes: replay.nodes,
        end_us: replay.end_us,
        kinds: replay.kinds.clone(),
        node_events: replay.node_events.clone(),
        links: replay.links.clone(),
        configs: replay.configs.clone(),
        moments: replay.moments.clone(),
        links_known: replay.links_known,
    }
}

/// Markers merged per ever longer periods (1 ms, 2 ms, 4 ms, ...) until
/// their JSON takes at most `bytes`.
fn markers_within(markers: &[Marker], bytes: usize) -> Vec<Marker> {
    let size = |m: &[Marker]| encode::markers(m).to_string().len();
    let mut merged = markers.to_vec();
    let mut merge_us = 1_000;
    while size(&merged) > bytes && merged.len() > 1 && merge_us < u64::MAX / 2 {
        merged = merge_markers(markers, merge_us);
        merge_us *= 2;
    }
    merged
}

/// `replay`, thinned until its data (returned with it, as JSON) takes at
/// most `share` bytes, or as thin as it gets: its markers merged until
/// they take a sixth of it at most; then windows halved and sample
/// periods doubled up to ten times, then only the moments themselves, then
/// no messages at all. `None` when it fits as it is.
pub fn fit(replay: &VariantReplay, share: usize) -> (Option<VariantReplay>, String) {
    let json = encode::variant(replay);
    if json.len() <= share {
        return (None, json);
    }
    let markers = markers_within(&replay.markers, share / 6);
    let mut how = Thinning {
        window_us: replay.window_us,
        coarse_us: replay.coarse_us,
        messages: true,
    };
    // Each step takes off about a third: start near the step that fits.
    let over = json.len() as f64 / share.max(1) as f64;
    let mut step = (over.log(1.5).floor() as u32).clamp(1, 10);
    how.window_us >>= step;
    how.coarse_us = (how.coarse_us << step).min(60_000_000);
    loop {
        let current = thin(replay, &markers, how);
        let json = encode::variant(&current);
        if json.len() <= share || step == 12 {
            return (Some(current), json);
        }
        step += 1;
        how.window_us = if step >= 11 { 0 } else { how.window_us / 2 };
        how.coarse_us = (how.coarse_us * 2).min(60_000_000);
        how.messages = step < 12;
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
