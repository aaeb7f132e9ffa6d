//! The sync conflict rule, written once and used by every write path.
//!
//! Writes to one document are totally ordered by their [`WriteStamp`]: the later document
//! clock (`updatedAt`, or `deletedAt` for a tombstone) wins; ties go to the higher version,
//! then the greater device id, then the greater checksum. The stored document is always the
//! greatest write seen, so every device converges to the same state whatever order the writes
//! arrive in, and however often they are repeated. Deletes are tombstones that take part in
//! the same order.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::Value;

use super::entities::document_clock;
use super::{EntityType, checksum};

/// Where a write sits in the order of writes to its document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WriteStamp {
    /// The document clock, in milliseconds since the epoch.
    pub clock_ms: i64,
    pub version: i64,
    pub device_id: String,
    pub checksum: String,
}

impl Ord for WriteStamp {
    fn cmp(&self, other: &Self) -> Ordering {
        // Byte-wise comparison of the strings, as SQLite's BINARY collation does.
        (
            self.clock_ms,
            self.version,
            self.device_id.as_bytes(),
            self.checksum.as_bytes(),
        )
            .cmp(&(
                other.clock_ms,
                other.version,
                other.device_id.as_bytes(),
                other.checksum.as_bytes(),
            ))
    }
}

impl PartialOrd for WriteStamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A validated document on its way to storage, with its stamp.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingWrite {
    pub entity_type: EntityType,
    pub entity_id: String,
    /// The normalised document, serialised (keys sorted: the canonical form the checksum covers).
    pub data: String,
    pub deleted: bool,
    pub stamp: WriteStamp,
    /// The document clock the client sent, when the server bounded it
    /// ([`super::clock::bound_write`]); `None` when the write carries the client's clock.
    pub client_clock: Option<String>,
}

impl IncomingWrite {
    /// Stamps a normalised document. `None` when it has no clock (validation requires one).
    pub fn new(entity_type: EntityType, document: &Value, device_id: &str) -> Option<Self> {
        let entity_id = document.get("id")?.as_str()?.to_string();
        let clock = document_clock(document)?;
        let version = document.get("version").and_then(Value::as_i64).unwrap_or(1);
        let data = document.to_string();
        let deleted = document
            .get("deletedAt")
            .is_some_and(|deleted| deleted.is_string());
        Some(Self {
            entity_type,
            entity_id,
            stamp: WriteStamp {
                clock_ms: clock.timestamp_millis(),
                version,
                device_id: device_id.to_string(),
                checksum: checksum(&data),
            },
            data,
            deleted,
            client_clock: None,
        })
    }
}

/// What to do with a write, given the stored document's stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The write is newer: store it (and bump the user's seq).
    Apply,
    /// The very same write is already stored: nothing to do; success for the sender.
    Duplicate,
    /// Something newer is stored: not applied; the sender is told, with the stored document.
    Stale,
}

/// The merge rule.
pub fn decide(stored: Option<&WriteStamp>, incoming: &WriteStamp) -> Decision {
    match stored.map(|stored| incoming.cmp(stored)) {
        None | Some(Ordering::Greater) => Decision::Apply,
        Some(Ordering::Equal) => Decision::Duplicate,
        Some(Ordering::Less) => Decision::Stale,
    }
}

/// A document's identity within a user's data.
pub type DocumentKey = (EntityType, String);

/// The outcome of merging a batch of writes into stored state.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct MergePlan {
    /// Writes to store, at most one per document (the greatest of the batch), in batch order.
    pub apply: Vec<IncomingWrite>,
    /// Writes already stored exactly.
    pub duplicates: Vec<IncomingWrite>,
    /// Writes older than what is stored (or than a later write to the same document in the
    /// same batch).
    pub stale: Vec<IncomingWrite>,
}

/// Merges a batch into the stored stamps: the pure core of a push. Within the batch, the
/// greatest write of each document competes with the stored one.
pub fn plan(stored: &HashMap<DocumentKey, WriteStamp>, writes: Vec<IncomingWrite>) -> MergePlan {
    let mut winners: HashMap<DocumentKey, usize> = HashMap::new();
    for (index, write) in writes.iter().enumerate() {
        let key = (write.entity_type, write.entity_id.clone());
        match winners.get(&key) {
            Some(&best) if writes[best].stamp >= write.stamp => {}
            _ => {
                winners.insert(key, index);
            }
        }
    }
    let mut result = MergePlan::default();
    for (index, write) in writes.into_iter().enumerate() {
        let key = (write.entity_type, write.entity_id.clone());
        let is_winner = winners.get(&key) == Some(&index);
        let decision = if is_winner {
            decide(stored.get(&key), &write.stamp)
        } else if stored.get(&key) == Some(&write.stamp) {
            Decision::Duplicate
        } else {
            Decision::Stale
        };
        match decision {
            Decision::Apply => result.apply.push(write),
            Decision::Duplicate => result.duplicates.push(write),
            Decision::Stale => result.stale.push(write),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stamp(clock_ms: i64, version: i64, device: &str, body: &str) -> WriteStamp {
        WriteStamp {
            clock_ms,
            version,
            device_id: device.into(),
            checksum: checksum(body),
        }
    }

    fn write(id: &str, stamp: WriteStamp) -> IncomingWrite {
        IncomingWrite {
            entity_type: EntityType::LogbookEntry,
            entity_id: id.into(),
            data: format!("{{\"id\":\"{id}\"}}"),
            deleted: false,
            stamp,
            client_clock: None,
        }
    }

    #[test]
    fn later_clock_wins_then_version_then_device() {
        let stored = stamp(1_000, 1, "dev_a", "x");
        assert_eq!(
            decide(Some(&stored), &stamp(2_000, 1, "dev_a", "y")),
            Decision::Apply
        );
        assert_eq!(
            decide(Some(&stored), &stamp(500, 9, "dev_z", "y")),
            Decision::Stale
        );
        assert_eq!(
            decide(Some(&stored), &stamp(1_000, 2, "dev_a", "y")),
            Decision::Apply
        );
        assert_eq!(
            decide(Some(&stored), &stamp(1_000, 1, "dev_b", "y")),
            Decision::Apply
        );
        assert_eq!(
            decide(Some(&stored), &stamp(1_000, 1, "dev_0", "y")),
            Decision::Stale
        );
        assert_eq!(decide(Some(&stored), &stored.clone()), Decision::Duplicate);
        assert_eq!(decide(None, &stored), Decision::Apply);
    }

    #[test]
    fn stamps_come_from_the_document() {
        let doc =
            serde_json::json!({"id": "e1", "updatedAt": "2026-01-01T00:00:01.500Z", "version": 3});
        let write = IncomingWrite::new(EntityType::LogbookEntry, &doc, "dev_1").unwrap();
        assert_eq!(write.stamp.clock_ms, 1_767_225_601_500);
        assert_eq!(write.stamp.version, 3);
        assert!(!write.deleted);
        let tombstone = serde_json::json!({"id": "e1", "updatedAt": "2026-01-01T00:00:00Z", "deletedAt": "2026-01-02T00:00:00Z"});
        let delete = IncomingWrite::new(EntityType::LogbookEntry, &tombstone, "dev_1").unwrap();
        assert!(delete.deleted);
        assert!(
            delete.stamp > write.stamp,
            "a later delete wins over the edit"
        );
        assert!(
            IncomingWrite::new(EntityType::Goal, &serde_json::json!({"id": "g"}), "d").is_none()
        );
    }

    #[test]
    fn a_batch_keeps_its_greatest_write_per_document() {
        let stored = HashMap::from([(
            (EntityType::LogbookEntry, "a".to_string()),
            stamp(5, 1, "d", "old"),
        )]);
        let batch = vec![
            write("a", stamp(6, 1, "d", "newer")),
            write("a", stamp(7, 1, "d", "newest")),
            write("a", stamp(4, 1, "d", "older than stored")),
            write("b", stamp(1, 1, "d", "new doc")),
            write("a", stamp(5, 1, "d", "old")),
        ];
        let plan = plan(&stored, batch);
        let applied: Vec<_> = plan
            .apply
            .iter()
            .map(|w| (w.entity_id.as_str(), w.stamp.clock_ms))
            .collect();
        assert_eq!(applied, vec![("a", 7), ("b", 1)]);
        assert_eq!(plan.duplicates.len(), 1);
        assert_eq!(plan.stale.len(), 2);
    }

    /// A store applying writes one push at a time, as the server does.
    fn apply_all(batches: &[Vec<IncomingWrite>]) -> HashMap<DocumentKey, (WriteStamp, String)> {
        let mut store: HashMap<DocumentKey, (WriteStamp, String)> = HashMap::new();
        for batch in batches {
            let stamps = store
                .iter()
                .map(|(k, (s, _))| (k.clone(), s.clone()))
                .collect();
            for write in plan(&stamps, batch.clone()).apply {
                store.insert(
                    (write.entity_type, write.entity_id.clone()),
                    (write.stamp, write.data),
                );
            }
        }
        store
    }

    fn arbitrary_write() -> impl Strategy<Value = IncomingWrite> {
        (
            0..4usize,
            0..6i64,
            1..3i64,
            0..3usize,
            0..4usize,
            any::<bool>(),
        )
            .prop_map(|(doc, clock, version, device, body, deleted)| {
                let id = format!("doc{doc}");
                let data = format!("{{\"id\":\"{id}\",\"body\":{body},\"deleted\":{deleted}}}");
                IncomingWrite {
                    entity_type: if doc % 2 == 0 {
                        EntityType::LogbookEntry
                    } else {
                        EntityType::Goal
                    },
                    entity_id: id,
                    stamp: WriteStamp {
                        clock_ms: clock * 1000,
                        version,
                        device_id: format!("dev_{device}"),
                        checksum: checksum(&data),
                    },
                    data,
                    deleted,
                    client_clock: None,
                }
            })
    }

    proptest! {
        /// Any interleaving, batching and duplication of the same writes ends in the same state:
        /// for each document, the greatest write.
        #[test]
        fn every_order_converges(
            writes in prop::collection::vec(arbitrary_write(), 1..30),
            seed in any::<u64>(),
            batch_size in 1..5usize,
        ) {
            let in_order = apply_all(std::slice::from_ref(&writes));

            // Shuffle deterministically from the seed, duplicate some writes, split into batches.
            let mut shuffled = writes.clone();
            shuffled.extend(writes.iter().step_by(2).cloned());
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let batches: Vec<Vec<IncomingWrite>> = shuffled.chunks(batch_size).map(<[_]>::to_vec).collect();
            let interleaved = apply_all(&batches);
            prop_assert_eq!(&in_order, &interleaved);

            // And that state is the maximum write of each document.
            for ((kind, id), (stamp, _)) in &interleaved {
                let best = writes.iter().filter(|w| w.entity_type == *kind && &w.entity_id == id).map(|w| &w.stamp).max();
                prop_assert_eq!(Some(stamp), best);
            }
        }

        /// Replaying everything already applied changes nothing and applies nothing.
        #[test]
        fn replays_are_duplicates(writes in prop::collection::vec(arbitrary_write(), 1..20)) {
            let store = apply_all(std::slice::from_ref(&writes));
            let stamps = store.iter().map(|(k, (s, _))| (k.clone(), s.clone())).collect();
            let replay = plan(&stamps, writes);
            prop_assert!(replay.apply.is_empty());
        }
    }
}
