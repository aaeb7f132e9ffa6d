//! Keeping the library tidy: which R2 objects no score owns any more, which scores the
//! admin reprocessing route and the cron pick up, and the import health report.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;

use super::limit::{ANONYMOUS, ImportPolicy, SIGNED_IN};

/// The R2 prefixes a score's files live under; the score id is the segment after the
/// prefix (after the owner for `user-uploads/<user>/<id>/…`).
pub const SCORE_PREFIXES: [&str; 5] = [
    "imports/",
    "scores/",
    "rendered/",
    "thumbnails/",
    "user-uploads/",
];

/// The score a stored object belongs to, if its key has one of the layouts the worker writes.
/// Anything else is not the sweep's to judge.
pub fn score_id_of(key: &str) -> Option<&str> {
    let (prefix, rest) = key.split_once('/')?;
    let mut segments = rest.split('/');
    let id = match prefix {
        "imports" | "scores" | "rendered" | "thumbnails" => segments.next()?,
        "user-uploads" => {
            segments.next()?;
            segments.next()?
        }
        _ => return None,
    };
    // The file name must follow the id: a bare `<prefix>/<id>` is not one of ours.
    segments.next()?;
    (!id.is_empty()).then_some(id)
}

/// A listed R2 object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    pub uploaded_ms: i64,
}

/// The keys to delete: objects of scores that no longer exist, stored at least `grace_ms`
/// ago (an import writes its file before its row, so a young object may be about to be owned).
pub fn orphaned_keys(
    objects: &[StoredObject],
    existing_ids: &HashSet<String>,
    now_ms: i64,
    grace_ms: i64,
) -> Vec<String> {
    objects
        .iter()
        .filter(|object| now_ms - object.uploaded_ms >= grace_ms)
        .filter(|object| score_id_of(&object.key).is_some_and(|id| !existing_ids.contains(id)))
        .map(|object| object.key.clone())
        .collect()
}

/// `POST /api/admin/reprocess-imports`: a dry run unless told otherwise.
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReprocessRequest {
    #[serde(default = "dry_run_by_default")]
    pub dry_run: bool,
    #[serde(default = "ten")]
    #[validate(range(min = 1, max = 100))]
    pub limit: u32,
}

fn dry_run_by_default() -> bool {
    true
}

fn ten() -> u32 {
    10
}

/// Scores that processing will never finish on its own: `failed` ones (when asked), and
/// `pending` or `processing` ones untouched since `stale_before` (their message was lost or
/// the consumer died). Only scores with something to process (a PDF, page images, or the IMSLP
/// link a batch import has yet to fetch).
/// Binds: `?1` = `stale_before` (ISO-8601), `?2` = include failed (0/1), `?3` = limit.
pub const REPROCESSABLE_SQL: &str = "SELECT id, title, processing_status, processing_error, \
    processing_attempts, COALESCE(processing_started_at, updated_at) AS last_activity, \
    source_type, r2_key, imslp_url, user_id FROM scores \
    WHERE (r2_key IS NOT NULL OR source_type <> 'pdf' OR imslp_url IS NOT NULL) AND ( \
      (?2 = 1 AND processing_status = 'failed') OR \
      (processing_status IN ('pending', 'processing') AND COALESCE(processing_started_at, updated_at) < ?1)) \
    ORDER BY COALESCE(processing_started_at, updated_at) LIMIT ?3";

/// `GET /api/import/health`: what the import pipeline has to work with, as configured.
pub fn import_health(ai_configured: bool, browser_configured: bool) -> Value {
    let describe = |policy: ImportPolicy, keyed_by: &str| {
        json!({
            "keyedBy": keyed_by,
            "imports": policy.limit,
            "windowSeconds": policy.window_ms / 1000,
            "banAfterFailures": policy.ban_after_failures,
            "banSeconds": policy.ban_ms / 1000,
        })
    };
    json!({
        "success": true,
        "data": {
            "pdfProcessing": "built-in",
            "ai": {
                "configured": ai_configured,
                "usedForImports": ai_configured,
                "role": "suggests title, composer and opus from the first page's text",
            },
            "browserRendering": {
                "configured": browser_configured,
                "usedForImports": browser_configured,
                "role": "reads IMSLP work pages as a browser renders them",
            },
            "rateLimit": {
                "anonymous": describe(ANONYMOUS, "clientIp"),
                "signedIn": describe(SIGNED_IN, "userId"),
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_layout_the_worker_writes_names_its_score() {
        for (key, id) in [
            ("imports/score_1/file.pdf", "score_1"),
            ("scores/score_2/original.pdf", "score_2"),
            ("rendered/score_3/page-1.png", "score_3"),
            ("thumbnails/score_4/thumb.png", "score_4"),
            ("user-uploads/user_9/score_5/page-1.jpg", "score_5"),
        ] {
            assert_eq!(score_id_of(key), Some(id), "{key}");
        }
        for key in [
            "test-data/score_01.pdf",
            "imports/score_1",
            "imports//x.pdf",
            "user-uploads/user_9/score_5",
            "orphan.pdf",
        ] {
            assert_eq!(score_id_of(key), None, "{key}");
        }
    }

    fn object(key: &str, uploaded_ms: i64) -> StoredObject {
        StoredObject {
            key: key.into(),
            uploaded_ms,
        }
    }

    #[test]
    fn only_old_objects_of_missing_scores_are_orphans() {
        let existing: HashSet<String> = ["kept".to_string()].into();
        let objects = [
            object("imports/kept/a.pdf", 0),
            object("rendered/gone/page-1.png", 0),
            object("thumbnails/gone-recently/thumb.png", 9_500),
            object("elsewhere/gone/x", 0),
        ];
        assert_eq!(
            orphaned_keys(&objects, &existing, 10_000, 1_000),
            ["rendered/gone/page-1.png"]
        );
        assert_eq!(
            orphaned_keys(&objects, &existing, 10_000, 0),
            [
                "rendered/gone/page-1.png",
                "thumbnails/gone-recently/thumb.png"
            ]
        );
    }

    #[test]
    fn reprocessing_is_a_dry_run_of_ten_unless_told() {
        let request: ReprocessRequest = serde_json::from_str("{}").unwrap();
        assert!(request.dry_run);
        assert_eq!(request.limit, 10);
        let request: ReprocessRequest =
            serde_json::from_str(r#"{"dryRun": false, "limit": 101}"#).unwrap();
        assert!(!request.dry_run);
        assert!(request.validate().is_err());
        assert!(serde_json::from_str::<ReprocessRequest>(r#"{"all": true}"#).is_err());
    }

    #[test]
    fn the_health_report_states_the_policies_in_force() {
        let report = import_health(false, true);
        assert_eq!(report["data"]["ai"]["configured"], false);
        assert_eq!(report["data"]["ai"]["usedForImports"], false);
        assert_eq!(report["data"]["browserRendering"]["configured"], true);
        assert_eq!(report["data"]["browserRendering"]["usedForImports"], true);
        let anonymous = &report["data"]["rateLimit"]["anonymous"];
        assert_eq!(anonymous["imports"], ANONYMOUS.limit);
        assert_eq!(anonymous["windowSeconds"], 600);
        assert_eq!(report["data"]["rateLimit"]["signedIn"]["keyedBy"], "userId");
    }

    proptest! {
        #[test]
        fn objects_of_existing_scores_are_never_orphans(
            ids in proptest::collection::vec("[a-z0-9_]{1,12}", 1..8),
            prefix in 0usize..5,
            age in 0i64..1_000_000,
        ) {
            let existing: HashSet<String> = ids.iter().cloned().collect();
            let objects: Vec<StoredObject> = ids
                .iter()
                .map(|id| {
                    let key = match SCORE_PREFIXES[prefix] {
                        "user-uploads/" => format!("user-uploads/someone/{id}/page-1.png"),
                        other => format!("{other}{id}/file"),
                    };
                    object(&key, 0)
                })
                .collect();
            prop_assert!(orphaned_keys(&objects, &existing, age, 0).is_empty());
            prop_assert_eq!(orphaned_keys(&objects, &HashSet::new(), age, 0).len(), objects.len());
        }
    }
}
