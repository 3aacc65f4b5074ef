//! One message diagram as an SVG document: the title, the time axis
//! (milliseconds from the moment), faults and the moment as vertical lines,
//! the lanes, the messages as arrows (a cross where one was dropped) and a
//! legend.

use std::fmt::Write;

use sim_core::node::MessageClass;
use sim_core::trace::window::{Happening, MessageEnd, WindowMessage};

use super::lanes::{draw_lanes, draw_marks, hex, open_svg, Geometry, Labels};
use super::{Diagram, Focus};
use crate::charts::style::WIDTH_PX;
use crate::charts::ticks::linear_step;
use crate::html::escape;

const LEFT_PX: f64 = 130.0;
const RIGHT_PX: f64 = 140.0;
const TOP_PX: f64 = 96.0;
const DROP: &str = "#c00000";
const ROUTINE: &str = "#b4b4b4";

/// The most messages a diagram draws besides the deposing one. A busier
/// window leaves out routine traffic first (accepted appends and
/// heartbeats), then the messages sent furthest from the moment, and says
/// how many under the legend.
pub const MAX_ARROWS: usize = 240;

/// Which messages a diagram draws, and what it left out.
struct Selection {
    drawn: Vec<bool>,
    routine_left_out: usize,
    far_left_out: usize,
}

impl Selection {
    fn note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.routine_left_out > 0 {
            parts.push(format!(
                "{} routine appends and heartbeats",
                self.routine_left_out
            ));
        }
        if self.far_left_out > 0 {
            parts.push(format!(
                "{} messages sent furthest from the moment",
                self.far_left_out
            ));
        }
        (!parts.is_empty()).then(|| {
            format!(
                "A busy window: not drawn, so that the rest stays readable: {} (at most {MAX_ARROWS} arrows)",
                parts.join("; ")
            )
        })
    }
}

fn select(d: &Diagram, disrupting: Option<usize>) -> Selection {
    let messages = &d.window.messages;
    let mut drawn: Vec<bool> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| Some(i) != disrupting && shown(m))
        .collect();
    let count = |drawn: &[bool]| drawn.iter().filter(|&&x| x).count();
    let mut routine_left_out = 0;
    if count(&drawn) > MAX_ARROWS {
        for (i, m) in messages.iter().enumerate() {
            if drawn[i] && routine(m) {
                drawn[i] = false;
                routine_left_out += 1;
            }
        }
    }
    let mut far_left_out = 0;
    let left = count(&drawn);
    if left > MAX_ARROWS {
        let at = d.planned.focus.at_us();
        let mut by_distance: Vec<usize> = (0..messages.len()).filter(|&i| drawn[i]).collect();
        // Nearest first; ties by send order, so the choice is deterministic.
        by_distance.sort_by_key(|&i| (messages[i].sent_us.abs_diff(at), i));
        for &i in &by_distance[MAX_ARROWS..] {
            drawn[i] = false;
        }
        far_left_out = left - MAX_ARROWS;
    }
    Selection {
        drawn,
        routine_left_out,
        far_left_out,
    }
}

/// Lane spacing: roomy for a few nodes, tighter for many.
fn lane_px(nodes: u32) -> f64 {
    match nodes {
        0..=5 => 72.0,
        6..=9 => 56.0,
        _ => 42.0,
    }
}

fn seconds(us: u64) -> String {
    format!("{:.3} s", us as f64 / 1e6)
}

/// The diagram's SVG.
pub fn svg(d: &Diagram) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_svg(&mut out, d);
    out
}

fn write_svg(out: &mut String, d: &Diagram) -> std::fmt::Result {
    let w = &d.window;
    let g = Geometry {
        start_us: w.start_us,
        end_us: w.end_us.max(w.start_us + 1),
        left: LEFT_PX,
        right: f64::from(WIDTH_PX) - RIGHT_PX,
        top: TOP_PX,
        lane_px: lane_px(d.nodes),
        nodes: d.nodes,
    };
    let disrupting = disrupting(d);
    let selection = select(d, disrupting);
    let note = selection.note();
    let note_px = if note.is_some() { 18.0 } else { 0.0 };
    let height = (g.bottom() + 96.0 + note_px).ceil() as u32;
    open_svg(out, WIDTH_PX, height)?;
    write_title(out, d, disrupting.is_some())?;
    write_axis(out, &g, d.planned.focus.at_us())?;
    draw_lanes(out, &g, w)?;
    write_happenings(out, &g, d)?;
    // State labels claim their places first and are drawn on top.
    let mut labels = Labels::default();
    let mut marks = String::new();
    draw_marks(&mut marks, &g, w, &d.planned.focus, &mut labels)?;
    // So does the deposing message's, drawn over the other messages.
    let mut top = String::new();
    if let Some(i) = disrupting {
        write_message(&mut top, &g, &w.messages[i], true, Some(&mut labels))?;
    }
    for (i, m) in w.messages.iter().enumerate() {
        if selection.drawn[i] {
            let label = labelled(w, i).then_some(&mut labels);
            write_message(out, &g, m, false, label)?;
        }
    }
    out.push_str(&top);
    out.push_str(&marks);
    write_legend(out, g.bottom() + 62.0)?;
    if let Some(note) = note {
        writeln!(
            out,
            "<text class=\"left-out\" x=\"16\" y=\"{:.1}\" font-size=\"11\" fill=\"#555\">{}</text>",
            g.bottom() + 80.0,
            escape(&note)
        )?;
    }
    writeln!(out, "</svg>")
}

/// Which messages a diagram draws: every vote and pre-vote and its answer,
/// every append and heartbeat (thin, grey, unlabelled) and the answers to
/// them that refuse; the disrupting message whatever it is.
fn shown(m: &WindowMessage) -> bool {
    match m.class {
        MessageClass::VoteRequest
        | MessageClass::VoteReply
        | MessageClass::Append
        | MessageClass::Other => true,
        MessageClass::AppendReply => m.granted == Some(false),
    }
}

fn routine(m: &WindowMessage) -> bool {
    match m.class {
        MessageClass::Append | MessageClass::AppendReply => m.granted != Some(false),
        MessageClass::VoteRequest | MessageClass::VoteReply | MessageClass::Other => false,
    }
}

/// Whether message `i` gets a label: not routine, and not a copy of the
/// message before it sent to another peer (one label per broadcast).
fn labelled(w: &sim_core::trace::window::MessageWindow, i: usize) -> bool {
    let m = &w.messages[i];
    if routine(m) {
        return false;
    }
    !(i > 0 && {
        let p = &w.messages[i - 1];
        p.from == m.from && p.sent_us == m.sent_us && p.kind == m.kind && p.term == m.term
    })
}

/// The message whose delivery deposed the leader: delivered to it from
/// `by` at the disruption's instant, carrying the new term.
fn disrupting(d: &Diagram) -> Option<usize> {
    let Focus::Disruption(p) = &d.planned.focus else {
        return None;
    };
    let at = d.planned.focus.at_us();
    d.window.messages.iter().rposition(|m| {
        Some(m.from) == p.by
            && m.to == p.node
            && m.term == p.term
            && m.end == MessageEnd::Delivered(at)
    })
}

fn write_title(out: &mut String, d: &Diagram, found: bool) -> std::fmt::Result {
    let p = &d.planned;
    let at = p.focus.at_us();
    let title = match &p.focus {
        Focus::Disruption(x) => {
            let by =
                x.by.map_or("a step".to_string(), |b| format!("node {b}'s message"));
            format!(
                "{}: disruption {} at {}: leader node {} deposed by {by} with term {}",
                p.variant,
                p.k,
                seconds(at),
                x.node,
                x.term
            )
        }
        Focus::Violation { property, .. } => {
            format!(
                "{}: safety violation ({property}) at {}",
                p.variant,
                seconds(at)
            )
        }
    };
    let mut sub = format!(
        "messages sent from {} to {}; votes and pre-votes labelled, appends and heartbeats thin grey, accepted append answers left out",
        seconds(d.window.start_us),
        seconds(d.window.end_us)
    );
    if let Focus::Violation { message, .. } = &p.focus {
        sub = format!(
            "{message} (window {} to {})",
            seconds(d.window.start_us),
            seconds(d.window.end_us)
        );
    } else if !found {
        sub.push_str(" (the deposing message was sent before the window)");
    }
    writeln!(
        out,
        "<text x=\"16\" y=\"26\" font-size=\"18\" font-weight=\"bold\" fill=\"#222\">{}</text>",
        escape(&title)
    )?;
    writeln!(
        out,
        "<text x=\"16\" y=\"46\" font-size=\"12\" fill=\"#555\">{}</text>",
        escape(&sub)
    )
}

/// Ticks every 1-2-5 milliseconds relative to the moment, and a grid line
/// at each.
fn write_axis(out: &mut String, g: &Geometry, at_us: u64) -> std::fmt::Result {
    let span_ms = (g.end_us - g.start_us) as f64 / 1000.0;
    let step_us = (linear_step(span_ms, 12) * 1000.0) as i64;
    let (start, end, at) = (g.start_us as i64, g.end_us as i64, at_us as i64);
    let first = (start - at).div_euclid(step_us) * step_us;
    let bottom = g.bottom();
    let mut t = first;
    while at + t <= end {
        if at + t >= start {
            let x = g.x((at + t) as u64);
            writeln!(
                out,
                "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\" stroke=\"#eeeeee\"/>",
                g.top
            )?;
            writeln!(
                out,
                "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#555\" text-anchor=\"middle\">{}{}</text>",
                bottom + 16.0,
                if t > 0 { "+" } else { "" },
                t / 1000
            )?;
        }
        t += step_us;
    }
    writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#555\" text-anchor=\"middle\">milliseconds from the moment at {} (virtual time)</text>",
        (g.left + g.right) / 2.0,
        bottom + 36.0,
        seconds(at_us)
    )
}

/// Faults as dotted lines with their description above the lanes, and the
/// moment itself as a red dashed line.
fn write_happenings(out: &mut String, g: &Geometry, d: &Diagram) -> std::fmt::Result {
    let (top, bottom) = (g.top - 24.0, g.bottom());
    for (at, h) in &d.window.happenings {
        let text = match h {
            Happening::Fault {
                description,
                skipped,
            } => {
                let skipped = if *skipped { " (skipped)" } else { "" };
                format!("{description}{skipped}")
            }
            Happening::Crash { node } => format!("crash {node}"),
            Happening::Restart { node } => format!("restart {node}"),
            Happening::Violation { .. } => continue,
        };
        let x = g.x(*at);
        writeln!(
            out,
            "<g class=\"fault\"><line x1=\"{x:.1}\" y1=\"{top:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\" stroke=\"#777\" stroke-dasharray=\"2 3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#444\">{}</text></g>",
            x + 3.0,
            top + 4.0,
            escape(&text)
        )?;
    }
    let x = g.x(d.planned.focus.at_us());
    let what = match &d.planned.focus {
        Focus::Disruption(_) => "disruption".to_string(),
        Focus::Violation { property, .. } => format!("violation: {property}"),
    };
    writeln!(
        out,
        "<g class=\"focus\"><line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\" stroke=\"#c00000\" stroke-width=\"1.5\" stroke-dasharray=\"6 3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" font-weight=\"bold\" fill=\"#c00000\" text-anchor=\"end\">{}</text></g>",
        top - 8.0,
        x - 4.0,
        top - 10.0,
        escape(&what)
    )
}

/// A short label: the kind and term, and for an answer whether it said yes.
fn label(m: &WindowMessage) -> String {
    let yes = if m.granted == Some(true) {
        "✓"
    } else {
        "✗"
    };
    match (m.class, m.granted) {
        (_, None) => format!("{} T{}", m.kind, m.term),
        (MessageClass::VoteReply, Some(_)) => format!("{yes} T{}", m.term),
        (
            MessageClass::AppendReply
            | MessageClass::VoteRequest
            | MessageClass::Append
            | MessageClass::Other,
            Some(_),
        ) => format!("{} T{} {yes}", m.kind, m.term),
    }
}

/// Where an arrow ends and whether a cross marks a drop there. A message
/// dropped at send is a short stub toward its receiver.
fn arrow_end(g: &Geometry, m: &WindowMessage) -> (f64, f64, bool, Option<&'static str>) {
    let (x0, y0) = (g.x(m.sent_us), g.y(m.from));
    let y1 = g.y(m.to);
    match m.end {
        MessageEnd::Delivered(at) => {
            let x1 = g.x(at);
            if at > g.end_us {
                // Still in flight when the window closes: cut at the edge.
                let f = (g.end_us - m.sent_us) as f64 / (at - m.sent_us) as f64;
                (x1, y0 + (y1 - y0) * f, false, None)
            } else {
                (x1, y1, false, None)
            }
        }
        MessageEnd::DroppedAtSend(reason) => {
            let dy = (y1 - y0).signum() * g.lane_px * 0.35;
            (x0 + 6.0, y0 + dy, true, Some(reason_name(reason)))
        }
        MessageEnd::Dropped(at, reason) => (g.x(at), y1, true, Some(reason_name(reason))),
    }
}

fn reason_name(reason: sim_core::trace::DropReason) -> &'static str {
    use sim_core::trace::DropReason;
    match reason {
        DropReason::Loss => "lost",
        DropReason::LinkCut => "link cut",
        DropReason::CutInFlight => "cut in flight",
        DropReason::NodeDown => "receiver down",
        DropReason::SenderCrashed => "sender crashed",
    }
}

fn write_message(
    out: &mut String,
    g: &Geometry,
    m: &WindowMessage,
    disrupting: bool,
    labels: Option<&mut Labels>,
) -> std::fmt::Result {
    let (x0, y0) = (g.x(m.sent_us), g.y(m.from));
    let (x1, y1, dropped, reason) = arrow_end(g, m);
    let (stroke, width) = match (disrupting, routine(m)) {
        (true, _) => ("#c00000".to_string(), 3.0),
        (false, true) => (ROUTINE.to_string(), 0.8),
        (false, false) => (hex(m.from.0), 1.6),
    };
    let class = if disrupting { "msg disrupting" } else { "msg" };
    let fate = reason.unwrap_or("delivered");
    writeln!(
        out,
        "<g class=\"{class}\" data-kind=\"{}\" data-from=\"{}\" data-to=\"{}\" data-term=\"{}\" data-fate=\"{fate}\">",
        m.kind, m.from.0, m.to.0, m.term
    )?;
    writeln!(
        out,
        "<title>{} from node {} to node {}, sent at {}: {fate}</title>",
        escape(&label(m)),
        m.from.0,
        m.to.0,
        seconds(m.sent_us)
    )?;
    writeln!(
        out,
        "<line x1=\"{x0:.1}\" y1=\"{y0:.1}\" x2=\"{x1:.1}\" y2=\"{y1:.1}\" stroke=\"{stroke}\" stroke-width=\"{width}\"/>"
    )?;
    if dropped {
        // Routine traffic's crosses are small and grey, so that a leader
        // sending into a cut does not hide the rest.
        let (r, colour) = if routine(m) {
            (2.5, "#999999")
        } else {
            (4.0, DROP)
        };
        writeln!(
            out,
            "<path class=\"drop\" d=\"M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}\" stroke=\"{colour}\" stroke-width=\"1.8\"/>",
            x1 - r,
            y1 - r,
            x1 + r,
            y1 + r,
            x1 - r,
            y1 + r,
            x1 + r,
            y1 - r
        )?;
    } else if (y1 - g.y(m.to)).abs() < 0.5 {
        write_head(out, (x0, y0), (x1, y1), &stroke, width)?;
    }
    let text = label(m);
    let (lx, ly) = if dropped {
        (x1 + 6.0, y1 + 4.0)
    } else {
        ((x0 + x1) / 2.0 + 4.0, (y0 + y1) / 2.0)
    };
    let size = if disrupting { 12.0 } else { 10.0 };
    if let Some(ly) = labels.and_then(|l| l.place(lx, ly, text.chars().count(), size)) {
        let weight = if disrupting { "bold" } else { "normal" };
        writeln!(
            out,
            "<text x=\"{lx:.1}\" y=\"{ly:.1}\" font-size=\"{size}\" font-weight=\"{weight}\" fill=\"{stroke}\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
            escape(&text)
        )?;
    }
    writeln!(out, "</g>")
}

/// An arrowhead at `to`, pointing away from `from`.
fn write_head(
    out: &mut String,
    from: (f64, f64),
    to: (f64, f64),
    stroke: &str,
    width: f64,
) -> std::fmt::Result {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let len = (dx * dx + dy * dy).sqrt().max(1e-6);
    let (ux, uy) = (dx / len, dy / len);
    let size = 5.0 + width * 1.5;
    let (bx, by) = (to.0 - ux * size, to.1 - uy * size);
    let (nx, ny) = (-uy * size * 0.45, ux * size * 0.45);
    writeln!(
        out,
        "<path d=\"M{:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z\" fill=\"{stroke}\"/>",
        to.0,
        to.1,
        bx + nx,
        by + ny,
        bx - nx,
        by - ny
    )
}

/// How to read the diagram, under the axis.
fn write_legend(out: &mut String, y: f64) -> std::fmt::Result {
    let items = [
        "→ delivered (sender's colour)",
        "✕ dropped (lost, link cut, receiver down; grey for appends)",
        "thick red: the deposing message",
        "coloured band: leader",
        "pink shading: links cut",
        "dashed lane: node down",
    ];
    writeln!(
        out,
        "<text x=\"16\" y=\"{y:.1}\" font-size=\"11\" fill=\"#555\">{}</text>",
        escape(&items.join("   ·   "))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::messages::Planned;
    use sim_core::node::NodeId;
    use sim_core::trace::window::MessageWindow;

    /// A second of five nodes sending `votes` vote requests and `appends`
    /// heartbeats, evenly spread; the moment at its end.
    fn busy(votes: usize, appends: usize) -> Diagram {
        let message = |k: usize, class| WindowMessage {
            id: k as u64,
            from: NodeId(1 + (k % 5) as u32),
            to: NodeId(1 + ((k + 1) % 5) as u32),
            sent_us: (k as u64 * 997) % 1_000_000,
            kind: "RequestVote",
            term: 2,
            class,
            granted: None,
            end: MessageEnd::Delivered((k as u64 * 997) % 1_000_000 + 500),
        };
        let mut messages: Vec<WindowMessage> = (0..votes)
            .map(|k| message(k, MessageClass::VoteRequest))
            .chain((votes..votes + appends).map(|k| message(k, MessageClass::Append)))
            .collect();
        messages.sort_by_key(|m| m.sent_us);
        Diagram {
            planned: Planned {
                variant: "raft".into(),
                k: 1,
                focus: Focus::Violation {
                    at_us: 1_000_000,
                    property: "election_safety".into(),
                    message: "two leaders".into(),
                },
                window: (0, 1_000_000),
            },
            window: MessageWindow {
                start_us: 0,
                end_us: 1_000_000,
                initial: vec![(None, true); 5],
                messages,
                marks: Vec::new(),
                happenings: Vec::new(),
                cut_links: Vec::new(),
            },
            nodes: 5,
        }
    }

    fn arrows(svg: &str) -> usize {
        svg.matches("<g class=\"msg\"").count()
    }

    #[test]
    fn a_quiet_window_draws_every_message() {
        let svg = svg(&busy(40, 100));
        assert_eq!(arrows(&svg), 140);
        assert!(!svg.contains("left-out"));
    }

    #[test]
    fn a_busy_window_leaves_out_heartbeats_first_and_says_so() {
        let svg = svg(&busy(200, 600));
        assert_eq!(arrows(&svg), 200, "every vote, no heartbeat");
        assert!(svg.contains(
            "not drawn, so that the rest stays readable: 600 routine appends and heartbeats"
        ));
    }

    #[test]
    fn a_storm_keeps_the_messages_nearest_the_moment() {
        let d = busy(1000, 0);
        let svg = svg(&d);
        assert_eq!(arrows(&svg), MAX_ARROWS);
        assert!(svg.contains("760 messages sent furthest from the moment"));
        // The latest message (nearest the moment at the end) is drawn, the
        // earliest is not.
        let drawn = select(&d, None).drawn;
        let last = d.window.messages.len() - 1;
        assert!(drawn[last] && !drawn[0]);
    }
}
