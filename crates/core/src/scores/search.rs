//! `GET /api/search`: the validated parameters and the SQL they become. Full-text matching
//! goes through the FTS5 index; only public scores and the caller's own are ever returned.

use std::collections::HashMap;

use crate::ApiError;
use crate::scores::model::{Difficulty, Instrument, SqlValue, StylePeriod};

pub const MAX_LIMIT: i64 = 100;
const DEFAULT_LIMIT: i64 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Relevance,
    Title,
    Composer,
    Difficulty,
    CreatedAt,
    Popularity,
}

/// A validated search.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub query: Option<String>,
    pub filters: Vec<(String, SqlValue)>,
    pub sort: SortKey,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

fn invalid(what: &str) -> ApiError {
    ApiError::validation(format!("Invalid search parameters: {what}"))
}

fn number(
    params: &HashMap<String, String>,
    key: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, ApiError> {
    params
        .get(key)
        .map(|raw| {
            raw.parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| invalid(&format!("{key} must be an integer from {min} to {max}")))
        })
        .transpose()
}

impl Search {
    /// Reads the query-string parameters; anything malformed is a 400.
    pub fn from_params(params: &HashMap<String, String>) -> Result<Self, ApiError> {
        let query = params
            .get("query")
            .or_else(|| params.get("q"))
            .map(|q| q.trim().to_string())
            .filter(|q| !fts_query(q).is_empty());
        if query.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(invalid("query is longer than 200 characters"));
        }
        let mut filters = Vec::new();
        if let Some(raw) = params.get("instrument") {
            let instrument = Instrument::parse(raw).ok_or_else(|| invalid("instrument"))?;
            filters.push((
                "s.instrument = ?".into(),
                SqlValue::from(instrument.as_str()),
            ));
        }
        if let Some(raw) = params.get("difficulty") {
            let difficulty = Difficulty::parse(raw).ok_or_else(|| invalid("difficulty"))?;
            filters.push((
                "s.difficulty = ?".into(),
                SqlValue::from(difficulty.as_str()),
            ));
        }
        if let Some(raw) = params.get("stylePeriod") {
            let period = StylePeriod::parse(raw).ok_or_else(|| invalid("stylePeriod"))?;
            filters.push(("s.style_period = ?".into(), SqlValue::from(period.as_str())));
        }
        if let Some(min) = number(params, "minDifficultyLevel", 1, 10)? {
            filters.push(("s.difficulty_level >= ?".into(), SqlValue::Integer(min)));
        }
        if let Some(max) = number(params, "maxDifficultyLevel", 1, 10)? {
            filters.push(("s.difficulty_level <= ?".into(), SqlValue::Integer(max)));
        }
        if let Some(max) = number(params, "maxDuration", 1, 36000)? {
            filters.push(("s.duration_seconds <= ?".into(), SqlValue::Integer(max)));
        }
        if let Some(composer) = params
            .get("composer")
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
        {
            filters.push((
                "s.composer LIKE ? ESCAPE '\\'".into(),
                SqlValue::Text(format!("%{}%", escape_like(composer))),
            ));
        }
        if let Some(grade) = params
            .get("gradeLevel")
            .map(|g| g.trim())
            .filter(|g| !g.is_empty())
        {
            filters.push(("s.grade_level = ?".into(), SqlValue::from(grade)));
        }
        if let Some(tags) = params.get("tags") {
            for tag in tags.split(',').map(str::trim).filter(|tag| !tag.is_empty()) {
                filters.push((
                    "EXISTS (SELECT 1 FROM json_each(s.tags) WHERE lower(json_each.value) = lower(?))".into(),
                    SqlValue::from(tag),
                ));
            }
        }
        let sort = match params.get("sortBy").map(String::as_str) {
            None => {
                if query.is_some() {
                    SortKey::Relevance
                } else {
                    SortKey::CreatedAt
                }
            }
            Some("relevance") => SortKey::Relevance,
            Some("title") => SortKey::Title,
            Some("composer") => SortKey::Composer,
            Some("difficulty") => SortKey::Difficulty,
            Some("createdAt") => SortKey::CreatedAt,
            Some("popularity") => SortKey::Popularity,
            Some(_) => {
                return Err(invalid(
                    "sortBy must be relevance, title, composer, difficulty, createdAt or popularity",
                ));
            }
        };
        let descending = match params.get("sortOrder").map(String::as_str) {
            None => matches!(sort, SortKey::CreatedAt | SortKey::Popularity),
            Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(invalid("sortOrder must be asc or desc")),
        };
        Ok(Self {
            query,
            filters,
            sort,
            descending,
            limit: number(params, "limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT),
            offset: number(params, "offset", 0, 1_000_000)?.unwrap_or(0),
        })
    }

    /// The `FROM … WHERE …` part and its binds, visible to `viewer` only. Select with
    /// `SELECT s.* <from_where>`; the count with `SELECT COUNT(*) <from_where>`.
    pub fn from_where(&self, viewer: Option<&str>) -> (String, Vec<SqlValue>) {
        let mut sql = String::from("FROM scores s");
        let mut binds = Vec::new();
        let mut conditions = Vec::new();
        if let Some(query) = &self.query {
            sql.push_str(" JOIN scores_fts ON scores_fts.rowid = s.rowid");
            conditions.push("scores_fts MATCH ?".to_string());
            binds.push(SqlValue::Text(fts_query(query)));
        }
        match viewer {
            Some(user) => {
                conditions.push("(s.visibility = 'public' OR s.user_id = ?)".into());
                binds.push(SqlValue::from(user));
            }
            None => conditions.push("s.visibility = 'public'".into()),
        }
        for (condition, value) in &self.filters {
            conditions.push(condition.clone());
            binds.push(value.clone());
        }
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
        (sql, binds)
    }

    /// The `ORDER BY …` clause (a fixed list of expressions; no input reaches it).
    pub fn order_by(&self) -> String {
        let direction = if self.descending { "DESC" } else { "ASC" };
        let key = match (self.sort, self.query.is_some()) {
            (SortKey::Relevance, true) => "bm25(scores_fts, 10.0, 5.0, 3.0, 3.0, 1.0)",
            (SortKey::Relevance, false) | (SortKey::CreatedAt, _) => "s.created_at",
            (SortKey::Title, _) => "s.title COLLATE NOCASE",
            (SortKey::Composer, _) => "s.composer COLLATE NOCASE",
            (SortKey::Difficulty, _) => {
                "CASE s.difficulty WHEN 'beginner' THEN 1 WHEN 'intermediate' THEN 2 ELSE 3 END, s.difficulty_level"
            }
            (SortKey::Popularity, _) => "(s.view_count + s.download_count)",
        };
        format!("ORDER BY {key} {direction}, s.id ASC")
    }
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Words of the user's query as FTS5 prefix terms, all required: `moonlight son` →
/// `"moonlight"* "son"*`. Quotes are dropped, so no query syntax reaches FTS5.
pub fn fts_query(query: &str) -> String {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(12)
        .map(|word| format!("\"{word}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn anonymous_searches_see_only_public_scores() {
        let search = Search::from_params(&params(&[("query", "bach")])).unwrap();
        let (sql, binds) = search.from_where(None);
        assert!(
            sql.contains("s.visibility = 'public'") && sql.contains("MATCH ?"),
            "{sql}"
        );
        assert_eq!(binds, [SqlValue::Text("\"bach\"*".into())]);
        let (sql, binds) = search.from_where(Some("user-1"));
        assert!(sql.contains("s.user_id = ?"));
        assert_eq!(binds.len(), 2);
        assert!(search.order_by().starts_with("ORDER BY bm25"));
    }

    #[test]
    fn every_sort_key_is_accepted_and_bad_parameters_are_refused() {
        for key in [
            "relevance",
            "title",
            "composer",
            "difficulty",
            "createdAt",
            "popularity",
        ] {
            let search =
                Search::from_params(&params(&[("sortBy", key), ("sortOrder", "asc")])).unwrap();
            assert!(search.order_by().ends_with("ASC, s.id ASC"));
        }
        for bad in [
            [("sortBy", "rowid; DROP TABLE scores")],
            [("sortOrder", "up")],
            [("limit", "0")],
            [("limit", "101")],
            [("offset", "-1")],
            [("instrument", "violin")],
            [("difficulty", "hard")],
            [("minDifficultyLevel", "x")],
            [("stylePeriod", "jazz")],
        ] {
            assert_eq!(
                Search::from_params(&params(&bad)).unwrap_err().status(),
                400,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn filters_become_bound_conditions() {
        let search = Search::from_params(&params(&[
            ("instrument", "piano"),
            ("tags", "baroque, exam"),
            ("composer", "50%_"),
            ("maxDifficultyLevel", "4"),
        ]))
        .unwrap();
        let (sql, binds) = search.from_where(None);
        assert_eq!(sql.matches('?').count(), binds.len());
        assert!(binds.contains(&SqlValue::Text("%50\\%\\_%".into())));
    }

    #[test]
    fn fts_queries_carry_no_syntax() {
        assert_eq!(fts_query("Moonlight son"), "\"Moonlight\"* \"son\"*");
        assert_eq!(fts_query("\"a\" OR b*"), "\"a\"* \"OR\"* \"b\"*");
        assert_eq!(fts_query("Für Élise"), "\"Für\"* \"Élise\"*");
    }

    proptest! {
        #[test]
        fn fts_terms_are_always_quoted_words(query in ".{0,100}") {
            for term in fts_query(&query).split(' ').filter(|t| !t.is_empty()) {
                prop_assert!(term.starts_with('"') && term.ends_with("\"*"));
                prop_assert!(!term[1..term.len() - 2].contains('"'));
            }
        }
    }
}
