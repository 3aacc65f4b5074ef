//! Settings that are valid but almost certainly a mistake (docs/SCENARIOS.md
//! "Warnings"): the run still proceeds, the CLI prints each on stderr. Works
//! on resolved variants, so a default counts as much as a written value.

use crate::node::ElectionKind;

use super::{Scenario, Variant};

impl Scenario {
    /// Every warning of every variant, each naming the setting (and the
    /// variant, when the file has several).
    pub fn warnings(&self) -> Vec<String> {
        let several = self.variants().len() > 1;
        let network_changes =
            self.file.events.iter().any(|e| {
                e.set_network.is_some() || e.reset_network.is_some() || e.set_link.is_some()
            });
        let mut out = Vec::new();
        for variant in self.variants() {
            let prefix = if several {
                format!("variant {:?}: ", variant.label)
            } else {
                String::new()
            };
            for warning in variant_warnings(variant, network_changes) {
                out.push(format!("{prefix}{warning}"));
            }
        }
        out
    }
}

/// Milliseconds for a message: `150`, `0.2`.
fn ms(us: u64) -> String {
    super::Ms::from_us(us).to_string()
}

fn variant_warnings(v: &Variant, network_changes: bool) -> Vec<String> {
    let mut out = Vec::new();
    let round_trip_us = v.network.latency_us.1.saturating_mul(2);
    let (timeout_min_us, _) = v.raft.election_timeout_us;
    let classic = match v.raft.election {
        ElectionKind::Classic => true,
        ElectionKind::Dledger => false,
    };
    if classic && v.raft.heartbeat_us >= timeout_min_us {
        out.push(format!(
            "raft.heartbeat_ms ({} ms) is not shorter than the minimum election timeout \
             ({} ms): followers will time out between heartbeats and start elections \
             against a healthy leader",
            ms(v.raft.heartbeat_us),
            ms(timeout_min_us)
        ));
    }
    if classic && timeout_min_us < round_trip_us {
        out.push(format!(
            "raft.election_timeout_ms starts at {} ms, below a round trip ({} ms, twice the \
             maximum latency): candidates may time out before their votes come back",
            ms(timeout_min_us),
            ms(round_trip_us)
        ));
    }
    if v.workload.proposals_per_sec > 0.0 && v.workload.retry_us < round_trip_us {
        out.push(format!(
            "workload.retry_ms ({} ms) is below a round trip ({} ms, twice the maximum \
             latency): proposals are resent before a reply can arrive",
            ms(v.workload.retry_us),
            ms(round_trip_us)
        ));
    }
    if !classic {
        // The lease follows pre_vote and check_quorum by default: named
        // only when it was set on its own.
        let lease_alone = v.raft.leader_lease && !v.raft.pre_vote && !v.raft.check_quorum;
        let ignored: Vec<&str> = [
            (v.raft.pre_vote, "raft.pre_vote"),
            (v.raft.check_quorum, "raft.check_quorum"),
            (lease_alone, "raft.leader_lease"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        if !ignored.is_empty() {
            out.push(format!(
                "{} {} no effect with raft.election \"dledger\": DLedger's elector has no \
                 pre-vote, lease or quorum check (docs/DLEDGER.md)",
                ignored.join(" and "),
                if ignored.len() == 1 { "has" } else { "have" }
            ));
        }
    }
    if v.network.loss >= 1.0 && !network_changes {
        out.push(
            "network.loss is 1 and no event changes the network: no message is ever \
             delivered in the whole run"
                .to_string(),
        );
    }
    out
}
