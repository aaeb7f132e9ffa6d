//! Synced documents: their types, validation, checksums, and the one merge rule every
//! write path (REST and WebSocket) applies.

pub mod clock;
pub mod entities;
pub mod merge;
pub mod protocol;
pub mod rest;
pub mod socket;

use sha2::{Digest, Sha256};

/// The kinds of document a user's devices keep in sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityType {
    LogbookEntry,
    Goal,
    PracticePlan,
    PlanOccurrence,
    PlanTemplate,
    RepertoireItem,
    UserPreferences,
    /// A practice recording's metadata; the audio itself is in R2 (`/api/recordings`).
    Recording,
}

impl EntityType {
    pub const ALL: [EntityType; 8] = [
        Self::LogbookEntry,
        Self::Goal,
        Self::PracticePlan,
        Self::PlanOccurrence,
        Self::PlanTemplate,
        Self::RepertoireItem,
        Self::UserPreferences,
        Self::Recording,
    ];

    /// The stored name (`sync_data.entity_type`).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// The key of this type's list in push and pull bodies.
    pub fn bucket(self) -> &'static str {
        match self {
            Self::LogbookEntry => "entries",
            Self::Goal => "goals",
            Self::PracticePlan => "practicePlans",
            Self::PlanOccurrence => "planOccurrences",
            Self::PlanTemplate => "planTemplates",
            Self::RepertoireItem => "repertoireItems",
            Self::UserPreferences => "userPreferences",
            Self::Recording => "recordings",
        }
    }

    pub fn from_bucket(bucket: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.bucket() == bucket)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LogbookEntry => "logbook_entry",
            Self::Goal => "goal",
            Self::PracticePlan => "practice_plan",
            Self::PlanOccurrence => "plan_occurrence",
            Self::PlanTemplate => "plan_template",
            Self::RepertoireItem => "repertoire_item",
            Self::UserPreferences => "user_preferences",
            Self::Recording => "recording",
        }
    }

    /// Whether devices may write this type through push, batch or the socket. Recording
    /// metadata describes an object only the server stores, so only `/api/recordings` writes it.
    pub fn accepts_client_writes(self) -> bool {
        self != Self::Recording
    }

    /// The type named by a client's write, if it is one clients may write.
    pub fn parse_client_write(name: &str) -> Result<Self, String> {
        match Self::parse(name) {
            Some(kind) if kind.accepts_client_writes() => Ok(kind),
            Some(kind) => Err(format!(
                "{} documents are written only by the server (use /api/recordings)",
                kind.as_str()
            )),
            None => Err(format!("{name} is not a known document type")),
        }
    }
}

/// SHA-256 of the stored document text, hex: what the server and clients compare to tell
/// whether two copies hold the same content.
pub fn checksum(document: &str) -> String {
    hex::encode(Sha256::digest(document.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_sha256_hex() {
        assert_eq!(
            checksum(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_ne!(checksum("{\"a\":1}"), checksum("{\"a\":2}"));
    }
}
