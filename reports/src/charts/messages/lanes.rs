//! The lanes of a message diagram: one horizontal line per node with its
//! state along the window (a band while it leads, dashed while down,
//! shading while links are cut, a label at every term or role change).

use std::fmt::Write;

use sim_core::node::{NodeId, Role};
use sim_core::trace::window::{Happening, MessageWindow, NodeMark};

use super::Focus;
use crate::charts::style::{node_colour, FONT};
use crate::html::escape;

/// The labels placed so far, so that a new one moves (a line up or down)
/// rather than cover one; a label with no free place is left out (its
/// element's tooltip still says it).
#[derive(Default)]
pub(super) struct Labels {
    boxes: Vec<(f64, f64, f64, f64)>,
}

impl Labels {
    /// A free baseline near (x, y) for `chars` characters of `size` px text.
    pub fn place(&mut self, x: f64, y: f64, chars: usize, size: f64) -> Option<f64> {
        let width = chars as f64 * size * 0.58;
        for dy in [0.0, 12.0, -12.0, 24.0, -24.0] {
            let b = (x, y + dy - size, x + width, y + dy + 2.0);
            let free = self
                .boxes
                .iter()
                .all(|o| b.2 <= o.0 || o.2 <= b.0 || b.3 <= o.1 || o.3 <= b.1);
            if free {
                self.boxes.push(b);
                return Some(y + dy);
            }
        }
        None
    }
}

/// Where things go: the time axis and the lanes.
pub(super) struct Geometry {
    pub start_us: u64,
    pub end_us: u64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub lane_px: f64,
    pub nodes: u32,
}

impl Geometry {
    pub fn x(&self, at_us: u64) -> f64 {
        let span = (self.end_us - self.start_us).max(1) as f64;
        let at = at_us.clamp(self.start_us, self.end_us);
        self.left + (self.right - self.left) * (at - self.start_us) as f64 / span
    }

    pub fn y(&self, node: NodeId) -> f64 {
        self.top + self.lane_px * (f64::from(node.0) - 0.5)
    }

    pub fn bottom(&self) -> f64 {
        self.top + self.lane_px * f64::from(self.nodes)
    }
}

pub(super) fn hex(node: u32) -> String {
    let c = node_colour(node);
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

pub(super) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Follower => "follower",
        Role::PreCandidate => "pre-candidate",
        Role::Candidate => "candidate",
        Role::Leader => "leader",
    }
}

/// A stretch of one lane in one state.
struct Stretch {
    from_us: u64,
    to_us: u64,
    leader: bool,
    up: bool,
}

/// The stretches of `node`'s lane: cut at every state mark, crash and restart.
fn stretches(w: &MessageWindow, node: NodeId) -> Vec<Stretch> {
    let (first, up) = w.initial.get(node.index()).copied().unwrap_or((None, true));
    let mut changes: Vec<(u64, Option<bool>, Option<bool>)> = Vec::new();
    for m in w.marks.iter().filter(|m| m.node == node) {
        changes.push((m.at_us, Some(m.role == Role::Leader), None));
    }
    for (at, h) in &w.happenings {
        match h {
            Happening::Crash { node: n } if *n == node => changes.push((*at, None, Some(false))),
            Happening::Restart { node: n } if *n == node => changes.push((*at, None, Some(true))),
            Happening::Crash { .. }
            | Happening::Restart { .. }
            | Happening::Fault { .. }
            | Happening::Violation { .. } => {}
        }
    }
    changes.sort_by_key(|c| c.0);
    let mut out = Vec::new();
    let (mut from, mut leader, mut live) = (
        w.start_us,
        up && first.is_some_and(|m| m.role == Role::Leader),
        up,
    );
    for (at, is_leader, is_up) in changes {
        out.push(Stretch {
            from_us: from,
            to_us: at,
            leader,
            up: live,
        });
        from = at;
        leader = is_leader.unwrap_or(leader) && is_up.unwrap_or(live);
        live = is_up.unwrap_or(live);
    }
    out.push(Stretch {
        from_us: from,
        to_us: w.end_us,
        leader,
        up: live,
    });
    out
}

/// The peers `node` cannot reach or hear from, per stretch of the window.
fn cut_stretches(w: &MessageWindow, node: NodeId) -> Vec<(u64, u64, Vec<u32>)> {
    let mut out = Vec::new();
    for (i, (at, cut)) in w.cut_links.iter().enumerate() {
        let until = w.cut_links.get(i + 1).map_or(w.end_us, |next| next.0);
        let mut peers: Vec<u32> = cut
            .iter()
            .filter_map(|&(a, b)| match (a == node, b == node) {
                (true, false) => Some(b.0),
                (false, true) => Some(a.0),
                _ => None,
            })
            .collect();
        peers.sort_unstable();
        peers.dedup();
        if !peers.is_empty() {
            out.push((*at, until, peers));
        }
    }
    out
}

/// Every lane, under the messages.
pub(super) fn draw_lanes(out: &mut String, g: &Geometry, w: &MessageWindow) -> std::fmt::Result {
    for n in 1..=g.nodes {
        let node = NodeId(n);
        let y = g.y(node);
        let colour = hex(n);
        for (from, to, peers) in cut_stretches(w, node) {
            let (x0, x1) = (g.x(from), g.x(to));
            let list: Vec<String> = peers.iter().map(u32::to_string).collect();
            // Cut from half its peers or more: the lane is shaded; else a
            // thin band (one isolated node leaves every lane a cut link).
            let most = 2 * peers.len() + 1 >= g.nodes as usize;
            let half = if most { 0.3 } else { 0.06 };
            writeln!(
                out,
                "<rect class=\"cut\" data-node=\"{n}\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#f2b8b8\" fill-opacity=\"0.5\"><title>node {n}: links to/from {} cut</title></rect>",
                y - g.lane_px * half,
                (x1 - x0).max(1.0),
                g.lane_px * 2.0 * half,
                list.join(", ")
            )?;
            if most && x1 - x0 > 110.0 {
                let text = if peers.len() + 1 == g.nodes as usize {
                    "cut off from all".to_string()
                } else {
                    format!("cut from {}", list.join(", "))
                };
                writeln!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#a0161c\">{text}</text>",
                    x0 + 4.0,
                    y + g.lane_px * 0.3 - 3.0
                )?;
            }
        }
        for s in stretches(w, node) {
            let (x0, x1) = (g.x(s.from_us), g.x(s.to_us));
            let dash = if s.up {
                ""
            } else {
                " stroke-dasharray=\"4 4\""
            };
            writeln!(
                out,
                "<line x1=\"{x0:.1}\" y1=\"{y:.1}\" x2=\"{x1:.1}\" y2=\"{y:.1}\" stroke=\"#9a9a9a\" stroke-width=\"1\"{dash}/>"
            )?;
            if s.leader {
                writeln!(
                    out,
                    "<rect class=\"leading\" data-node=\"{n}\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"10\" fill=\"{colour}\" fill-opacity=\"0.35\"/>",
                    y - 5.0,
                    (x1 - x0).max(1.0)
                )?;
            }
        }
        let initial = w.initial.get(node.index()).copied().unwrap_or((None, true));
        let state = match initial {
            (_, false) => "down".to_string(),
            (Some(m), true) => format!("T{} {}", m.term, role_name(m.role)),
            (None, true) => String::new(),
        };
        writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"14\" font-weight=\"bold\" fill=\"{colour}\" text-anchor=\"end\">node {n}</text>",
            g.left - 10.0,
            y - 2.0
        )?;
        writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#555\" text-anchor=\"end\">{}</text>",
            g.left - 10.0,
            y + 12.0,
            escape(&state)
        )?;
    }
    Ok(())
}

/// Whether `m` is the deposed leader stepping down at the focus.
fn is_step_down(m: &NodeMark, focus: &Focus) -> bool {
    match focus {
        Focus::Disruption(d) => {
            m.node == d.node && m.role != Role::Leader && m.at_us == super::ms_to_us(d.at_ms)
        }
        Focus::Violation { .. } => false,
    }
}

/// A tick and a label ("T272 candidate") at every term or role change; the
/// deposed leader's step-down ringed. Labels that would overlap the last
/// one move away from it (`Labels`).
pub(super) fn draw_marks(
    out: &mut String,
    g: &Geometry,
    w: &MessageWindow,
    focus: &Focus,
    labels: &mut Labels,
) -> std::fmt::Result {
    for m in &w.marks {
        let (x, y) = (g.x(m.at_us), g.y(m.node));
        let text = format!("T{} {}", m.term, role_name(m.role));
        let step_down = is_step_down(m, focus);
        let (class, weight, fill) = match (step_down, m.role) {
            (true, _) => ("mark step-down", "bold", "#c00000".to_string()),
            (false, Role::Leader) => ("mark", "bold", hex(m.node.0)),
            (false, Role::Follower | Role::PreCandidate | Role::Candidate) => {
                ("mark", "normal", "#333".to_string())
            }
        };
        writeln!(
            out,
            "<g class=\"{class}\" data-node=\"{}\" data-term=\"{}\" data-role=\"{}\">",
            m.node.0,
            m.term,
            role_name(m.role)
        )?;
        writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#333\" stroke-width=\"1.5\"/>",
            y - 6.0,
            y + 6.0
        )?;
        if step_down {
            writeln!(
                out,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"8\" fill=\"none\" stroke=\"#c00000\" stroke-width=\"2.5\"/>"
            )?;
        }
        let label = if step_down {
            format!("steps down: {text}")
        } else {
            text
        };
        if let Some(ty) = labels.place(x + 2.0, y - 9.0, label.chars().count(), 11.0) {
            writeln!(
                out,
                "<text x=\"{:.1}\" y=\"{ty:.1}\" font-size=\"11\" font-weight=\"{weight}\" fill=\"{fill}\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
                x + 2.0,
                escape(&label)
            )?;
        }
        writeln!(out, "</g>")?;
    }
    Ok(())
}

/// The SVG's opening tag, with its size and font.
pub(super) fn open_svg(out: &mut String, width: u32, height: u32) -> std::fmt::Result {
    writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"{FONT}\">"
    )?;
    writeln!(
        out,
        "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    )
}
