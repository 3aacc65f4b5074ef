//! The fields of a message's fate when sent, shared by both trace formats.
//! (A message's own fields are its implementation's: `MessageView::fields`.)

use serde::{Deserialize, Serialize};

use crate::network::Fate;
use crate::time::Instant;

/// What the network decided for a message when it was sent, as the
/// `fate` field and the times that go with it (both trace formats).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fate", rename_all = "snake_case")]
pub enum FateFields {
    LinkCut,
    Lost,
    Arrives {
        arrive_us: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        duplicate_us: Option<u64>,
    },
}

impl From<Fate> for FateFields {
    fn from(fate: Fate) -> FateFields {
        match fate {
            Fate::Cut => FateFields::LinkCut,
            Fate::Lost => FateFields::Lost,
            Fate::Arrives { at, duplicate_at } => FateFields::Arrives {
                arrive_us: at.as_us(),
                duplicate_us: duplicate_at.map(Instant::as_us),
            },
        }
    }
}
