//! DLedger's heartbeats, both sides (docs/DLEDGER.md "Heartbeats"): only a
//! heartbeat installs a leader or keeps a follower following; the leader
//! tallies each round and steps down on a higher term, an inconsistent
//! leader, or too long without a quorum (DLedger's own CheckQuorum).

use super::{Actions, DLedgerState};
use crate::node::{Action, NodeId, Role, Term, TimerKind};
use crate::raft::message::{DlElection, DlHeartbeat, DlHeartbeatReply, HeartbeatCode};
use crate::raft::replication::Core;
use crate::time::Instant;

/// The tally of one heartbeat round (the leader counts itself).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(in crate::raft) struct HeartbeatTally {
    success: usize,
    not_ready: usize,
    max_term: Term,
    inconsistent_leader: bool,
    /// Nodes that replied (bit per node), so a duplicate counts once.
    replied: u64,
}

impl DLedgerState {
    /// Starts a heartbeat round: the leader counts itself a success.
    pub(super) fn send_heartbeats(&mut self, core: &mut Core, now: Instant, out: &mut Actions) {
        debug_assert_eq!(core.role(), Role::Leader, "only a leader sends heartbeats");
        self.round_seq += 1;
        self.heartbeat_round = Some(HeartbeatTally {
            success: 1,
            replied: core.id().bit(),
            ..HeartbeatTally::default()
        });
        let heartbeat = DlHeartbeat {
            term: core.term(),
            round: self.round_seq,
        };
        for peer in core.peers() {
            core.send(peer, DlElection::Heartbeat(heartbeat).into(), out);
        }
        out.push(Action::SetTimer {
            kind: TimerKind::Heartbeat,
            at: now.plus_us(core.config().dledger.heartbeat_us),
        });
        if self.heartbeat_round_can_end(core) {
            self.end_heartbeat_round(core, now, out);
        }
    }

    pub(super) fn on_heartbeat_reply(
        &mut self,
        core: &mut Core,
        now: Instant,
        from: NodeId,
        reply: &DlHeartbeatReply,
        out: &mut Actions,
    ) {
        if core.role() != Role::Leader || reply.round != self.round_seq {
            return;
        }
        let Some(tally) = self.heartbeat_round.as_mut() else {
            return;
        };
        if tally.replied & from.bit() != 0 {
            return;
        }
        tally.replied |= from.bit();
        match reply.code {
            HeartbeatCode::Success => tally.success += 1,
            HeartbeatCode::ExpiredTerm => tally.max_term = tally.max_term.max(reply.term),
            HeartbeatCode::InconsistentLeader => tally.inconsistent_leader = true,
            HeartbeatCode::TermNotReady => tally.not_ready += 1,
        }
        debug_assert!(
            tally.success + tally.not_ready <= core.cluster_size(),
            "a heartbeat tally counts more replies than nodes: {tally:?}"
        );
        if self.heartbeat_round_can_end(core) {
            self.end_heartbeat_round(core, now, out);
        }
    }

    /// A round ends on Q(success), Q(success + not_ready) or all replies.
    fn heartbeat_round_can_end(&self, core: &Core) -> bool {
        let Some(tally) = &self.heartbeat_round else {
            return false;
        };
        let q = core.quorum();
        tally.success >= q
            || tally.success + tally.not_ready >= q
            || tally.replied.count_ones() as usize == core.cluster_size()
    }

    /// The leader's decision after a round, in DLedger's order.
    pub(super) fn end_heartbeat_round(&mut self, core: &mut Core, now: Instant, out: &mut Actions) {
        let Some(tally) = self.heartbeat_round.take() else {
            return;
        };
        debug_assert_eq!(core.role(), Role::Leader, "a heartbeat round is a leader's");
        debug_assert!(
            tally.replied & core.id().bit() != 0 && tally.success >= 1,
            "a leader counts itself in its heartbeat round"
        );
        let q = core.quorum();
        if tally.max_term > core.term() {
            // A higher term in an EXPIRED_TERM reply: step down to it.
            self.become_candidate(core, now, tally.max_term, out);
        } else if tally.success >= q {
            self.last_quorum_heartbeat_at = now;
        } else if tally.success + tally.not_ready >= q {
            // Resend at once.
            out.push(Action::SetTimer {
                kind: TimerKind::Heartbeat,
                at: now,
            });
        } else if tally.inconsistent_leader
            || now.us_since(self.last_quorum_heartbeat_at) > Self::heartbeat_timeout_us(core)
        {
            // DLedger's own CheckQuorum: candidate in the same term.
            self.become_candidate(core, now, core.term(), out);
        }
    }

    /// A heartbeat's receiver side: judge it, then answer with this node's
    /// term whatever the judgement.
    pub(super) fn on_heartbeat(
        &mut self,
        core: &mut Core,
        now: Instant,
        from: NodeId,
        heartbeat: &DlHeartbeat,
        out: &mut Actions,
    ) {
        let code = if heartbeat.term < core.term() {
            HeartbeatCode::ExpiredTerm
        } else if heartbeat.term > core.term() {
            self.step_down_to_adopt(core, now, heartbeat.term, out);
            HeartbeatCode::TermNotReady
        } else {
            match core.leader() {
                Some(leader) if leader == from => {
                    Self::reset_follower_timer(core, now, out);
                    HeartbeatCode::Success
                }
                None => {
                    self.become_follower(core, now, from, out);
                    HeartbeatCode::Success
                }
                Some(_) => HeartbeatCode::InconsistentLeader,
            }
        };
        debug_assert!(
            code != HeartbeatCode::Success
                || (core.role() == Role::Follower && core.leader() == Some(from)),
            "a heartbeat answered with success makes its sender this node's leader"
        );
        let reply = DlHeartbeatReply {
            term: core.term(),
            code,
            round: heartbeat.round,
        };
        core.send(from, DlElection::HeartbeatReply(reply).into(), out);
    }
}
