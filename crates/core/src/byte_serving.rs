//! Serving stored files (recordings, PDFs): `If-None-Match` → 304 and `Range` → 206, so
//! players can seek and clients re-validate without downloading again.
//!
//! One byte range is served as asked; a request for several ranges gets the whole file, which
//! RFC 9110 allows and every player handles.

use http_range_header::parse_range_header;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::ApiError;

/// An inclusive byte range of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn byte_count(&self) -> u64 {
        self.end - self.start + 1
    }

    /// The `Content-Range` value of this range of a `size`-byte file.
    pub fn content_range(&self, size: u64) -> String {
        format!("bytes {}-{}/{size}", self.start, self.end)
    }
}

/// The range to serve for a `Range` header: `None` for the whole file, 416 when no byte of
/// the file is asked for or the header is malformed.
pub fn requested_range(header: Option<&str>, size: u64) -> Result<Option<ByteRange>, ApiError> {
    let Some(header) = header.map(str::trim).filter(|header| !header.is_empty()) else {
        return Ok(None);
    };
    let unsatisfiable = || ApiError::RangeNotSatisfiable { size };
    if size == 0 {
        return Err(unsatisfiable());
    }
    let ranges = parse_range_header(header)
        .and_then(|parsed| parsed.validate(size))
        .map_err(|_| unsatisfiable())?;
    match ranges.as_slice() {
        [range] => Ok(Some(ByteRange {
            start: *range.start(),
            end: *range.end(),
        })),
        _ => Ok(None),
    }
}

/// Whether an `If-None-Match` header names `etag` (quoted, as sent in `ETag`): `*`, a list,
/// and weak validators all count, as the weak comparison of RFC 9110 says.
pub fn etag_matches(if_none_match: Option<&str>, etag: &str) -> bool {
    let Some(header) = if_none_match else {
        return false;
    };
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    let ours = bare(etag);
    header
        .split(',')
        .any(|candidate| candidate.trim() == "*" || bare(candidate) == ours)
}

/// RFC 8187 `attr-char`: everything else in `filename*` is percent-encoded.
const ATTR_CHAR_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// Whether a served file is shown by the browser or saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Inline,
    Attachment,
}

/// The `Content-Disposition` value for a file named `stem` + `.extension` (RFC 6266): an ASCII
/// `filename="…"` for old clients and `filename*=UTF-8''…` with the real name, so any title
/// (Chinese, accents, quotes) is a valid header value and downloads under its own name.
/// Path separators and control characters never reach either form.
pub fn content_disposition(disposition: Disposition, stem: &str, extension: &str) -> String {
    let kind = match disposition {
        Disposition::Inline => "inline",
        Disposition::Attachment => "attachment",
    };
    let clean: String = stem
        .chars()
        .map(|c| match c {
            '/' | '\\' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let clean = clean.trim();
    let stem = if clean.is_empty() { "download" } else { clean };
    let fallback: String = stem
        .chars()
        .map(|c| match c {
            '"' | '%' => '_',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => '_',
        })
        .collect();
    let fallback = if fallback.chars().any(|c| c.is_ascii_alphanumeric()) {
        fallback
    } else {
        "download".to_string()
    };
    let full = format!("{stem}.{extension}");
    format!(
        "{kind}; filename=\"{fallback}.{extension}\"; filename*=UTF-8''{}",
        utf8_percent_encode(&full, ATTR_CHAR_ESCAPES)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges_are_served_and_clamped() {
        let range = |header| requested_range(Some(header), 100).unwrap().unwrap();
        assert_eq!(range("bytes=0-9"), ByteRange { start: 0, end: 9 });
        assert_eq!(range("bytes=90-"), ByteRange { start: 90, end: 99 });
        assert_eq!(range("bytes=-10"), ByteRange { start: 90, end: 99 });
        assert_eq!(range("bytes=95-500"), ByteRange { start: 95, end: 99 });
        assert_eq!(range("bytes=0-9").byte_count(), 10);
        assert_eq!(range("bytes=0-9").content_range(100), "bytes 0-9/100");
    }

    #[test]
    fn no_range_or_several_ranges_mean_the_whole_file() {
        assert_eq!(requested_range(None, 100).unwrap(), None);
        assert_eq!(requested_range(Some(" "), 100).unwrap(), None);
        assert_eq!(
            requested_range(Some("bytes=0-9, 20-29"), 100).unwrap(),
            None
        );
    }

    #[test]
    fn unsatisfiable_or_malformed_ranges_are_416() {
        for header in [
            "bytes=100-",
            "bytes=200-300",
            "bytes=9-0",
            "items=0-9",
            "bytes=abc",
            "bytes=-200",
            "bytes=0-9, 5-15",
        ] {
            let err = requested_range(Some(header), 100).unwrap_err();
            assert_eq!(err.status(), 416, "{header}");
            assert_eq!(err.headers(), vec![("Content-Range", "bytes */100".into())]);
        }
        assert_eq!(
            requested_range(Some("bytes=0-0"), 0).unwrap_err().status(),
            416
        );
    }

    #[test]
    fn etags_match_weakly_in_lists_and_star() {
        let etag = "\"abc\"";
        assert!(etag_matches(Some("\"abc\""), etag));
        assert!(etag_matches(Some("W/\"abc\""), etag));
        assert!(etag_matches(Some("\"x\", \"abc\""), etag));
        assert!(etag_matches(Some("*"), etag));
        assert!(!etag_matches(Some("\"abd\""), etag));
        assert!(!etag_matches(None, etag));
    }

    #[test]
    fn content_disposition_carries_any_title() {
        let value = content_disposition(Disposition::Inline, "月光 Clair de lune — Étude", "pdf");
        let (fallback, star) = value.split_once("; filename*=UTF-8''").unwrap();
        assert_eq!(
            fallback,
            "inline; filename=\"__ Clair de lune _ _tude.pdf\""
        );
        let decoded = percent_encoding::percent_decode_str(star)
            .decode_utf8()
            .unwrap();
        assert_eq!(decoded, "月光 Clair de lune — Étude.pdf");
        assert!(star.bytes().all(|b| b.is_ascii_graphic()));
    }

    #[test]
    fn content_disposition_neutralises_quotes_paths_and_empty_names() {
        let value = content_disposition(Disposition::Attachment, "a\"b/../c\r\n", "csv");
        assert!(value.starts_with("attachment; filename=\"a_b_.._c.csv\"; filename*=UTF-8''"));
        assert!(!value.contains('\r') && !value.contains('\n'));
        assert!(value.ends_with("a%22b_.._c.csv"));
        let value = content_disposition(Disposition::Inline, "巴赫", "pdf");
        assert!(value.starts_with("inline; filename=\"download.pdf\";"));
        let value = content_disposition(Disposition::Inline, "  ", "pdf");
        assert!(value.ends_with("filename*=UTF-8''download.pdf"));
    }
}
