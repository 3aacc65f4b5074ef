//! Paused nodes: a stalled process (a GC pause, a VM freeze). It keeps all
//! its state, handles nothing and sends nothing while paused; what reaches
//! it (messages, its own timers, completed writes, client proposals, sends
//! held for its writes) queues up in arrival order, and on resume it
//! handles the queue in that order, at the resume instant
//! (docs/SEMANTICS.md "Pauses"). A crash ends a pause and loses the queue.

use super::{Cluster, Input};
use crate::node::{NodeId, RaftNode};

/// Something that reached a paused node.
pub(super) enum Pending<M> {
    Input(Input<M>),
    /// A send that was waiting for the node's writes.
    Depart(NodeId, M),
}

impl<N: RaftNode> Cluster<'_, N> {
    pub(super) fn pause(&mut self, id: NodeId) -> Result<String, String> {
        let slot = &mut self.slots[id.index()];
        if !slot.live {
            return Err(format!("node {id} is down"));
        }
        if slot.paused {
            return Err(format!("node {id} is already paused"));
        }
        slot.paused = true;
        debug_assert!(
            slot.pending.is_empty() || self.cfg.storage.blocking,
            "a fresh pause has nothing queued but what a write in flight holds"
        );
        self.update_effective_leader();
        Ok(format!("pause {id}"))
    }

    /// Ends a pause: the node handles everything that queued up, in
    /// arrival order. A timer that the node re-armed meanwhile (while
    /// handling an earlier item) no longer fires from the queue.
    pub(super) fn resume(&mut self, id: NodeId) -> Result<String, String> {
        let slot = &mut self.slots[id.index()];
        if !slot.paused {
            return Err(format!("node {id} is not paused"));
        }
        debug_assert!(slot.live, "a paused node is up (a crash ends a pause)");
        slot.paused = false;
        self.handle_queue(id);
        // Only a write in flight queues anything again (`storage.blocking`).
        debug_assert!(
            self.slots[id.index()].pending.is_empty() || self.cfg.storage.blocking,
            "a resumed node queues nothing more"
        );
        self.update_effective_leader();
        Ok(format!("resume {id}"))
    }

    /// Handles what queued up for a node, in arrival order (after a pause,
    /// or a write that blocked it: `storage.blocking`). A timer it re-armed
    /// meanwhile no longer fires from the queue; an input that finds it
    /// blocked again queues anew, in order.
    pub(super) fn handle_queue(&mut self, id: NodeId) {
        let queued = std::mem::take(&mut self.slots[id.index()].pending);
        for item in queued {
            let slot = &self.slots[id.index()];
            if !slot.live {
                break;
            }
            match item {
                Pending::Depart(to, msg) => self.transmit(id, to, msg),
                Pending::Input(Input::Timer(kind))
                    if slot.timers[kind.index()].deadline.is_some() => {}
                Pending::Input(input) => self.step(id, input),
            }
        }
    }
}
