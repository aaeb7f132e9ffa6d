//! Which title a score gets. Candidates, best first: the title the user typed, then good
//! embedded metadata (what Workers AI names from it, then the PDF's own XMP or info title),
//! then the first line of page 1, then the file name. A candidate that looks broken (a
//! replacement character, mojibake, control characters) or generic (a file name, "untitled",
//! "Microsoft Word - …") is skipped, so a worse candidate never replaces a better one: a
//! garbled embedded title loses even to the file name.

/// Where a chosen title came from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TitleSource {
    User,
    Suggested,
    Embedded,
    FirstPage,
    FileName,
}

/// Everything a score's title can come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TitleCandidates {
    /// What the user typed at import (always wins).
    pub user: Option<String>,
    /// What Workers AI named, where it is configured.
    pub suggested: Option<String>,
    /// The PDF's XMP `dc:title`, else its info `/Title`.
    pub embedded: Option<String>,
    /// Page 1's first line.
    pub first_page: Option<String>,
    /// The title made from the file name at import.
    pub file_name: String,
}

/// The chosen title and where it came from. The file name is the floor: it is used when no
/// better candidate is good, however it looks.
pub fn choose_title(candidates: &TitleCandidates) -> (String, TitleSource) {
    if let Some(user) = candidates
        .user
        .as_deref()
        .map(str::trim)
        .filter(|title| !title.is_empty())
    {
        return (user.to_string(), TitleSource::User);
    }
    let ranked = [
        (&candidates.suggested, TitleSource::Suggested),
        (&candidates.embedded, TitleSource::Embedded),
        (&candidates.first_page, TitleSource::FirstPage),
    ];
    ranked
        .into_iter()
        .find_map(|(candidate, source)| {
            candidate
                .as_deref()
                .map(str::trim)
                .filter(|title| is_good_title(title))
                .map(|title| (title.to_string(), source))
        })
        .unwrap_or_else(|| (candidates.file_name.clone(), TitleSource::FileName))
}

/// The composer: what Workers AI named, else the PDF's author when it is a good name and the
/// score has none yet (`"Unknown"`), else what the score has.
pub fn choose_composer(suggested: Option<&str>, embedded: Option<&str>, current: &str) -> String {
    let good = |name: &&str| is_good_title(name);
    if let Some(name) = suggested.map(str::trim).filter(good) {
        return name.to_string();
    }
    match embedded.map(str::trim).filter(good) {
        Some(name) if current == "Unknown" || current.trim().is_empty() => name.to_string(),
        _ => current.to_string(),
    }
}

/// Whether an embedded or extracted title is worth showing rather than the file name.
pub fn is_good_title(title: &str) -> bool {
    let title = title.trim();
    let length = title.chars().count();
    if !(2..=200).contains(&length) || !title.chars().any(char::is_alphabetic) {
        return false;
    }
    if title.contains('\u{FFFD}') || title.chars().any(|ch| ch.is_control()) {
        return false;
    }
    !looks_like_mojibake(title) && !looks_generic(title)
}

/// UTF-8 read as Latin-1 or Windows-1252 ("Ã©" for "é", "â€™" for "’"): the characters map
/// back to single bytes that form valid multi-byte UTF-8.
pub fn looks_like_mojibake(text: &str) -> bool {
    let Some(bytes) = text.chars().map(single_byte).collect::<Option<Vec<u8>>>() else {
        // A character no single-byte code page has (CJK, Cyrillic…): written as real Unicode.
        return marker_pairs(text);
    };
    match std::str::from_utf8(&bytes) {
        Ok(decoded) => decoded.chars().count() < text.chars().count(),
        Err(_) => marker_pairs(text),
    }
}

/// The tell-tale pairs of mojibake inside otherwise fine text: a lead byte of UTF-8 read as
/// Latin-1 (Â, Ã, â, Ð…) followed by what was a continuation byte.
fn marker_pairs(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(2).any(|pair| {
        let lead = matches!(
            pair[0],
            'Â' | 'Ã' | 'Ä' | 'Å' | 'Ð' | 'Ñ' | 'â' | 'ã' | 'ä' | 'å'
        );
        let continuation = single_byte(pair[1]).is_some_and(|byte| (0x80..=0xBF).contains(&byte));
        lead && continuation
    })
}

/// The Windows-1252 byte of a character (Latin-1 plus the 0x80–0x9F punctuation), if any.
fn single_byte(ch: char) -> Option<u8> {
    const CP1252_HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match u32::from(ch) {
        code @ 0..=0x7F | code @ 0xA0..=0xFF => u8::try_from(code).ok(),
        _ => CP1252_HIGH
            .iter()
            .position(|&high| high == ch)
            .and_then(|index| u8::try_from(0x80 + index).ok()),
    }
}

/// A title that says nothing about the piece: a file name, a word processor's caption, a
/// scanner's default, "untitled".
fn looks_generic(title: &str) -> bool {
    let lower = title.to_lowercase();
    const EXTENSIONS: [&str; 16] = [
        ".pdf", ".doc", ".docx", ".rtf", ".odt", ".tex", ".dvi", ".ps", ".mus", ".musx", ".sib",
        ".mscz", ".mscx", ".ly", ".xml", ".indd",
    ];
    const PREFIXES: [&str; 3] = ["microsoft word - ", "microsoft powerpoint - ", "untitled "];
    const GENERIC: [&str; 9] = [
        "title",
        "untitled",
        "document",
        "scan",
        "score",
        "sheet music",
        "pdf",
        "image",
        "print",
    ];
    // "scan0001", "IMG_2041", "Document1", "Untitled-1": a word, then only a number.
    let scanner_default = lower
        .trim_start_matches(|ch: char| ch.is_alphabetic() || ch == '_' || ch == '-')
        .chars()
        .all(|ch| ch.is_ascii_digit() || ch == '_' || ch == '-')
        && lower.chars().any(|ch| ch.is_ascii_digit())
        && !lower.contains(' ');
    EXTENSIONS
        .iter()
        .any(|extension| lower.ends_with(extension))
        || PREFIXES.iter().any(|prefix| lower.starts_with(prefix))
        || GENERIC.contains(&lower.as_str())
        || scanner_default
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates() -> TitleCandidates {
        TitleCandidates {
            user: None,
            suggested: None,
            embedded: None,
            first_page: None,
            file_name: "etude op10 no3".into(),
        }
    }

    #[test]
    fn the_users_title_always_wins() {
        let chosen = choose_title(&TitleCandidates {
            user: Some(" My recital copy ".into()),
            suggested: Some("Étude Op. 10 No. 3".into()),
            embedded: Some("Étude Op. 10 No. 3".into()),
            ..candidates()
        });
        assert_eq!(chosen, ("My recital copy".into(), TitleSource::User));
        let blank = choose_title(&TitleCandidates {
            user: Some("  ".into()),
            ..candidates()
        });
        assert_eq!(blank.1, TitleSource::FileName);
    }

    #[test]
    fn candidates_rank_suggested_then_embedded_then_first_page_then_file_name() {
        let all = TitleCandidates {
            suggested: Some("Etude in E major".into()),
            embedded: Some("Étude Op. 10 No. 3".into()),
            first_page: Some("Tristesse".into()),
            ..candidates()
        };
        assert_eq!(choose_title(&all).1, TitleSource::Suggested);
        let no_model = TitleCandidates {
            suggested: None,
            ..all.clone()
        };
        assert_eq!(
            choose_title(&no_model),
            ("Étude Op. 10 No. 3".into(), TitleSource::Embedded)
        );
        let text_only = TitleCandidates {
            embedded: None,
            ..no_model
        };
        assert_eq!(
            choose_title(&text_only),
            ("Tristesse".into(), TitleSource::FirstPage)
        );
        assert_eq!(
            choose_title(&candidates()),
            ("etude op10 no3".into(), TitleSource::FileName)
        );
    }

    #[test]
    fn a_garbled_title_is_worse_than_the_file_name() {
        for garbled in [
            "Ã‰tude Op. 10 No. 3",
            "Clair de lune â€“ Debussy",
            "FrÃ©dÃ©ric Chopin Nocturne",
            "Ave Maria Â« Schubert Â»",
            "Gymnop\u{FFFD}die",
            "Title\u{1}with control",
        ] {
            assert!(!is_good_title(garbled), "{garbled}");
            let chosen = choose_title(&TitleCandidates {
                embedded: Some(garbled.into()),
                ..candidates()
            });
            assert_eq!(chosen.1, TitleSource::FileName, "{garbled}");
        }
    }

    #[test]
    fn generic_titles_lose_to_better_candidates() {
        for generic in [
            "Microsoft Word - recital.docx",
            "untitled",
            "Untitled-1",
            "Document1",
            "scan0001",
            "IMG_2041",
            "nocturne.mscz",
            "Sibelius - Score.sib",
            "12345",
            "x",
            "Untitled document",
        ] {
            assert!(!is_good_title(generic), "{generic}");
        }
        let chosen = choose_title(&TitleCandidates {
            embedded: Some("Microsoft Word - recital.docx".into()),
            first_page: Some("Sarabande in D minor".into()),
            ..candidates()
        });
        assert_eq!(
            chosen,
            ("Sarabande in D minor".into(), TitleSource::FirstPage)
        );
    }

    #[test]
    fn the_composer_comes_from_the_model_then_a_good_author_then_what_is_there() {
        assert_eq!(
            choose_composer(Some("Frédéric Chopin"), Some("Chopin"), "Unknown"),
            "Frédéric Chopin"
        );
        assert_eq!(
            choose_composer(None, Some(" Erik Satie "), "Unknown"),
            "Erik Satie"
        );
        assert_eq!(
            choose_composer(None, Some("Erik Satie"), "Satie (typed)"),
            "Satie (typed)"
        );
        assert_eq!(
            choose_composer(None, Some("FrÃ©dÃ©ric"), "Unknown"),
            "Unknown"
        );
        assert_eq!(choose_composer(Some("N"), None, "Unknown"), "Unknown");
    }

    #[test]
    fn real_titles_in_any_script_are_good() {
        for good in [
            "Für Elise – Bagatelle",
            "Gymnopédie No. 1",
            "Clair de lune — Suite bergamasque, L. 75",
            "Ästhetik der Tonkunst",
            "Jesu, Joy of Man’s Desiring",
            "Nocturne Op. 9 No. 2",
            "月光 (Moonlight Sonata)",
            "Времена года, Op. 37a",
            "BWV 846",
            "Ÿ-Suite",
            "Scandinavian Dances",
            "Documentary Suite No. 2",
        ] {
            assert!(is_good_title(good), "{good}");
        }
    }
}
