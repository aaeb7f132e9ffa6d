//! Device clocks bounded by the server's: the inputs of the merge rule.
//!
//! The merge rule ([`super::merge`]) orders writes by the document's own clock, which a device
//! sets. A device whose clock is far ahead (a phone set to 2099) would otherwise win against
//! every later write from a correctly-timed device, forever. So, before the rule runs, every
//! write path bounds the clock: a document clock (`updatedAt`, `deletedAt`; a socket delete's
//! `timestamp` becomes its `deletedAt`) later than the server's receive time plus the allowed
//! skew is set to the receive time. The write is kept, the client's value is kept in the
//! document as `metadata.clientClock`, and the sender is told (`clockAdjusted`).
//!
//! Hence the invariant the property tests check: a stored document's clock is never later
//! than the receive time of its write plus the skew, so a write stamped with the server's
//! time more than the skew after the last write always wins.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::entities::document_clock;
use super::merge::IncomingWrite;
use super::{EntityType, checksum};

/// The configuration var naming how far ahead of the server a device clock may be.
pub const MAX_CLOCK_SKEW_VAR: &str = "MAX_CLOCK_SKEW";
/// The skew allowed when `MAX_CLOCK_SKEW` is not set: five minutes.
pub const DEFAULT_MAX_CLOCK_SKEW_SECS: i64 = 300;
/// The largest skew that can be configured (a day): beyond it the bound means nothing.
pub const LARGEST_MAX_CLOCK_SKEW_SECS: i64 = 86_400;

/// When the server received a write, and how far ahead of that a device clock may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiveClock {
    pub received: DateTime<Utc>,
    pub max_skew: Duration,
}

impl ReceiveClock {
    pub fn new(received: DateTime<Utc>, max_skew: Duration) -> Self {
        Self { received, max_skew }
    }

    /// The receive time with the default skew.
    pub fn with_default_skew(received: DateTime<Utc>) -> Self {
        Self::new(received, Duration::seconds(DEFAULT_MAX_CLOCK_SKEW_SECS))
    }

    /// The latest document clock accepted as it is.
    pub fn limit(&self) -> DateTime<Utc> {
        self.received + self.max_skew
    }

    /// The receive time as stored (`sync_data.updated_at`, the clamped clocks): ISO-8601,
    /// milliseconds, `Z`.
    pub fn received_iso(&self) -> String {
        self.received.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

/// Reads `MAX_CLOCK_SKEW`: whole seconds (`300`), or a number with a unit `s`, `m` or `h`
/// (`90s`, `5m`, `1h`), from 0 up to a day. `None` when it is not one of those.
pub fn parse_max_skew(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last()? {
        (at, 's') => (&text[..at], 1),
        (at, 'm') => (&text[..at], 60),
        (at, 'h') => (&text[..at], 3_600),
        _ => (text, 1),
    };
    let amount: i64 = digits.trim().parse().ok()?;
    let secs = amount.checked_mul(unit)?;
    (0..=LARGEST_MAX_CLOCK_SKEW_SECS)
        .contains(&secs)
        .then(|| Duration::seconds(secs))
}

/// The clock fields the merge rule reads.
const CLOCK_FIELDS: [&str; 2] = ["updatedAt", "deletedAt"];

/// Bounds a validated, stamped write by the server's clock. A write whose document clock is
/// within the limit is returned as it is. Otherwise each clock field beyond the limit is set
/// to the receive time, the client's document clock is kept as `metadata.clientClock` (a
/// `metadata` that is not an object is kept under `metadata.value`), and the stamp and
/// checksum are those of the adjusted document; `client_clock` says what the client sent.
pub fn bound_write(write: IncomingWrite, clock: &ReceiveClock) -> IncomingWrite {
    let limit = clock.limit().timestamp_millis();
    if write.stamp.clock_ms <= limit {
        return write;
    }
    let Ok(Value::Object(mut document)) = serde_json::from_str::<Value>(&write.data) else {
        // Stamped writes are always objects (validation requires it).
        return write;
    };
    let Some(client_clock) = document_clock(&Value::Object(document.clone())) else {
        return write;
    };
    let client_clock = client_clock.to_rfc3339_opts(SecondsFormat::Millis, true);
    let received = clock.received_iso();
    for field in CLOCK_FIELDS {
        let beyond = document
            .get(field)
            .and_then(|value| document_clock(&serde_json::json!({ field: value })))
            .is_some_and(|at| at.timestamp_millis() > limit);
        if beyond {
            document.insert(field.to_string(), Value::String(received.clone()));
        }
    }
    let metadata = match document.remove("metadata") {
        Some(Value::Object(map)) => map,
        None | Some(Value::Null) => Map::new(),
        Some(other) => Map::from_iter([("value".to_string(), other)]),
    };
    let mut metadata = metadata;
    metadata.insert("clientClock".into(), Value::String(client_clock.clone()));
    document.insert("metadata".into(), Value::Object(metadata));
    let document = Value::Object(document);
    let data = document.to_string();
    let mut stamp = write.stamp;
    stamp.clock_ms = document_clock(&document).map_or(clock.received.timestamp_millis(), |at| {
        at.timestamp_millis()
    });
    stamp.checksum = checksum(&data);
    IncomingWrite {
        data,
        stamp,
        client_clock: Some(client_clock),
        ..write
    }
}

/// [`bound_write`] for every write of a request.
pub fn bound_writes(writes: Vec<IncomingWrite>, clock: &ReceiveClock) -> Vec<IncomingWrite> {
    writes
        .into_iter()
        .map(|write| bound_write(write, clock))
        .collect()
}

/// The repair of a document stored before its clock was bounded (or under a larger skew):
/// the stored document `data`, written by `device_id` and received at `clock.received`
/// (the row's `updated_at`), bounded as [`bound_write`] would have done on arrival. `None`
/// when its clock is within the bound, or it is not a stamped document.
pub fn repair_stored(
    entity: EntityType,
    data: &str,
    device_id: &str,
    clock: &ReceiveClock,
) -> Option<IncomingWrite> {
    let document: Value = serde_json::from_str(data).ok()?;
    let write = IncomingWrite::new(entity, &document, device_id)?;
    let bounded = bound_write(write, clock);
    bounded.client_clock.is_some().then_some(bounded)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::sync::entities::normalize_document;
    use crate::sync::merge::{Decision, DocumentKey, WriteStamp, decide, plan};
    use proptest::prelude::*;
    use serde_json::json;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn write_of(kind: EntityType, document: Value, device: &str) -> IncomingWrite {
        let document = normalize_document(kind, document).unwrap();
        IncomingWrite::new(kind, &document, device).unwrap()
    }

    fn doc(write: &IncomingWrite) -> Value {
        serde_json::from_str(&write.data).unwrap()
    }

    #[test]
    fn max_skew_is_seconds_or_a_duration() {
        assert_eq!(parse_max_skew("300"), Some(Duration::seconds(300)));
        assert_eq!(parse_max_skew(" 90s "), Some(Duration::seconds(90)));
        assert_eq!(parse_max_skew("5m"), Some(Duration::minutes(5)));
        assert_eq!(parse_max_skew("1h"), Some(Duration::hours(1)));
        assert_eq!(parse_max_skew("0"), Some(Duration::zero()));
        for bad in [
            "",
            "m",
            "-5",
            "5 minutes",
            "2d",
            "1.5m",
            "25h",
            "99999999999999999h",
        ] {
            assert_eq!(parse_max_skew(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_clock_within_the_skew_is_kept() {
        let clock = ReceiveClock::with_default_skew(at("2026-03-01T12:00:00Z"));
        let write = write_of(
            EntityType::Goal,
            json!({"id": "g1", "title": "Scales", "type": "custom", "updatedAt": "2026-03-01T12:04:59.999Z"}),
            "dev",
        );
        assert_eq!(bound_write(write.clone(), &clock), write);
    }

    #[test]
    fn a_future_clock_is_clamped_to_the_receive_time_and_kept_in_metadata() {
        let clock = ReceiveClock::with_default_skew(at("2026-03-01T12:00:00Z"));
        let write = write_of(
            EntityType::LogbookEntry,
            json!({"id": "e1", "timestamp": "2099-01-01T00:00:00Z", "duration": 10, "type": "practice", "instrument": "piano",
                   "metadata": {"source": "manual"}, "updatedAt": "2099-01-01T00:00:00.000Z", "version": 2}),
            "phone",
        );
        let bounded = bound_write(write.clone(), &clock);
        let stored = doc(&bounded);
        assert_eq!(stored["updatedAt"], "2026-03-01T12:00:00.000Z");
        assert_eq!(
            stored["metadata"]["clientClock"],
            "2099-01-01T00:00:00.000Z"
        );
        assert_eq!(
            stored["metadata"]["source"], "manual",
            "other metadata is kept"
        );
        assert_eq!(
            stored["timestamp"], "2099-01-01T00:00:00Z",
            "only clocks change"
        );
        assert_eq!(
            bounded.client_clock.as_deref(),
            Some("2099-01-01T00:00:00.000Z")
        );
        assert_eq!(bounded.stamp.clock_ms, clock.received.timestamp_millis());
        assert_eq!(bounded.stamp.checksum, checksum(&bounded.data));
        assert_eq!(bounded.stamp.version, 2);
        assert_eq!(bounded.stamp.device_id, "phone");

        // A correct device's later edit now wins.
        let later = write_of(
            EntityType::LogbookEntry,
            json!({"id": "e1", "timestamp": "2026-03-01T12:01:00Z", "duration": 20, "type": "practice", "instrument": "piano", "updatedAt": "2026-03-01T12:01:00.000Z"}),
            "laptop",
        );
        assert_eq!(decide(Some(&bounded.stamp), &later.stamp), Decision::Apply);
        assert_eq!(decide(Some(&write.stamp), &later.stamp), Decision::Stale);
    }

    #[test]
    fn tombstones_and_odd_metadata() {
        let clock = ReceiveClock::new(at("2026-03-01T12:00:00Z"), Duration::zero());
        // A socket delete: `{id, deletedAt: <frame timestamp>}`.
        let delete = write_of(
            EntityType::LogbookEntry,
            json!({"id": "e1", "deletedAt": 4_070_908_800_000u64}),
            "phone",
        );
        let bounded = bound_write(delete, &clock);
        assert!(bounded.deleted);
        assert_eq!(doc(&bounded)["deletedAt"], "2026-03-01T12:00:00.000Z");
        assert_eq!(
            doc(&bounded)["metadata"]["clientClock"],
            "2099-01-01T00:00:00.000Z"
        );

        // Only the field beyond the limit changes; clientClock is the later of the two.
        let mixed = write_of(
            EntityType::Goal,
            json!({"id": "g1", "title": "x", "type": "custom", "updatedAt": "2026-02-01T00:00:00Z", "deletedAt": "2030-01-01T00:00:00Z", "metadata": "x"}),
            "d",
        );
        let bounded = bound_write(mixed, &clock);
        let stored = doc(&bounded);
        assert_eq!(stored["updatedAt"], "2026-02-01T00:00:00Z");
        assert_eq!(stored["deletedAt"], "2026-03-01T12:00:00.000Z");
        assert_eq!(
            stored["metadata"],
            json!({"value": "x", "clientClock": "2030-01-01T00:00:00.000Z"})
        );
        let null_metadata = write_of(
            EntityType::Goal,
            json!({"id": "g2", "title": "x", "type": "custom", "updatedAt": "2030-01-01T00:00:00Z", "metadata": null}),
            "d",
        );
        assert_eq!(
            doc(&bound_write(null_metadata, &clock))["metadata"],
            json!({"clientClock": "2030-01-01T00:00:00.000Z"})
        );
    }

    #[test]
    fn a_clamped_document_validates_again() {
        // A device that pulls the adjusted document and pushes it back must be accepted.
        let clock = ReceiveClock::with_default_skew(at("2026-03-01T12:00:00Z"));
        for kind in EntityType::ALL
            .into_iter()
            .filter(|kind| *kind != EntityType::Recording)
        {
            let mut document = match kind {
                EntityType::RepertoireItem => json!({"scoreId": "clair de lune-debussy"}),
                EntityType::LogbookEntry => {
                    json!({"id": "doc_1", "timestamp": "2099-01-01T00:00:00Z",
                                                   "duration": 5, "type": "practice", "instrument": "piano"})
                }
                EntityType::Goal => json!({"id": "doc_1", "title": "t", "type": "custom"}),
                EntityType::PracticePlan | EntityType::PlanTemplate => {
                    json!({"id": "doc_1", "title": "t"})
                }
                EntityType::PlanOccurrence => json!({"id": "doc_1", "planId": "plan_1"}),
                _ => json!({"id": "doc_1"}),
            };
            document["updatedAt"] = json!("2099-01-01T00:00:00Z");
            let document = normalize_document(kind, document).unwrap();
            let bounded = bound_write(IncomingWrite::new(kind, &document, "d").unwrap(), &clock);
            let again = normalize_document(kind, doc(&bounded)).unwrap();
            assert_eq!(again, doc(&bounded), "{kind:?}");
        }
    }

    #[test]
    fn stored_rows_from_the_future_are_repaired_as_on_arrival() {
        let received = ReceiveClock::with_default_skew(at("2026-03-01T12:00:00Z"));
        let sent = write_of(
            EntityType::Goal,
            json!({"id": "g1", "title": "x", "type": "custom", "updatedAt": "2099-01-01T00:00:00Z", "version": 3}),
            "phone",
        );
        let repaired = repair_stored(EntityType::Goal, &sent.data, "phone", &received).unwrap();
        assert_eq!(repaired, bound_write(sent.clone(), &received));
        assert_eq!(
            repaired.stamp.clock_ms,
            received.received.timestamp_millis()
        );
        assert_eq!(repaired.stamp.version, 3);
        // A row within the bound, or not a document, needs nothing.
        assert_eq!(
            repair_stored(EntityType::Goal, &repaired.data, "phone", &received),
            None
        );
        assert_eq!(
            repair_stored(EntityType::Goal, "not json", "d", &received),
            None
        );
        assert_eq!(
            repair_stored(EntityType::Goal, "{\"id\":\"g\"}", "d", &received),
            None
        );
    }

    /// One write arriving at the server: which document, the server's clock when it
    /// arrives (ms after the start), and the device's clock offset from the server's.
    #[derive(Debug, Clone)]
    struct Arrival {
        doc: usize,
        after_ms: i64,
        offset_ms: i64,
        version: i64,
        device: usize,
        body: u8,
        delete: bool,
    }

    const START_MS: i64 = 1_767_225_600_000; // 2026-01-01
    const SKEW_MS: i64 = 300_000;

    fn arrival() -> impl Strategy<Value = Arrival> {
        let offset = prop_oneof![
            3 => Just(0i64),                                   // a correct clock
            3 => -2 * SKEW_MS..2 * SKEW_MS,                    // a little off either way
            2 => 0i64..(253_402_300_799_000 - START_MS),       // anywhere up to year 9999
            1 => Just(253_402_300_799_000 - START_MS - 3_600_000_000), // far ahead
            1 => -START_MS..0,                                 // anywhere back to 1970
        ];
        (
            0..3usize,
            0..2 * SKEW_MS,
            offset,
            1..3i64,
            0..3usize,
            any::<u8>(),
            any::<bool>(),
        )
            .prop_map(
                |(doc, after_ms, offset_ms, version, device, body, delete)| Arrival {
                    doc,
                    after_ms,
                    offset_ms,
                    version,
                    device,
                    body,
                    delete,
                },
            )
    }

    fn iso_ms(ms: i64) -> String {
        DateTime::from_timestamp_millis(ms)
            .unwrap()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// The write a device sends: its document, stamped with its own clock.
    fn sent(arrival: &Arrival, received_ms: i64) -> IncomingWrite {
        let clock = iso_ms((received_ms + arrival.offset_ms).clamp(0, 253_402_300_799_000));
        let mut document = json!({"id": format!("doc{}", arrival.doc), "title": format!("t{}", arrival.body),
                                  "type": "custom", "updatedAt": clock, "version": arrival.version});
        if arrival.delete {
            document["deletedAt"] = json!(clock);
        }
        write_of(
            EntityType::Goal,
            document,
            &format!("dev_{}", arrival.device),
        )
    }

    type Store = HashMap<DocumentKey, (WriteStamp, String)>;

    fn stamps(store: &Store) -> HashMap<DocumentKey, WriteStamp> {
        store
            .iter()
            .map(|(key, (stamp, _))| (key.clone(), stamp.clone()))
            .collect()
    }

    proptest! {
        /// Whatever the device clocks: a stored clock is never beyond its write's receive time
        /// plus the skew; so a correctly-timed write received more than the skew after every
        /// earlier write always applies (no document is frozen); and every device that merges
        /// the server's stored writes, in any order, reaches the server's state.
        #[test]
        fn no_clock_freezes_a_document_and_replicas_converge(
            arrivals in prop::collection::vec(arrival(), 1..25),
            seed in any::<u64>(),
        ) {
            let skew = Duration::milliseconds(SKEW_MS);
            let mut server: Store = HashMap::new();
            let mut received_ms = START_MS;
            let mut last_received: HashMap<DocumentKey, i64> = HashMap::new();
            let mut stored_writes = Vec::new();
            for arrival in &arrivals {
                received_ms += arrival.after_ms;
                let clock = ReceiveClock::new(DateTime::from_timestamp_millis(received_ms).unwrap(), skew);
                let write = bound_write(sent(arrival, received_ms), &clock);
                let key = (write.entity_type, write.entity_id.clone());
                prop_assert!(write.stamp.clock_ms <= received_ms + SKEW_MS);
                prop_assert_eq!(write.client_clock.is_some(), arrival.offset_ms > SKEW_MS);
                prop_assert_eq!(&write.stamp.checksum, &checksum(&write.data));

                let decision = decide(server.get(&key).map(|(stamp, _)| stamp), &write.stamp);
                let correct = arrival.offset_ms == 0;
                let settled = last_received.get(&key).is_none_or(|at| received_ms > at + SKEW_MS);
                if correct && settled {
                    prop_assert_eq!(decision, Decision::Apply, "a correct write after the skew must win");
                }
                if decision == Decision::Apply {
                    server.insert(key.clone(), (write.stamp.clone(), write.data.clone()));
                    last_received.insert(key, received_ms);
                    stored_writes.push(write);
                }
            }
            for (stamp, _) in server.values() {
                prop_assert!(stamp.clock_ms <= received_ms + SKEW_MS);
            }

            // A replica gets the server's stored writes in any order, in any batches, twice.
            let mut shuffled = stored_writes.clone();
            shuffled.extend(stored_writes.iter().cloned());
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let mut replica: Store = HashMap::new();
            for batch in shuffled.chunks(1 + (seed % 4) as usize) {
                for write in plan(&stamps(&replica), batch.to_vec()).apply {
                    replica.insert((write.entity_type, write.entity_id.clone()), (write.stamp, write.data));
                }
            }
            prop_assert_eq!(&replica, &server);
        }
    }
}
