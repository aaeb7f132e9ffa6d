//! Renaming a piece across the logbook (`PUT /api/pieces/update-name`): pieces are matched by
//! their normalised score id, so every spelling of the old name is caught.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use validator::Validate;

use super::{is_live, stamp, text};
use crate::score_id::{generate_score_id, normalize_existing_score_id};

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PieceName {
    #[validate(length(min = 1, max = 300, message = "must be 1 to 300 characters"))]
    pub title: String,
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    pub composer: Option<String>,
}

impl PieceName {
    /// The normalised score id of this name.
    pub fn score_id(&self) -> String {
        generate_score_id(self.title.trim(), self.composer.as_deref())
    }
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePieceNameRequest {
    #[validate(nested)]
    pub old_piece: PieceName,
    #[validate(nested)]
    pub new_piece: PieceName,
}

/// Whether a stored piece is the old one: by its id (normalised) or by its title and composer.
fn is_piece(piece: &Value, old_id: &str) -> bool {
    let by_id = text(piece, "id")
        .filter(|id| !id.trim().is_empty())
        .is_some_and(|id| normalize_existing_score_id(id) == old_id);
    let by_name = text(piece, "title")
        .is_some_and(|title| generate_score_id(title, text(piece, "composer")) == old_id);
    by_id || by_name
}

/// The entries that change, renamed: matching pieces get the new title, composer and id; an
/// entry's `scoreId` follows when it named the old piece. Deleted entries are left alone.
pub fn rename_in_entries(
    entries: &[Value],
    request: &UpdatePieceNameRequest,
    now: DateTime<Utc>,
) -> Vec<Value> {
    let old_id = request.old_piece.score_id();
    let new_id = request.new_piece.score_id();
    let new_title = request.new_piece.title.trim();
    let new_composer = request
        .new_piece
        .composer
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let mut changed = Vec::new();
    for entry in entries.iter().filter(|entry| is_live(entry)) {
        let mut doc = entry.as_object().cloned().unwrap_or_default();
        let mut touched = false;
        if let Some(Value::Array(pieces)) = doc.get_mut("pieces") {
            for piece in pieces.iter_mut().filter(|piece| is_piece(piece, &old_id)) {
                if let Value::Object(piece) = piece {
                    piece.insert("title".into(), new_title.into());
                    match new_composer {
                        Some(composer) => piece.insert("composer".into(), composer.into()),
                        None => piece.remove("composer"),
                    };
                    piece.insert("id".into(), new_id.clone().into());
                    touched = true;
                }
            }
        }
        let names_old = text(entry, "scoreId")
            .is_some_and(|id| !id.trim().is_empty() && normalize_existing_score_id(id) == old_id);
        if names_old {
            doc.insert("scoreId".into(), new_id.clone().into());
            touched = true;
        }
        if touched {
            stamp(&mut doc, Some(entry), now);
            changed.push(Value::Object(doc));
        }
    }
    changed
}

/// The answer of a rename.
pub fn rename_answer(count: usize) -> Value {
    json!({
        "success": true,
        "updatedCount": count,
        "message": format!("Updated {count} entries"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::practice::tombstone;
    use crate::sync::EntityType;
    use crate::sync::entities::normalize_document;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_323_200, 0).unwrap()
    }

    fn request(old: (&str, Option<&str>), new: (&str, Option<&str>)) -> UpdatePieceNameRequest {
        let name = |(title, composer): (&str, Option<&str>)| PieceName {
            title: title.into(),
            composer: composer.map(Into::into),
        };
        UpdatePieceNameRequest {
            old_piece: name(old),
            new_piece: name(new),
        }
    }

    fn entry(id: &str, pieces: Value, score_id: Option<&str>) -> Value {
        json!({"id": id, "timestamp": "2026-01-01T00:00:00.000Z", "duration": 10, "type": "practice",
               "instrument": "piano", "updatedAt": "2026-01-01T00:00:00.000Z", "version": 1,
               "pieces": pieces, "scoreId": score_id})
    }

    #[test]
    fn renames_every_spelling_of_the_old_piece() {
        let entries = vec![
            entry(
                "1",
                json!([{"id": "clair de lune-debussy", "title": "Clair de Lune", "composer": "Debussy"}]),
                Some("clair de lune-debussy"),
            ),
            entry(
                "2",
                json!([{"title": "CLAIR  de lune", "composer": "debussy"}, {"title": "Other"}]),
                None,
            ),
            entry(
                "3",
                json!([{"title": "Reverie", "composer": "Debussy"}]),
                None,
            ),
            tombstone(
                &entry(
                    "4",
                    json!([{"title": "Clair de Lune", "composer": "Debussy"}]),
                    None,
                ),
                now(),
            ),
        ];
        let changed = rename_in_entries(
            &entries,
            &request(
                ("Clair de Lune", Some("Debussy")),
                ("Clair de lune (Suite bergamasque)", Some("Claude Debussy")),
            ),
            now(),
        );
        assert_eq!(changed.len(), 2);
        let new_id = "clair de lune (suite bergamasque)-claude debussy";
        assert_eq!(changed[0]["pieces"][0]["id"], new_id);
        assert_eq!(
            changed[0]["pieces"][0]["title"],
            "Clair de lune (Suite bergamasque)"
        );
        assert_eq!(changed[0]["scoreId"], new_id);
        assert_eq!(changed[0]["version"], 2);
        assert_eq!(changed[1]["pieces"][0]["composer"], "Claude Debussy");
        assert_eq!(
            changed[1]["pieces"][1]["title"], "Other",
            "other pieces untouched"
        );
        for doc in changed {
            normalize_document(EntityType::LogbookEntry, doc).unwrap();
        }
        assert_eq!(rename_answer(2)["message"], "Updated 2 entries");
    }

    #[test]
    fn a_missing_new_composer_removes_it() {
        let entries = vec![entry(
            "1",
            json!([{"title": "Air", "composer": "Bach"}]),
            None,
        )];
        let changed = rename_in_entries(
            &entries,
            &request(("Air", Some("Bach")), ("Air on the G String", None)),
            now(),
        );
        assert!(changed[0]["pieces"][0].get("composer").is_none());
        assert_eq!(changed[0]["pieces"][0]["id"], "air on the g string-unknown");
    }
}
