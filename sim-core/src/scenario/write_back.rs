//! A [`ScriptEvent`] written back in the file's own terms, as an
//! [`EventSpec`]: how `raftsim shrink` turns drawn chaos into plain
//! `events`. The inverse of `events.rs`; it checks nothing, because what
//! it writes came from a checked scenario or the chaos generator.

use crate::cluster::PPB_PER_PPM;
use crate::faults::{Fault, NodeRef, ScriptEvent};

use super::ms::{range_ms, AtMs, Ms};
use super::{EventSpec, NetworkSpec, NodeRefSpec, SetClockSpec, SetLinkSpec, StallDiskSpec};

pub(super) fn ref_spec(node: &NodeRef) -> NodeRefSpec {
    match node {
        NodeRef::Id(id) => NodeRefSpec::Id(u64::from(id.0)),
        NodeRef::Leader => NodeRefSpec::Name("leader".into()),
        NodeRef::Follower(k) => NodeRefSpec::Name(format!("follower:{k}")),
        NodeRef::Freshest(k) => NodeRefSpec::Name(format!("freshest:{k}")),
        NodeRef::Crashed => NodeRefSpec::Name("crashed".into()),
        NodeRef::Name(name) => NodeRefSpec::Name(name.clone()),
    }
}

fn pair_specs(pairs: &[(NodeRef, NodeRef)]) -> Vec<[NodeRefSpec; 2]> {
    pairs
        .iter()
        .map(|(a, b)| [ref_spec(a), ref_spec(b)])
        .collect()
}

/// Writes a script event back in the file's own terms, so drawn chaos can
/// be written out as plain `events` (by `raftsim shrink`).
pub fn event_spec(event: &ScriptEvent) -> EventSpec {
    // An event timed from a `let` says how long after it.
    let at_us = event
        .after
        .as_ref()
        .map_or(event.at.as_us(), |after| after.offset_us);
    let mut spec = EventSpec {
        at_ms: AtMs::At(Ms::from_us(at_us)),
        wait: (event.wait && event.wait_limit_us.is_none()).then_some(true),
        wait_ms: event.wait_limit_us.map(Ms::from_us),
        after: event.after.as_ref().map(|after| after.name.clone()),
        ..EventSpec::default()
    };
    match &event.fault {
        Fault::Isolate(node) => spec.isolate = Some(ref_spec(node)),
        Fault::Partition(groups) => {
            spec.partition = Some(
                groups
                    .iter()
                    .map(|g| g.iter().map(|n| u64::from(n.0)).collect())
                    .collect(),
            )
        }
        Fault::Cut(pairs) => spec.cut = Some(pair_specs(pairs)),
        Fault::CutOneway(pairs) => spec.cut_oneway = Some(pair_specs(pairs)),
        Fault::Restore(pairs) => spec.restore = Some(pair_specs(pairs)),
        Fault::Heal => spec.heal = Some(true),
        Fault::Crash(node) => spec.crash = Some(ref_spec(node)),
        Fault::Restart(node) => spec.restart = Some(ref_spec(node)),
        Fault::SetNetwork(patch) => {
            spec.set_network = Some(NetworkSpec {
                latency_ms: patch.latency_us.map(range_ms),
                loss: patch.loss,
                duplicate: patch.duplicate,
            })
        }
        Fault::ResetNetwork => spec.reset_network = Some(true),
        Fault::SetLink { between, link } => {
            spec.set_link = Some(SetLinkSpec {
                between: [ref_spec(&between.0), ref_spec(&between.1)],
                loss: link.loss,
                latency_ms: link.latency_us.map(range_ms),
                drop_payloads: link.drop_payloads,
            })
        }
        Fault::Pause(node) => spec.pause = Some(ref_spec(node)),
        Fault::Resume(node) => spec.resume = Some(ref_spec(node)),
        Fault::SetClock { node, drift_ppb } => {
            spec.set_clock = Some(SetClockSpec {
                node: ref_spec(node),
                drift_ppm: *drift_ppb as f64 / PPB_PER_PPM,
            })
        }
        Fault::StallDisk { node, for_us } => {
            spec.stall_disk = Some(StallDiskSpec {
                node: ref_spec(node),
                for_ms: Ms::from_us(*for_us),
            })
        }
        Fault::Let(bindings) => {
            spec.bind = Some(
                bindings
                    .iter()
                    .map(|(name, node)| (name.clone(), ref_spec(node)))
                    .collect(),
            )
        }
        Fault::Request(request) => super::membership::write_request(request, &mut spec),
    }
    spec
}
