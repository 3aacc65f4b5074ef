//! The message of TiKV's raft-rs as the simulated network carries it: the
//! library's own protobuf message, boxed, untouched between sender and
//! receiver. Observers read it through `WireMessage` (kind, term, a granted
//! vote, the fields traces show, the words of the trace hash).

use raft::eraftpb::{Message, MessageType};

use crate::node::{
    Digest, Fields, LogIndex, MessageClass, MessageView, SnapshotConfig, Term, WireMessage,
};

/// A raft-rs message (boxed: it is much larger than raftsim's own).
#[derive(Clone, Debug, PartialEq)]
pub struct RaftRsMessage(pub Box<Message>);

impl RaftRsMessage {
    fn msg_type(&self) -> MessageType {
        self.0.get_msg_type()
    }

    /// A snapshot's last included index, if this is one.
    fn snapshot_index(&self) -> Option<LogIndex> {
        (self.msg_type() == MessageType::MsgSnapshot)
            .then(|| self.0.get_snapshot().get_metadata().index)
    }
}

impl MessageView for RaftRsMessage {
    fn term(&self) -> Term {
        self.0.term
    }

    /// The library's name of the message type.
    fn kind(&self) -> &'static str {
        kind_name(self.msg_type())
    }

    fn class(&self) -> MessageClass {
        match self.msg_type() {
            MessageType::MsgRequestVote | MessageType::MsgRequestPreVote => {
                MessageClass::VoteRequest
            }
            MessageType::MsgRequestVoteResponse | MessageType::MsgRequestPreVoteResponse => {
                MessageClass::VoteReply
            }
            MessageType::MsgAppend | MessageType::MsgHeartbeat | MessageType::MsgSnapshot => {
                MessageClass::Append
            }
            MessageType::MsgAppendResponse | MessageType::MsgHeartbeatResponse => {
                MessageClass::AppendReply
            }
            MessageType::MsgHup
            | MessageType::MsgBeat
            | MessageType::MsgPropose
            | MessageType::MsgUnreachable
            | MessageType::MsgSnapStatus
            | MessageType::MsgCheckQuorum
            | MessageType::MsgTransferLeader
            | MessageType::MsgTimeoutNow
            | MessageType::MsgReadIndex
            | MessageType::MsgReadIndexResp => MessageClass::Other,
        }
    }

    fn answer(&self) -> Option<bool> {
        match self.class() {
            MessageClass::VoteReply | MessageClass::AppendReply => Some(!self.0.reject),
            MessageClass::VoteRequest | MessageClass::Append | MessageClass::Other => None,
        }
    }

    fn fields(&self) -> Fields {
        Fields::default()
            .number("index", self.0.index)
            .number("log_term", self.0.log_term)
            .number("entries", self.0.entries.len() as u64)
            .number("commit", self.0.commit)
            .flag("reject", self.0.reject)
    }
}

impl WireMessage for RaftRsMessage {
    /// raft-rs answers a granted real vote with the request's term.
    fn granted_vote(&self) -> Option<Term> {
        (self.msg_type() == MessageType::MsgRequestVoteResponse && !self.0.reject)
            .then_some(self.0.term)
    }

    /// A snapshot's size by the model's rule (`SnapshotConfig::bytes`).
    fn snapshot_bytes(&self, config: &SnapshotConfig) -> Option<u64> {
        self.snapshot_index().map(|index| config.bytes(index))
    }

    /// The entries and their payloads (raft-rs keeps each entry's data
    /// and context in its own buffer).
    fn held_bytes(&self) -> u64 {
        let entry = std::mem::size_of::<raft::eraftpb::Entry>() as u64;
        self.0
            .entries
            .iter()
            .map(|e| entry + (e.data.len() + e.context.len()) as u64)
            .sum()
    }

    fn digest(&self, d: &mut impl Digest) {
        let code = self.msg_type() as u64;
        d.word(14 + code * 16 + u64::from(self.0.reject) * 1024);
        d.word(self.0.index);
        d.word(self.0.log_term);
        d.word(self.0.entries.len() as u64);
        d.word(self.0.commit);
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

#[cfg(test)]
mod tests {
    use super::RaftRsMessage;
    use crate::node::{MessageView, WireMessage};
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
