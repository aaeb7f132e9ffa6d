//! Shared and featured collections: who may share, the recipient list a share or unshare
//! leaves behind, and the bodies of the admin featuring routes.

use serde::Deserialize;
use validator::Validate;

use crate::ApiError;
use crate::scores::import::slugify;
use crate::scores::model::Visibility;
use crate::user::Role;

/// Most recipients one collection is shared with.
pub const MAX_RECIPIENTS: usize = 200;

/// Teachers and administrators share collections; everyone else is refused.
pub fn may_share(role: Role) -> bool {
    matches!(role, Role::Teacher | Role::Admin)
}

/// The slug (the address of `GET /api/collections/:slug`) a collection has after it is
/// created or changed to `name` and `visibility`, given its `current` slug and visibility.
/// An unlisted collection is reachable by its link alone, so its slug is 128 random bits
/// (kept while it stays unlisted, whatever its name); any other collection's slug is derived
/// from its name, so public addresses stay readable and stable.
pub fn collection_slug(
    name: &str,
    visibility: Visibility,
    current: Option<(&str, Visibility)>,
) -> String {
    match (visibility, current) {
        (Visibility::Unlisted, Some((slug, Visibility::Unlisted))) if is_random_slug(slug) => {
            slug.to_string()
        }
        (Visibility::Unlisted, _) => uuid::Uuid::new_v4().simple().to_string(),
        _ => slugify(name, None),
    }
}

/// Whether a slug has the shape of an unlisted collection's random slug (32 hex digits).
pub fn is_random_slug(slug: &str) -> bool {
    slug.len() == 32 && slug.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `POST/DELETE /api/collections/shared/:id/share`.
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShareUsers {
    #[validate(length(min = 1, max = 100, message = "must list 1 to 100 user ids"))]
    pub user_ids: Vec<String>,
}

impl ShareUsers {
    /// The ids, trimmed and each checked: user ids are short and made of letters, digits,
    /// `_` and `-` (a malformed one is a 400, never stored).
    pub fn cleaned(&self) -> Result<Vec<String>, ApiError> {
        self.user_ids
            .iter()
            .map(|id| {
                let id = id.trim();
                let well_formed = (1..=64).contains(&id.len())
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if well_formed {
                    Ok(id.to_string())
                } else {
                    Err(ApiError::validation(format!("{id:?} is not a user id")))
                }
            })
            .collect()
    }
}

/// The recipients after sharing with `added`: existing ones keep their order, new ones follow,
/// without duplicates and never the owner.
pub fn share_with(
    current: &[String],
    added: &[String],
    owner: &str,
) -> Result<Vec<String>, ApiError> {
    let mut next: Vec<String> = current.to_vec();
    for id in added {
        if id != owner && !next.contains(id) {
            next.push(id.clone());
        }
    }
    if next.len() > MAX_RECIPIENTS {
        return Err(ApiError::TooManyItems {
            limit: MAX_RECIPIENTS,
            count: next.len(),
        });
    }
    Ok(next)
}

/// The recipients after unsharing `removed`.
pub fn unshare(current: &[String], removed: &[String]) -> Vec<String> {
    current
        .iter()
        .filter(|id| !removed.contains(id))
        .cloned()
        .collect()
}

/// `POST /api/collections/featured/feature`.
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeatureCollection {
    #[validate(length(min = 1, max = 200))]
    pub collection_id: String,
    #[validate(range(min = 0, max = 10_000))]
    pub display_order: Option<i64>,
}

/// `PUT /api/collections/featured/order`: every featured collection's id, in the new order.
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeaturedOrder {
    #[validate(length(min = 1, max = 100, message = "must list 1 to 100 collection ids"))]
    pub collection_ids: Vec<String>,
}

impl FeaturedOrder {
    /// `(id, position)` pairs from 1; an id listed twice is a 400.
    pub fn positions(&self) -> Result<Vec<(String, i64)>, ApiError> {
        let mut seen: Vec<&String> = Vec::new();
        for id in &self.collection_ids {
            if seen.contains(&id) {
                return Err(ApiError::validation(format!("{id:?} is listed twice")));
            }
            seen.push(id);
        }
        Ok(self
            .collection_ids
            .iter()
            .zip(1..)
            .map(|(id, position)| (id.clone(), position))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unlisted_collections_get_random_slugs_others_their_name() {
        let public = collection_slug("Bach Inventions", Visibility::Public, None);
        assert_eq!(public, "bach-inventions");
        assert_eq!(
            collection_slug("Bach Inventions", Visibility::Private, None),
            public
        );
        let unlisted = collection_slug("Bach Inventions", Visibility::Unlisted, None);
        assert!(is_random_slug(&unlisted) && !unlisted.contains("bach"));
        let other = collection_slug("Bach Inventions", Visibility::Unlisted, None);
        assert_ne!(
            unlisted, other,
            "two unlisted collections never share a slug"
        );
        // Renamed while unlisted: the link keeps working.
        let renamed = collection_slug(
            "Inventions",
            Visibility::Unlisted,
            Some((&unlisted, Visibility::Unlisted)),
        );
        assert_eq!(renamed, unlisted);
        // Made unlisted from public: the old readable address stops leading to it.
        let hidden = collection_slug(
            "Bach Inventions",
            Visibility::Unlisted,
            Some(("bach-inventions", Visibility::Public)),
        );
        assert!(is_random_slug(&hidden));
        // An unlisted one still named after itself (made before random slugs) gets one.
        let legacy = collection_slug(
            "Bach Inventions",
            Visibility::Unlisted,
            Some(("bach-inventions", Visibility::Unlisted)),
        );
        assert!(is_random_slug(&legacy));
        // Made public again: the readable slug of its name.
        let shown = collection_slug(
            "Bach Inventions",
            Visibility::Public,
            Some((&unlisted, Visibility::Unlisted)),
        );
        assert_eq!(shown, "bach-inventions");
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|id| id.to_string()).collect()
    }

    #[test]
    fn only_teachers_and_admins_share() {
        assert!(may_share(Role::Teacher));
        assert!(may_share(Role::Admin));
        assert!(!may_share(Role::User));
    }

    #[test]
    fn recipient_ids_are_checked() {
        let body = ShareUsers {
            user_ids: ids(&[" user_1 ", "user-2"]),
        };
        assert_eq!(body.cleaned().unwrap(), ids(&["user_1", "user-2"]));
        for bad in ["", "%", "user 1", "a\"b", &"x".repeat(65)] {
            let body = ShareUsers {
                user_ids: ids(&[bad]),
            };
            assert_eq!(body.cleaned().unwrap_err().status(), 400, "{bad:?}");
        }
    }

    #[test]
    fn sharing_skips_the_owner_and_duplicates() {
        let next = share_with(&ids(&["a"]), &ids(&["owner", "b", "a", "b"]), "owner").unwrap();
        assert_eq!(next, ids(&["a", "b"]));
        assert_eq!(unshare(&next, &ids(&["a", "zz"])), ids(&["b"]));
    }

    #[test]
    fn too_many_recipients_is_refused() {
        let many: Vec<String> = (0..=MAX_RECIPIENTS).map(|n| format!("u{n}")).collect();
        assert_eq!(share_with(&[], &many, "owner").unwrap_err().status(), 413);
    }

    #[test]
    fn featured_order_numbers_from_one_and_refuses_repeats() {
        let order = FeaturedOrder {
            collection_ids: ids(&["b", "a"]),
        };
        assert_eq!(
            order.positions().unwrap(),
            vec![("b".to_string(), 1), ("a".to_string(), 2)]
        );
        let repeated = FeaturedOrder {
            collection_ids: ids(&["a", "a"]),
        };
        assert_eq!(repeated.positions().unwrap_err().status(), 400);
    }

    proptest! {
        #[test]
        fn sharing_then_unsharing_restores_the_recipients(
            current in proptest::collection::btree_set("[a-z]{1,4}", 0..10),
            added in proptest::collection::vec("[a-z]{1,4}", 0..10),
        ) {
            let current: Vec<String> = current.into_iter().collect();
            let fresh: Vec<String> = added.iter().filter(|id| !current.contains(id)).cloned().collect();
            let shared = share_with(&current, &added, "owner-id").unwrap();
            prop_assert!(added.iter().all(|id| shared.contains(id)));
            prop_assert!(!shared.iter().any(|id| id == "owner-id"));
            prop_assert_eq!(unshare(&shared, &fresh), current);
        }
    }
}
