//! Conditional and partial downloads: `If-None-Match` against an ETag, and one `Range:
//! bytes=…` span (multi-range requests are answered with the whole file, which HTTP allows).

/// What to send for a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// 200 with the whole body.
    Whole,
    /// 206 with bytes `start..=end`.
    Partial { start: u64, end: u64 },
    /// 416: the range lies outside the file.
    Unsatisfiable,
}

/// Interprets a `Range` header for a file of `size` bytes.
pub fn span(range: Option<&str>, size: u64) -> Span {
    let Some(spec) = range.and_then(|value| value.trim().strip_prefix("bytes=")) else {
        return Span::Whole;
    };
    if spec.contains(',') {
        return Span::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Span::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let parsed = match (first.is_empty(), last.is_empty()) {
        (true, true) => return Span::Whole,
        (true, false) => match last.parse::<u64>() {
            Ok(0) => return Span::Unsatisfiable,
            Ok(suffix) => Some((size.saturating_sub(suffix), size.saturating_sub(1))),
            Err(_) => None,
        },
        (false, _) => match (first.parse::<u64>(), last.parse::<u64>()) {
            (Ok(start), _) if last.is_empty() => Some((start, size.saturating_sub(1))),
            (Ok(start), Ok(end)) if end >= start => Some((start, end.min(size.saturating_sub(1)))),
            _ => None,
        },
    };
    match parsed {
        // A malformed header is ignored, as RFC 9110 says.
        None => Span::Whole,
        Some((start, _)) if start >= size => Span::Unsatisfiable,
        Some((start, end)) => Span::Partial { start, end },
    }
}

/// Whether an `If-None-Match` header matches the ETag (weak comparison, `*`, lists).
pub fn not_modified(if_none_match: Option<&str>, etag: &str) -> bool {
    let bare = |tag: &str| {
        tag.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string()
    };
    let etag = bare(etag);
    if_none_match.is_some_and(|header| {
        header
            .split(',')
            .any(|candidate| candidate.trim() == "*" || bare(candidate) == etag)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_byte_ranges() {
        assert_eq!(span(None, 100), Span::Whole);
        assert_eq!(
            span(Some("bytes=0-9"), 100),
            Span::Partial { start: 0, end: 9 }
        );
        assert_eq!(
            span(Some("bytes=90-"), 100),
            Span::Partial { start: 90, end: 99 }
        );
        assert_eq!(
            span(Some("bytes=-10"), 100),
            Span::Partial { start: 90, end: 99 }
        );
        assert_eq!(
            span(Some("bytes=-500"), 100),
            Span::Partial { start: 0, end: 99 }
        );
        assert_eq!(
            span(Some("bytes=50-500"), 100),
            Span::Partial { start: 50, end: 99 }
        );
        assert_eq!(span(Some("bytes=100-"), 100), Span::Unsatisfiable);
        assert_eq!(span(Some("bytes=-0"), 100), Span::Unsatisfiable);
        assert_eq!(span(Some("bytes=9-1"), 100), Span::Whole);
        assert_eq!(span(Some("bytes=0-1,5-6"), 100), Span::Whole);
        assert_eq!(span(Some("items=0-1"), 100), Span::Whole);
        assert_eq!(span(Some("bytes=x-"), 100), Span::Whole);
    }

    #[test]
    fn matches_etags() {
        assert!(not_modified(Some("\"abc\""), "\"abc\""));
        assert!(not_modified(Some("W/\"abc\", \"def\""), "abc"));
        assert!(not_modified(Some("*"), "\"abc\""));
        assert!(!not_modified(Some("\"abd\""), "\"abc\""));
        assert!(!not_modified(None, "\"abc\""));
    }

    proptest! {
        #[test]
        fn partial_spans_lie_inside_the_file(header in "bytes=[0-9]{0,4}-[0-9]{0,4}", size in 1u64..10_000) {
            if let Span::Partial { start, end } = span(Some(&header), size) {
                prop_assert!(start <= end && end < size);
            }
        }
    }
}
