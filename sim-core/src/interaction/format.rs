//! How the interaction scripts print a message and a node's status.

use std::fmt::Write as _;

use crate::node::{FieldValue, MessageView, NodeId, Status};

/// `1->2 Kind term=T field=value ...`
pub(super) fn format_message(from: NodeId, to: NodeId, msg: &dyn MessageView) -> String {
    let mut line = format!("{from}->{to} {} term={}", msg.kind(), msg.term());
    for (name, value) in msg.fields().iter() {
        match value {
            FieldValue::Number(n) => write!(line, " {name}={n}"),
            FieldValue::Flag(b) => write!(line, " {name}={b}"),
            FieldValue::Text(t) => write!(line, " {name}={t}"),
        }
        .expect("writing to a String");
    }
    line
}

pub(super) fn format_node(id: Option<NodeId>) -> String {
    id.map_or_else(|| "none".to_string(), |id| id.to_string())
}

pub(super) fn format_status(id: NodeId, s: &Status) -> String {
    format!(
        "{id}: {} term={} vote={} leader={} commit={} last={}",
        s.role.name(),
        s.term,
        format_node(s.voted_for),
        format_node(s.leader),
        s.commit_index,
        s.last_index
    )
}
