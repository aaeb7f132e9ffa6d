//! Score ids: the key that ties logbook pieces, repertoire items and goals to one piece of music.
//!
//! Port of the original `generateNormalizedScoreId` / `normalizeExistingScoreId`
//! (`packages/utils/src/scoreIdNormalizer.ts`). Devices generate ids from free-typed titles and
//! composers, so the same piece must always produce the same id whatever the capitalisation,
//! spacing, quote or dash style the user typed.
//!
//! An id is `<title>-<composer>`, or `<title>||<composer>` when either part itself contains `-`
//! (the plain form is kept for backward compatibility with ids already stored).

/// Typographic single quotes (and the prime) that become `'`.
const SINGLE_QUOTES: [char; 5] = ['\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}', '\u{2032}'];
/// Typographic double quotes (and the double prime) that become `"`.
const DOUBLE_QUOTES: [char; 5] = ['\u{201C}', '\u{201D}', '\u{201E}', '\u{201F}', '\u{2033}'];
/// En, em, figure, horizontal-bar dashes and the minus sign, which become `-`.
const DASHES: [char; 5] = ['\u{2013}', '\u{2014}', '\u{2012}', '\u{2015}', '\u{2212}'];

/// Delimiter of legacy ids, used while neither part contains a dash.
const PLAIN_DELIMITER: &str = "-";
/// Delimiter used when a part contains a dash, so the id still splits unambiguously.
const SAFE_DELIMITER: &str = "||";
/// Composer of a piece whose composer is not known.
const UNKNOWN_COMPOSER: &str = "unknown";

/// The normalised id of a piece: `<title>-<composer>` or `<title>||<composer>`.
///
/// A missing or blank composer becomes `unknown`, so a piece typed without composer still has a
/// two-part id that [`normalize_existing_score_id`] maps to itself.
pub fn generate_score_id(title: &str, composer: Option<&str>) -> String {
    let title = normalize_text(title, false);
    let composer = normalize_text(composer.unwrap_or_default(), true);
    let composer = if composer.is_empty() {
        UNKNOWN_COMPOSER.to_owned()
    } else {
        composer
    };
    let delimiter = if title.contains('-') || composer.contains('-') {
        SAFE_DELIMITER
    } else {
        PLAIN_DELIMITER
    };
    format!("{title}{delimiter}{composer}")
}

/// Re-normalises an id that a client already holds (possibly from an older app version).
///
/// Canonical catalogue ids (`score_[a-z0-9_-]+`) are returned untouched. Otherwise the id is split
/// on its first `||` when it has one, else on its **last** `-`: legacy ids only used `-` when the
/// composer had none, while titles often contain dashes ("Sonatina Op. 36 - Movement 1-clementi"),
/// so the last dash is the likeliest delimiter. Dash look-alikes are not delimiters. An id without
/// any delimiter is a bare title with an `unknown` composer. Both parts are then normalised as in
/// [`generate_score_id`], so the result is idempotent: normalising it again changes nothing.
pub fn normalize_existing_score_id(id: &str) -> String {
    if is_canonical(id) {
        return id.to_owned();
    }
    let (title, composer) = match id.split_once(SAFE_DELIMITER) {
        Some((title, composer)) => (title, Some(composer)),
        None => match id.rsplit_once(PLAIN_DELIMITER) {
            Some((title, composer)) => (title, Some(composer)),
            None => (id, None),
        },
    };
    generate_score_id(title, composer)
}

/// Whether `id` is a canonical catalogue id, `^score_[a-z0-9_-]+$`.
fn is_canonical(id: &str) -> bool {
    id.strip_prefix("score_").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    })
}

/// Lowercases, unifies quotes and dashes, collapses whitespace and trims one id part; composers
/// also lose their periods (`J.S. Bach` → `js bach`).
///
/// Beyond the original, runs of `|` collapse to one and a part never starts or ends with `|`: a
/// part containing (or touching) `||` would make the id split in the wrong place next time.
fn normalize_text(text: &str, is_composer: bool) -> String {
    let mut mapped = String::with_capacity(text.len());
    for c in text.to_lowercase().chars() {
        let c = if SINGLE_QUOTES.contains(&c) {
            '\''
        } else if DOUBLE_QUOTES.contains(&c) {
            '"'
        } else if DASHES.contains(&c) {
            '-'
        } else {
            c
        };
        let repeated_bar = c == '|' && mapped.ends_with('|');
        if !(repeated_bar || is_composer && c == '.') {
            mapped.push(c);
        }
    }
    mapped
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| c.is_whitespace() || c == '|')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generates_ids_like_the_original() {
        let cases = [
            ("Clair de Lune", Some("Debussy"), "clair de lune-debussy"),
            ("Prelude in C", Some("J.S. Bach"), "prelude in c-js bach"),
            ("Sonata Op. 1", Some("Beethoven"), "sonata op. 1-beethoven"),
            (
                "  Moonlight   Sonata ",
                Some(" Beethoven  "),
                "moonlight sonata-beethoven",
            ),
            (
                "Sonatina Op. 36 No. 1 - Movement 1",
                Some("Clementi"),
                "sonatina op. 36 no. 1 - movement 1||clementi",
            ),
            (
                "Symphony No. 5",
                Some("Saint-Saëns"),
                "symphony no. 5||saint-saëns",
            ),
            (
                "Opus 36 \u{2013} Movement 1",
                Some("Beethoven"),
                "opus 36 - movement 1||beethoven",
            ),
            (
                "Debussy\u{2019}s \u{201C}R\u{00EA}verie\u{201D}",
                Some("Claude Debussy"),
                "debussy's \"rêverie\"-claude debussy",
            ),
            ("Etude No. 1", None, "etude no. 1-unknown"),
            ("Etude No. 1", Some("   "), "etude no. 1-unknown"),
            ("Etude", Some("..."), "etude-unknown"),
        ];
        for (title, composer, expected) in cases {
            assert_eq!(
                generate_score_id(title, composer),
                expected,
                "{title:?} / {composer:?}"
            );
        }
    }

    #[test]
    fn normalizes_existing_ids() {
        let cases = [
            ("score_abc-123_x", "score_abc-123_x"),
            ("Score_ABC", "score_abc-unknown"),
            ("score_", "score_-unknown"),
            ("sonata-beethoven", "sonata-beethoven"),
            ("Sonata-Beethoven", "sonata-beethoven"),
            (
                "sonata - movement 1||beethoven",
                "sonata - movement 1||beethoven",
            ),
            // Legacy id whose title has dashes: the last dash is the delimiter.
            (
                "sonata op. 1 - movement 1-beethoven",
                "sonata op. 1 - movement 1||beethoven",
            ),
            ("Prelude in C-J.S. Bach", "prelude in c-js bach"),
            ("just a piece title", "just a piece title-unknown"),
            ("symphony no. 5||Saint-Saëns", "symphony no. 5||saint-saëns"),
            ("a||", "a-unknown"),
            // The first `||` splits; the `|` left on the composer is trimmed.
            ("a|||b", "a-b"),
            ("", "-unknown"),
        ];
        for (id, expected) in cases {
            assert_eq!(normalize_existing_score_id(id), expected, "{id:?}");
        }
    }

    #[test]
    fn generated_ids_are_already_normal() {
        for (title, composer) in [
            ("Clair de Lune", Some("Debussy")),
            ("A - B", Some("C.D.")),
            ("x||y", Some("|z|")),
        ] {
            let id = generate_score_id(title, composer);
            assert_eq!(normalize_existing_score_id(&id), id);
        }
    }

    /// Text rich in the characters the normaliser treats specially.
    fn tricky_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-cA-C .|_\\-'\"\u{2013}\u{2014}\u{2212}\u{2018}\u{201C}\u{2032}\t\u{00A0}İΣ]{0,24}",
            any::<String>(),
        ]
    }

    proptest! {
        #[test]
        fn normalization_is_idempotent(id in tricky_text()) {
            let once = normalize_existing_score_id(&id);
            prop_assert_eq!(normalize_existing_score_id(&once), once);
        }

        #[test]
        fn generated_ids_are_fixed_points(title in tricky_text(), composer in proptest::option::of(tricky_text())) {
            let id = generate_score_id(&title, composer.as_deref());
            prop_assert_eq!(normalize_existing_score_id(&id), id);
        }
    }
}
