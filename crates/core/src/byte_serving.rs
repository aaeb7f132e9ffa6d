//! Serving stored files (recordings, PDFs): `If-None-Match` → 304 and `Range` → 206, so
//! players can seek and clients re-validate without downloading again.
//!
//! One byte range is served as asked; a request for several ranges gets the whole file, which
//! RFC 9110 allows and every player handles.

use http_range_header::parse_range_header;

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
}
