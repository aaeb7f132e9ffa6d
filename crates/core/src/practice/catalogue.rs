//! The curated catalogue behind autocomplete (`/api/autocomplete/composers|pieces`): well-known
//! composers with their common aliases, and well-known public-domain pieces. It ships as data
//! (`crates/core/data/catalogue.json`) compiled into the worker.
//!
//! Matching folds case and diacritics (`dvorak` finds Dvořák) and ranks a prefix of the whole
//! name above a prefix of one of its words, above a match anywhere.

use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::ApiError;

const DATA: &str = include_str!("../../data/catalogue.json");
/// Answers shorter queries with nothing (too broad to be useful).
pub const MIN_QUERY_CHARS: usize = 2;
pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 50;

/// `[canonical name, [aliases…], period]`.
#[derive(Debug, Deserialize)]
struct ComposerRow(String, Vec<String>, String);

/// `[title, composer (any alias), instrument, level or null]`.
#[derive(Debug, Deserialize)]
struct PieceRow(String, String, String, Option<String>);

#[derive(Debug, Default, Deserialize)]
struct Data {
    composers: Vec<ComposerRow>,
    pieces: Vec<PieceRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Composer {
    pub name: String,
    pub aliases: Vec<String>,
    pub period: String,
    /// Folded name and aliases, for matching.
    keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub title: String,
    /// Canonical composer name.
    pub composer: String,
    pub instrument: String,
    /// A coarse level (beginner … advanced) where it is well established.
    pub grade_level: Option<String>,
    key: String,
}

#[derive(Debug, Default)]
pub struct Catalogue {
    pub composers: Vec<Composer>,
    pub pieces: Vec<Piece>,
    /// Piece rows whose composer is not in the catalogue (a data error the tests catch).
    pub unresolved: Vec<String>,
}

/// Lowercases, strips diacritics and turns punctuation into spaces, so `F. Chopin`, `f chopin`
/// and `F.  CHOPIN` fold alike and `Dvořák` folds to `dvorak`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let plain: &str = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' => "c",
            'ď' | 'đ' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
            'ğ' => "g",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
            'ł' | 'ľ' | 'ĺ' => "l",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
            'œ' => "oe",
            'ŕ' | 'ř' => "r",
            'ś' | 'š' | 'ş' | 'ș' => "s",
            'ß' => "ss",
            'ť' | 'ţ' | 'ț' => "t",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            // Apostrophes join (`Rêverie d'été` → `d ete` would split oddly otherwise).
            '\'' | '\u{2019}' => "",
            c if c.is_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => " ",
        };
        out.push_str(plain);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How well `key` matches the folded query: 0 prefix of the whole, 1 prefix of a word,
/// 2 anywhere; `None` when it does not match.
pub fn rank(key: &str, query: &str) -> Option<u8> {
    if query.is_empty() {
        return None;
    }
    if key.starts_with(query) {
        Some(0)
    } else if key
        .match_indices(query)
        .any(|(at, _)| key[..at].ends_with(' '))
    {
        Some(1)
    } else if key.contains(query) {
        Some(2)
    } else {
        None
    }
}

impl Catalogue {
    fn load(text: &str) -> Self {
        let data: Data = serde_json::from_str(text).unwrap_or_default();
        let composers: Vec<Composer> = data
            .composers
            .into_iter()
            .map(|ComposerRow(name, aliases, period)| {
                let keys = std::iter::once(&name)
                    .chain(&aliases)
                    .map(|n| fold(n))
                    .collect();
                Composer {
                    name,
                    aliases,
                    period,
                    keys,
                }
            })
            .collect();
        let mut catalogue = Self {
            composers,
            ..Self::default()
        };
        for PieceRow(title, composer, instrument, level) in data.pieces {
            match catalogue.canonical_composer(&composer) {
                Some(canonical) => {
                    let composer = canonical.name.clone();
                    catalogue.pieces.push(Piece {
                        key: fold(&title),
                        title,
                        composer,
                        instrument,
                        grade_level: level,
                    });
                }
                None => catalogue.unresolved.push(format!("{title} ({composer})")),
            }
        }
        catalogue
    }

    /// The catalogue compiled into this build.
    pub fn get() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| Self::load(DATA))
    }

    /// The composer a name or alias stands for (`F. Chopin` → Frédéric Chopin).
    pub fn canonical_composer(&self, name: &str) -> Option<&Composer> {
        let key = fold(name);
        self.composers
            .iter()
            .find(|composer| composer.keys.contains(&key))
    }

    /// Composers matching `query`, best first; and how many matched in all.
    pub fn search_composers(&self, query: &str, limit: usize) -> (Vec<&Composer>, usize) {
        let query = fold(query);
        let mut hits: Vec<(u8, &Composer)> = self
            .composers
            .iter()
            .filter_map(|c| {
                c.keys
                    .iter()
                    .filter_map(|k| rank(k, &query))
                    .min()
                    .map(|r| (r, c))
            })
            .collect();
        hits.sort_by_key(|(rank, composer)| (*rank, fold(&composer.name)));
        let total = hits.len();
        (
            hits.into_iter().take(limit).map(|(_, c)| c).collect(),
            total,
        )
    }

    /// Pieces whose title matches `query`, optionally by one composer (any alias, or a part
    /// of the name), best first; and how many matched in all.
    pub fn search_pieces(
        &self,
        query: &str,
        composer: Option<&str>,
        limit: usize,
    ) -> (Vec<&Piece>, usize) {
        let query = fold(query);
        let composer_filter = composer
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| match self.canonical_composer(c) {
                Some(found) => vec![found.name.clone()],
                None => self
                    .composers
                    .iter()
                    .filter(|k| k.keys.iter().any(|key| rank(key, &fold(c)).is_some()))
                    .map(|k| k.name.clone())
                    .collect(),
            });
        let mut hits: Vec<(u8, &Piece)> = self
            .pieces
            .iter()
            .filter(|p| {
                composer_filter
                    .as_ref()
                    .is_none_or(|names| names.contains(&p.composer))
            })
            .filter_map(|p| rank(&p.key, &query).map(|r| (r, p)))
            .collect();
        hits.sort_by(|a, b| (a.0, &a.1.key).cmp(&(b.0, &b.1.key)));
        let total = hits.len();
        (
            hits.into_iter().take(limit).map(|(_, p)| p).collect(),
            total,
        )
    }
}

/// The `limit` query parameter: 10 when absent, else 1 to 50.
pub fn parse_limit(raw: Option<&str>) -> Result<usize, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(DEFAULT_LIMIT),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::Validation {
                message: format!("limit must be an integer from 1 to {MAX_LIMIT}"),
                details: Some(json!({"fields": {"limit": [format!("must be an integer from 1 to {MAX_LIMIT}")]}})),
            }),
    }
}

/// Whether a query is long enough to search (counted after folding).
pub fn searchable(query: &str) -> bool {
    fold(query).chars().count() >= MIN_QUERY_CHARS
}

/// `{results:[{value,label,metadata}], total}` for composers.
pub fn composers_answer(query: &str, limit: usize) -> Value {
    if !searchable(query) {
        return json!({"results": [], "total": 0});
    }
    let (hits, total) = Catalogue::get().search_composers(query, limit);
    let results: Vec<Value> = hits
        .iter()
        .map(|c| json!({"value": c.name, "label": c.name, "metadata": {"period": c.period, "aliases": c.aliases}}))
        .collect();
    json!({"results": results, "total": total})
}

/// `{results:[{value,label,metadata:{composer,gradeLevel,instrument}}], total}` for pieces.
pub fn pieces_answer(query: &str, composer: Option<&str>, limit: usize) -> Value {
    if !searchable(query) {
        return json!({"results": [], "total": 0});
    }
    let (hits, total) = Catalogue::get().search_pieces(query, composer, limit);
    let results: Vec<Value> = hits
        .iter()
        .map(|p| {
            json!({
                "value": p.title,
                "label": format!("{} — {}", p.title, p.composer),
                "metadata": {"composer": p.composer, "gradeLevel": p.grade_level, "instrument": p.instrument},
            })
        })
        .collect();
    json!({"results": results, "total": total})
}

/// The KV key of an answer: built from the folded query, so spellings that search alike
/// share one entry.
pub fn cache_key(kind: &str, query: &str, composer: Option<&str>, limit: usize) -> String {
    let composer = composer.map(fold).unwrap_or_default();
    format!("autocomplete:v1:{kind}:{}:{composer}:{limit}", fold(query))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogue_is_complete_and_consistent() {
        let catalogue = Catalogue::get();
        assert!(
            catalogue.composers.len() >= 80,
            "{}",
            catalogue.composers.len()
        );
        assert!(catalogue.pieces.len() >= 250, "{}", catalogue.pieces.len());
        assert!(
            catalogue.unresolved.is_empty(),
            "{:?}",
            catalogue.unresolved
        );
        let mut keys = std::collections::HashSet::new();
        for composer in &catalogue.composers {
            for key in &composer.keys {
                assert!(keys.insert(key.clone()), "alias {key} names two composers");
            }
        }
        let mut titles = std::collections::HashSet::new();
        for piece in &catalogue.pieces {
            assert!(
                titles.insert((piece.key.clone(), piece.composer.clone())),
                "duplicate {}",
                piece.title
            );
            assert!(!piece.instrument.is_empty());
        }
    }

    #[test]
    fn folding_ignores_case_diacritics_and_punctuation() {
        assert_eq!(fold("Antonín  DVOŘÁK"), "antonin dvorak");
        assert_eq!(fold("J.S. Bach"), "j s bach");
        assert_eq!(fold("Saint-Saëns"), "saint saens");
        assert_eq!(fold("Für Elise"), "fur elise");
    }

    #[test]
    fn aliases_canonicalise() {
        let catalogue = Catalogue::get();
        for (alias, name) in [
            ("Chopin", "Frédéric Chopin"),
            ("F. Chopin", "Frédéric Chopin"),
            ("J.S. Bach", "Johann Sebastian Bach"),
            ("Bach", "Johann Sebastian Bach"),
            ("dvorak", "Antonín Dvořák"),
            ("Rachmaninov", "Sergei Rachmaninoff"),
        ] {
            assert_eq!(
                catalogue.canonical_composer(alias).map(|c| c.name.as_str()),
                Some(name),
                "{alias}"
            );
        }
        assert!(catalogue.canonical_composer("Nobody Atall").is_none());
    }

    #[test]
    fn ranking_prefers_whole_prefix_then_word_prefix_then_substring() {
        assert_eq!(rank("chopin", "cho"), Some(0));
        assert_eq!(rank("frederic chopin", "cho"), Some(1));
        assert_eq!(rank("scholl", "cho"), Some(2));
        assert_eq!(rank("bach", "cho"), None);
        let (hits, total) = Catalogue::get().search_composers("bach", 50);
        assert!(total >= 2);
        assert_eq!(
            hits[0].name, "Johann Sebastian Bach",
            "alias 'Bach' is a whole-name prefix"
        );
        let (hits, _) = Catalogue::get().search_composers("SCHU", 50);
        let names: Vec<&str> = hits.iter().map(|c| c.name.as_str()).collect();
        assert!(
            names.contains(&"Franz Schubert") && names.contains(&"Robert Schumann"),
            "{names:?}"
        );
    }

    #[test]
    fn piece_search_filters_by_composer_and_limits() {
        let catalogue = Catalogue::get();
        let (hits, total) = catalogue.search_pieces("nocturne", Some("chopin"), 3);
        assert_eq!(hits.len(), 3);
        assert!(total > 3);
        assert!(hits.iter().all(|p| p.composer == "Frédéric Chopin"));
        let (hits, _) = catalogue.search_pieces("fur elise", None, 5);
        assert_eq!(hits[0].composer, "Ludwig van Beethoven");
        let (hits, _) = catalogue.search_pieces("clair", None, 5);
        assert!(hits[0].title.starts_with("Clair de lune"), "{:?}", hits[0]);
        let answer = pieces_answer("gymnop", None, 10);
        assert_eq!(answer["results"][0]["metadata"]["composer"], "Erik Satie");
        assert_eq!(answer["results"][0]["metadata"]["instrument"], "piano");
    }

    #[test]
    fn short_queries_and_bad_limits() {
        assert_eq!(
            composers_answer("c", 10),
            json!({"results": [], "total": 0})
        );
        assert_eq!(pieces_answer(" .", None, 5)["total"], 0);
        assert_eq!(parse_limit(None).unwrap(), 10);
        assert_eq!(parse_limit(Some("50")).unwrap(), 50);
        for bad in ["0", "51", "ten", "-1"] {
            assert_eq!(parse_limit(Some(bad)).unwrap_err().status(), 400, "{bad}");
        }
        assert_eq!(
            cache_key("composers", "Dvořák ", None, 10),
            cache_key("composers", "dvorak", None, 10)
        );
    }
}
