//! The message of TiKV's raft-rs as the simulated network carries it: the
//! library's own protobuf message, boxed, untouched between sender and
//! receiver. Observers read it through the accessors here (kind, term, a
//! granted vote, the fields traces show). Without the `raft-rs` feature the
//! type has no values, so the engine's matches stay the same in both builds.

use crate::raft::{LogIndex, Term};

/// The fields of a raft-rs message that traces show beside its kind and term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RaftRsFields {
    /// The library's message type as a number (stable across the pinned
    /// version): part of the trace hash.
    pub code: u64,
    /// `index`: the log position the message is about (the entry before
    /// the carried ones, the candidate's last index, a response's match).
    pub index: LogIndex,
    /// `log_term`: the term at `index`.
    pub log_term: Term,
    /// How many entries the message carries.
    pub entries: usize,
    pub commit: LogIndex,
    pub reject: bool,
}

#[cfg(feature = "raft-rs")]
pub use with_library::RaftRsMessage;
#[cfg(not(feature = "raft-rs"))]
pub use without_library::RaftRsMessage;

#[cfg(feature = "raft-rs")]
mod with_library {
    use super::RaftRsFields;
    use crate::raft::{LogIndex, Term};
    use raft::eraftpb::{Message, MessageType};

    /// A raft-rs message (boxed: it is much larger than raftsim's own).
    #[derive(Clone, Debug, PartialEq)]
    pub struct RaftRsMessage(pub Box<Message>);

    // The protobuf type has no floats: equality is an equivalence.
    impl Eq for RaftRsMessage {}

    impl RaftRsMessage {
        pub fn term(&self) -> Term {
            self.0.term
        }

        /// The library's name of the message type.
        pub fn kind(&self) -> &'static str {
            kind_name(self.0.get_msg_type())
        }

        /// A granted real vote: the term it was granted in (raft-rs answers
        /// a grant with the request's term).
        pub fn granted_vote(&self) -> Option<Term> {
            (self.0.get_msg_type() == MessageType::MsgRequestVoteResponse && !self.0.reject)
                .then_some(self.0.term)
        }

        /// A snapshot's last included index, if this is one.
        pub fn snapshot_index(&self) -> Option<LogIndex> {
            (self.0.get_msg_type() == MessageType::MsgSnapshot)
                .then(|| self.0.get_snapshot().get_metadata().index)
        }

        pub fn fields(&self) -> RaftRsFields {
            RaftRsFields {
                code: self.0.get_msg_type() as u64,
                index: self.0.index,
                log_term: self.0.log_term,
                entries: self.0.entries.len(),
                commit: self.0.commit,
                reject: self.0.reject,
            }
        }
    }

    fn kind_name(kind: MessageType) -> &'static str {
        match kind {
            MessageType::MsgHup => "MsgHup",
            MessageType::MsgBeat => "MsgBeat",
            MessageType::MsgPropose => "MsgPropose",
            MessageType::MsgAppend => "MsgAppend",
            MessageType::MsgAppendResponse => "MsgAppendResponse",
            MessageType::MsgRequestVote => "MsgRequestVote",
            MessageType::MsgRequestVoteResponse => "MsgRequestVoteResponse",
            MessageType::MsgSnapshot => "MsgSnapshot",
            MessageType::MsgHeartbeat => "MsgHeartbeat",
            MessageType::MsgHeartbeatResponse => "MsgHeartbeatResponse",
            MessageType::MsgUnreachable => "MsgUnreachable",
            MessageType::MsgSnapStatus => "MsgSnapStatus",
            MessageType::MsgCheckQuorum => "MsgCheckQuorum",
            MessageType::MsgTransferLeader => "MsgTransferLeader",
            MessageType::MsgTimeoutNow => "MsgTimeoutNow",
            MessageType::MsgReadIndex => "MsgReadIndex",
            MessageType::MsgReadIndexResp => "MsgReadIndexResp",
            MessageType::MsgRequestPreVote => "MsgRequestPreVote",
            MessageType::MsgRequestPreVoteResponse => "MsgRequestPreVoteResponse",
        }
    }
}

#[cfg(not(feature = "raft-rs"))]
mod without_library {
    use super::RaftRsFields;
    use crate::raft::{LogIndex, Term};

    /// This build has no raft-rs: no such message can exist.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum RaftRsMessage {}

    impl RaftRsMessage {
        pub fn term(&self) -> Term {
            match *self {}
        }
        pub fn kind(&self) -> &'static str {
            match *self {}
        }
        pub fn granted_vote(&self) -> Option<Term> {
            match *self {}
        }
        pub fn snapshot_index(&self) -> Option<LogIndex> {
            match *self {}
        }
        pub fn fields(&self) -> RaftRsFields {
            match *self {}
        }
    }
}

#[cfg(all(test, feature = "raft-rs"))]
mod tests {
    use super::RaftRsMessage;
    use raft::eraftpb::{Message, MessageType};

    fn message(kind: MessageType, term: u64, reject: bool) -> RaftRsMessage {
        let mut msg = Message::default();
        msg.set_msg_type(kind);
        msg.term = term;
        msg.reject = reject;
        RaftRsMessage(Box::new(msg))
    }

    /// The safety checker's one-vote-per-term rule sees exactly the
    /// granted real votes, in the term they were granted in.
    #[test]
    fn only_a_granted_real_vote_counts_as_a_vote() {
        let granted = message(MessageType::MsgRequestVoteResponse, 7, false);
        assert_eq!(granted.granted_vote(), Some(7));
        assert_eq!(granted.kind(), "MsgRequestVoteResponse");
        let refused = message(MessageType::MsgRequestVoteResponse, 7, true);
        assert_eq!(refused.granted_vote(), None);
        let pre_vote = message(MessageType::MsgRequestPreVoteResponse, 8, false);
        assert_eq!(pre_vote.granted_vote(), None);
        let heartbeat = message(MessageType::MsgHeartbeat, 7, false);
        assert_eq!(heartbeat.granted_vote(), None);
        assert_eq!(heartbeat.term(), 7);
    }
}
