//! The replay viewer: one self-contained HTML page (docs/VIEWER.md) that
//! replays the runs of a scenario's variants in the browser: nodes on a
//! ring with their role, term, vote, log and commit, messages in flight,
//! cut links, the leader over time and markers to jump to, two variants
//! side by side on one clock.
//!
//! What a run leaves for it is kept by [`ViewerTracer`] while the run goes
//! (`record`: full detail around the moments that matter, coarser between,
//! in memory bounded by that detail), or read back from a JSON Lines trace
//! (`jsonl`); `budget` thins it further if it would not fit the page's
//! size budget. The page is a plain template (`viewer.html`, `viewer.css`,
//! `viewer.js`, compiled in) with the data inlined as one JSON document
//! (`encode`): no library, no network, nothing fetched, so the file opens
//! from disk anywhere. Like the rest of this crate it never runs a
//! simulation: the CLI runs (or replays) the variants with the tracer.

mod budget;
mod encode;
mod jsonl;
pub mod record;
mod tracer;

use serde_json::json;
use sim_core::node::{ElectionKind, RaftConfig};

pub use budget::budget_bytes;
pub use encode::message_class;
pub use jsonl::{from_jsonl, from_lines};
pub use record::{Budget, Detail, VariantReplay};
pub use sim_core::trace::TraceError;
pub use tracer::ViewerTracer;

/// The viewer's file name in a run's output directory.
pub const FILE: &str = "viewer.html";

const TEMPLATE: &str = include_str!("viewer.html");
const STYLE: &str = include_str!("viewer.css");
const SCRIPT: &str = include_str!("viewer.js");

/// The detail to keep of a run with this configuration: windows of one
/// failure-detection time (the longest election timeout; DLedger: its
/// heartbeat times the heartbeats it may miss), at least 200 ms and four
/// heartbeats, after each moment (and before a scripted event too: see
/// `record`); between them, log and commit sampled once every five
/// heartbeat intervals or every 1/20,000 of the run, whichever is longer,
/// from 1 ms to 1 s.
pub fn detail_for(raft: &RaftConfig, duration_us: u64) -> Detail {
    let (detect_us, heartbeat_us) = match raft.election {
        ElectionKind::Classic => (raft.election_timeout_us.1, raft.heartbeat_us),
        ElectionKind::Dledger => (
            raft.dledger.heartbeat_us * raft.dledger.max_heartbeat_leak,
            raft.dledger.heartbeat_us,
        ),
    };
    Detail::new(
        detect_us.max(4 * heartbeat_us).max(200_000),
        (duration_us / 20_000)
            .max(5 * heartbeat_us)
            .clamp(1_000, 1_000_000),
    )
}

/// What the page says about the run besides the variants.
pub struct Page<'a> {
    pub scenario: &'a str,
    pub description: &'a str,
    pub seed: u64,
    pub nodes: u32,
    pub duration_us: u64,
    /// Where the data came from (a results file, a trace, a run).
    pub source: &'a str,
    /// The command that reproduces the run, if known.
    pub command: Option<&'a str>,
    /// Where the page opens when its address names no instant (a
    /// variant's label and an instant), e.g. at a safety violation.
    pub start: Option<(String, u64)>,
    /// Each variant's data, as [`encode`] made it.
    pub variants: &'a [String],
}

/// What the page's script, style and facts weigh besides the variants'
/// data, with room to spare.
fn fixed_bytes() -> usize {
    TEMPLATE.len() + STYLE.len() + SCRIPT.len() + 16_384
}

/// Each variant's share of the size budget of a page of a run of
/// `duration_us` with `variants` variants (`budget`).
pub fn share_bytes(duration_us: u64, variants: usize) -> usize {
    budget::share_bytes(duration_us, variants, fixed_bytes())
}

/// A variant's data for the page, thinned if need be into `share` bytes
/// (`budget`). Made right after each variant's run, so that the runs of
/// several variants in parallel make theirs in parallel too.
pub fn encode(replay: &VariantReplay, share: usize) -> String {
    budget::fit(replay, share).1
}

/// A variant as the page holds it, once [`encode`] has fitted it into
/// `share` bytes: what the page shows of it, for checks.
pub fn fitted(replay: &VariantReplay, share: usize) -> VariantReplay {
    budget::fit(replay, share)
        .0
        .unwrap_or_else(|| replay.clone())
}

/// The whole page.
pub fn html(page: &Page) -> String {
    let facts = json!({
        "format": 1,
        "scenario": page.scenario,
        "description": page.description,
        "seed": page.seed,
        "nodes": page.nodes,
        "duration_us": page.duration_us,
        "source": page.source,
        "command": page.command,
        "start": page.start.as_ref().map(|(label, at_us)| json!({"variant": label, "t_us": at_us})),
        "vocabulary": encode::vocabulary(),
    });
    let mut data = encode::script_safe(&facts);
    data.pop(); // its closing brace: the variants go in before it
    data.push_str(",\"variants\":[");
    data.push_str(&page.variants.join(","));
    data.push_str("]}");
    TEMPLATE
        .replace("{{TITLE}}", &crate::html::escape(page.scenario))
        .replace("/*{{STYLE}}*/", STYLE)
        .replace("/*{{SCRIPT}}*/", SCRIPT)
        .replace("{{DATA}}", &data)
}
