use super::*;

fn message(at_us: u64) -> Message {
    Message {
        sent_us: at_us,
        end_us: at_us + 50,
        term: 1,
        from: 1,
        to: 2,
        kind: 0,
        fate: Fate::Delivered,
    }
}

/// A fault every millisecond for a second, ten messages after each.
fn storm(detail: Detail) -> VariantReplay {
    let mut recorder = Recorder::new("storm", 2, detail, &[]);
    for k in 0..1_000 {
        let at_us = k * 1_000;
        recorder.fault(at_us, "a fault", false);
        for i in 0..10 {
            if recorder.keeps_message(at_us + i * 10) {
                recorder.send(message(at_us + i * 10));
            }
        }
    }
    recorder.violation(999_950, "a violation".to_string());
    recorder.finish(1_000_000, false)
}

#[test]
fn without_a_budget_every_moment_opens_a_window() {
    let replay = storm(Detail::new(100, 1_000));
    assert_eq!(replay.messages.len(), 10_000);
    // One per fault, and the violation's.
    assert_eq!(replay.windows.len(), 1_001, "{:?}", &replay.windows[..3]);
}

#[test]
fn with_a_budget_windows_are_spread_out_and_whole_and_a_violation_opens_one() {
    let bytes = 4_000;
    let replay = storm(Detail::new(100, 1_000).within(1_000_000, bytes));
    let kept = replay.messages.len() * MESSAGE_BYTES;
    assert!(kept <= bytes, "{kept} bytes of messages kept");
    assert!(replay.windows.len() >= 10, "{}", replay.windows.len());
    // Whole windows, spread over the run, not all at its start.
    assert!(replay
        .windows
        .iter()
        .all(|w| w.1 - w.0 >= 100 || w.1 == 1_000_000));
    assert!(replay.windows.iter().any(|w| w.0 > 500_000));
    // Every message kept is inside a window, and each window holds
    // every message sent in it.
    for w in &replay.windows {
        let inside = replay
            .messages
            .iter()
            .filter(|m| (w.0..=w.1).contains(&m.sent_us))
            .count();
        let sent = (0..1_000u64)
            .flat_map(|k| (0..10).map(move |i| k * 1_000 + i * 10))
            .filter(|t| (w.0..=w.1).contains(t))
            .count();
        assert_eq!(inside, sent, "window {w:?}");
    }
    assert!(replay
        .windows
        .iter()
        .any(|w| w.0 <= 999_950 && 999_950 <= w.1));
    // The markers are all kept, whether they opened a window or not.
    assert_eq!(replay.markers.len(), 1_001);
}

#[test]
fn between_windows_a_node_keeps_the_last_change_of_each_period_and_a_window_its_opening_state() {
    let view = |log| NodeView {
        role: Role::Follower,
        term: 1,
        vote: None,
        leader: Some(2),
        log,
        commit: 0,
    };
    let mut recorder = Recorder::new("periods", 2, Detail::new(100, 1_000), &[]);
    // The first status is a moment (a window to 100 µs).
    for (at_us, log) in [(0, 0), (200, 1), (300, 2), (1_500, 3), (1_600, 4)] {
        recorder.status(at_us, 1, view(log));
    }
    // A moment: its window opens with the state the node is in.
    recorder.fault(1_700, "a fault", false);
    recorder.status(1_750, 1, view(5));
    // Outside again, in the same period as the fault: merged anew.
    recorder.status(1_900, 1, view(6));
    recorder.status(1_950, 1, view(7));
    let replay = recorder.finish(2_000, false);
    let kept: Vec<(u64, u64)> = replay.statuses[0]
        .iter()
        .map(|s| (s.at_us, s.view.log))
        .collect();
    assert_eq!(
        kept,
        [(0, 0), (300, 2), (1_600, 4), (1_750, 5), (1_950, 7)],
        "the first status, the last of period 0, the window's opening \
         state, the change inside it, the last at the end"
    );
}

#[test]
fn no_message_is_wanted_between_windows_until_the_next_planned_one() {
    let mut recorder = Recorder::new("quiet", 2, Detail::new(100, 1_000), &[5_000]);
    assert_eq!(
        recorder.quiet_until(),
        4_900,
        "the planned window opens 100 µs early"
    );
    recorder.fault(1_000, "a fault", false);
    assert_eq!(recorder.quiet_until(), 0, "inside its window");
    assert!(recorder.keeps_message(1_100));
    assert!(!recorder.keeps_message(1_101));
    assert_eq!(recorder.quiet_until(), 4_900);
    assert!(recorder.keeps_message(4_900));
    assert_eq!(recorder.quiet_until(), 0);
}
