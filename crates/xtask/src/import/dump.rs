//! Reading an original database dump (`wrangler d1 export` output) through an in-memory SQLite,
//! and writing our rows back as SQL text.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;

use super::ImportError;

/// One original database, loaded.
pub struct Dump {
    conn: Connection,
}

impl Dump {
    /// Loads a dump. Foreign keys and CHECKs are off: the rows are what the original stored,
    /// and judging them is the transform's job (a bad row is rejected with a reason, never
    /// the whole dump).
    pub fn load(name: &str, sql: &str) -> Result<Self, ImportError> {
        let load = |err: rusqlite::Error| ImportError::Load {
            file: name.to_string(),
            message: err.to_string(),
        };
        let conn = Connection::open_in_memory().map_err(load)?;
        conn.execute_batch("PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON;")
            .map_err(load)?;
        conn.execute_batch(sql).map_err(load)?;
        Ok(Self { conn })
    }

    pub fn has_table(&self, table: &str) -> bool {
        self.conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |_| Ok(()),
            )
            .is_ok()
    }

    /// Every row of `table` (none when the dump lacks it), in rowid order, by column name:
    /// older dumps lack the columns later migrations added, and a missing column reads as NULL.
    pub fn rows(&self, table: &str) -> Result<Vec<Row>, ImportError> {
        if !self.has_table(table) {
            return Ok(Vec::new());
        }
        let read = |err: rusqlite::Error| ImportError::Read {
            table: table.to_string(),
            message: err.to_string(),
        };
        let mut statement = self
            .conn
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .map_err(read)?;
        let names: Vec<String> = statement.column_names().map(str::to_string).collect();
        let rows = statement
            .query_map([], |row| {
                let mut values = BTreeMap::new();
                for (index, name) in names.iter().enumerate() {
                    values.insert(name.clone(), row.get::<_, SqlValue>(index)?);
                }
                Ok(Row(values))
            })
            .map_err(read)?;
        rows.collect::<Result<_, _>>().map_err(read)
    }
}

/// One original row, by column name.
#[derive(Debug, Clone, Default)]
pub struct Row(pub BTreeMap<String, SqlValue>);

impl Row {
    fn get(&self, column: &str) -> Option<&SqlValue> {
        self.0.get(column).filter(|value| **value != SqlValue::Null)
    }

    /// A column as text (numbers in their decimal form); `None` when absent or NULL.
    pub fn text(&self, column: &str) -> Option<String> {
        match self.get(column)? {
            SqlValue::Text(text) => Some(text.clone()),
            SqlValue::Integer(number) => Some(number.to_string()),
            SqlValue::Real(number) => Some(number.to_string()),
            SqlValue::Blob(bytes) => String::from_utf8(bytes.clone()).ok(),
            SqlValue::Null => None,
        }
    }

    /// A column as text, blank treated as absent.
    pub fn present(&self, column: &str) -> Option<String> {
        self.text(column).filter(|text| !text.trim().is_empty())
    }

    pub fn int(&self, column: &str) -> Option<i64> {
        match self.get(column)? {
            SqlValue::Integer(number) => Some(*number),
            SqlValue::Real(number) if number.fract() == 0.0 => Some(*number as i64),
            SqlValue::Text(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn real(&self, column: &str) -> Option<f64> {
        match self.get(column)? {
            SqlValue::Integer(number) => Some(*number as f64),
            SqlValue::Real(number) => Some(*number),
            SqlValue::Text(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// A column as an instant, whatever form the original used for it.
    pub fn instant(&self, column: &str) -> Option<DateTime<Utc>> {
        parse_instant(self.get(column)?)
    }

    /// A JSON column parsed; `None` when absent, blank or not JSON.
    pub fn json(&self, column: &str) -> Option<serde_json::Value> {
        serde_json::from_str(&self.present(column)?).ok()
    }
}

/// Anything above this is milliseconds, not seconds (in seconds it is the year 5138).
const MAX_EPOCH_SECONDS: f64 = 1e11;

/// An instant as the original stored it: unix seconds (the repertoire and goal tables),
/// epoch milliseconds (documents), `YYYY-MM-DD HH:MM:SS` (SQLite's `CURRENT_TIMESTAMP`, UTC),
/// ISO-8601, or a bare date.
pub fn parse_instant(value: &SqlValue) -> Option<DateTime<Utc>> {
    match value {
        SqlValue::Integer(number) => from_epoch(*number as f64),
        SqlValue::Real(number) => from_epoch(*number),
        SqlValue::Text(text) => parse_instant_text(text.trim()),
        _ => None,
    }
}

fn from_epoch(number: f64) -> Option<DateTime<Utc>> {
    if !number.is_finite() || number < 0.0 {
        return None;
    }
    let ms = if number > MAX_EPOCH_SECONDS {
        number
    } else {
        number * 1000.0
    };
    DateTime::from_timestamp_millis(ms.round() as i64)
}

fn parse_instant_text(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(number) = text.parse::<f64>() {
        return from_epoch(number);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
}

/// A SQL string literal.
pub fn lit(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A SQL string literal or NULL.
pub fn opt_lit(text: Option<&str>) -> String {
    text.map_or_else(|| "NULL".to_string(), lit)
}

/// A SQL integer or NULL.
pub fn opt_int(number: Option<i64>) -> String {
    number.map_or_else(|| "NULL".to_string(), |number| number.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_else(|err| panic!("{text}: {err}"))
    }

    #[test]
    fn instants_in_every_form_the_original_used() {
        let expected = at("2024-03-05T10:20:30Z");
        for value in [
            SqlValue::Integer(1_709_634_030),
            SqlValue::Integer(1_709_634_030_000),
            SqlValue::Real(1_709_634_030.0),
            SqlValue::Text("1709634030".into()),
            SqlValue::Text("2024-03-05 10:20:30".into()),
            SqlValue::Text("2024-03-05T10:20:30.000Z".into()),
            SqlValue::Text("2024-03-05T12:20:30+02:00".into()),
            SqlValue::Text("2024-03-05T10:20:30".into()),
        ] {
            assert_eq!(parse_instant(&value), Some(expected), "{value:?}");
        }
        assert_eq!(
            parse_instant(&SqlValue::Text("2024-03-05".into())),
            Some(at("2024-03-05T00:00:00Z"))
        );
        for value in [
            SqlValue::Text("yesterday".into()),
            SqlValue::Integer(-5),
            SqlValue::Null,
        ] {
            assert_eq!(parse_instant(&value), None, "{value:?}");
        }
    }

    #[test]
    fn dumps_load_with_missing_columns_and_bad_rows() {
        let dump = Dump::load(
            "t.sql",
            "PRAGMA defer_foreign_keys=TRUE;\n\
             CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER CHECK (n > 0));\n\
             INSERT INTO \"t\" VALUES('a',-1);\nINSERT INTO \"t\" VALUES('b''s',NULL);",
        )
        .unwrap();
        let rows = dump.rows("t").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].int("n"), Some(-1));
        assert_eq!(rows[1].text("id").as_deref(), Some("b's"));
        assert_eq!(rows[1].int("n"), None);
        assert_eq!(rows[1].text("absent_column"), None);
        assert!(dump.rows("no_such_table").unwrap().is_empty());
        assert!(matches!(
            Dump::load("bad.sql", "CREATE TABLE"),
            Err(ImportError::Load { .. })
        ));
    }

    #[test]
    fn literals_escape_quotes() {
        assert_eq!(lit("it's"), "'it''s'");
        assert_eq!(opt_lit(None), "NULL");
        assert_eq!(opt_int(Some(3)), "3");
    }
}
