//! A remark with a stable code: warnings in a report, notes from signing, findings of an audit.

use serde::{Deserialize, Serialize};

/// Something worth knowing that does not change the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// Stable machine-readable code.
    pub code: String,
    /// For people.
    pub message: String,
}

impl Note {
    /// A note with `code` and `message`.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}
