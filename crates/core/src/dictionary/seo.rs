//! The public pages of the dictionary: one server-rendered HTML page per term and language,
//! the page for a term not found, the sitemaps, and the CSV export rows.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::{Entry, Lang};

/// `/dictionary/<lang>/<term>` with the term percent-encoded.
pub fn page_path(lang: Lang, normalized_term: &str) -> String {
    format!(
        "/dictionary/{}/{}",
        lang.code(),
        utf8_percent_encode(normalized_term, NON_ALPHANUMERIC)
    )
}

fn layout(lang: Lang, title: &str, description: &str, head: Markup, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                meta name="description" content=(description);
                (head)
            }
            body { main { (body) } }
        }
    }
    .into_string()
}

/// The name to show for an entry in `lang`: its translation when there is one.
pub fn display_name(entry: &Entry, lang: Lang) -> &str {
    entry
        .definition
        .translations
        .get(&lang)
        .filter(|_| lang != entry.lang)
        .map_or(entry.term.as_str(), String::as_str)
}

/// The page of one entry, in `lang` (names translated; definitions in the entry's language,
/// marked as such).
pub fn term_page(entry: &Entry, lang: Lang, base_url: &str, related: &[String]) -> String {
    let base = base_url.trim_end_matches('/');
    let name = display_name(entry, lang);
    let canonical = format!("{base}{}", page_path(lang, &entry.normalized_term));
    let structured = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "DefinedTerm",
        "name": name,
        "alternateName": entry.term,
        "description": entry.definition.concise,
        "inDefinedTermSet": format!("{base}/dictionary"),
        "url": canonical,
    })
    .to_string()
    // Markup inside the JSON could end the script element it sits in.
    .replace('<', "\\u003c");
    let head = html! {
        link rel="canonical" href=(canonical);
        @for alternate in Lang::ALL {
            link rel="alternate" hreflang=(alternate.code())
                href=(format!("{base}{}", page_path(alternate, &entry.normalized_term)));
        }
        script type="application/ld+json" { (PreEscaped(structured)) }
    };
    let body = html! {
        article {
            h1 { (name) }
            @if name != entry.term { p class="original-term" lang=(entry.lang.code()) { (entry.term) } }
            p class="term-type" { (entry.kind.as_str()) }
            section lang=(entry.lang.code()) {
                p class="concise" { (entry.definition.concise) }
                @if let Some(detailed) = &entry.definition.detailed { p class="detailed" { (detailed) } }
                @if let Some(etymology) = &entry.definition.etymology { p class="etymology" { "Etymology: " (etymology) } }
            }
            @if !entry.definition.translations.is_empty() {
                section class="translations" {
                    h2 { "Translations" }
                    ul {
                        @for (other, translated) in &entry.definition.translations {
                            li lang=(other.code()) { (other.code()) ": " (translated) }
                        }
                    }
                }
            }
            @if !related.is_empty() {
                section class="related" {
                    h2 { "Related terms" }
                    ul {
                        @for term in related {
                            li { a href=(page_path(lang, term)) { (term) } }
                        }
                    }
                }
            }
        }
    };
    layout(
        lang,
        &format!("{name} — Mirubato music dictionary"),
        &entry.definition.concise,
        head,
        body,
    )
}

/// The page for a term the dictionary does not have, with what the visitor may have meant.
pub fn not_found_page(term: &str, lang: Lang, suggestions: &[String]) -> String {
    let body = html! {
        h1 { "Term not found: " (term) }
        @if !suggestions.is_empty() {
            p { "Did you mean:" }
            ul {
                @for suggestion in suggestions {
                    li { a href=(page_path(lang, suggestion)) { (suggestion) } }
                }
            }
        }
    };
    layout(
        lang,
        &format!("{term} — not in the Mirubato music dictionary"),
        "This term is not in the dictionary.",
        html! { meta name="robots" content="noindex"; },
        body,
    )
}

/// The languages a sitemap file covers: `sitemap.xml` every language, `sitemap-<lang>.xml`
/// one (its canonical code only, so each sitemap has one address); anything else none.
pub fn sitemap_langs(file: &str) -> Option<Vec<Lang>> {
    if file == "sitemap.xml" {
        return Some(Lang::ALL.to_vec());
    }
    let code = file.strip_prefix("sitemap-")?.strip_suffix(".xml")?;
    Lang::from_tag(code)
        .filter(|lang| lang.code() == code)
        .map(|lang| vec![lang])
}

/// A sitemap of every term page in `langs`; `terms` are (normalised term, last change).
pub fn sitemap(base_url: &str, langs: &[Lang], terms: &[(String, String)]) -> String {
    let base = base_url.trim_end_matches('/');
    let urls = html! {
        urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" {
            @for lang in langs {
                @for (term, updated_at) in terms {
                    url {
                        loc { (base) (page_path(*lang, term)) }
                        lastmod { (updated_at.get(..10).unwrap_or(updated_at)) }
                    }
                }
            }
        }
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        urls.into_string()
    )
}

/// Entries as CSV (header first), for the export.
pub fn csv_rows(entries: &[Entry], with_header: bool) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    if with_header {
        writer.write_record([
            "id",
            "term",
            "lang",
            "type",
            "concise",
            "detailed",
            "etymology",
            "es",
            "fr",
            "de",
            "zh-CN",
            "zh-TW",
            "overall_score",
            "updated_at",
        ])?;
    }
    for entry in entries {
        let name = |lang: Lang| {
            entry
                .definition
                .translations
                .get(&lang)
                .cloned()
                .unwrap_or_default()
        };
        writer.write_record([
            entry.id.clone(),
            entry.term.clone(),
            entry.lang.code().to_string(),
            entry.kind.as_str().to_string(),
            entry.definition.concise.clone(),
            entry.definition.detailed.clone().unwrap_or_default(),
            entry.definition.etymology.clone().unwrap_or_default(),
            name(Lang::Es),
            name(Lang::Fr),
            name(Lang::De),
            name(Lang::ZhCn),
            name(Lang::ZhTw),
            entry.quality_score.overall.to_string(),
            entry.updated_at.clone(),
        ])?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|err| csv::Error::from(err.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::dictionary::entry::QualityScore;
    use crate::dictionary::{Definition, TermType};
    use serde_json::json;

    #[test]
    fn sitemap_files_name_their_languages() {
        assert_eq!(sitemap_langs("sitemap.xml"), Some(Lang::ALL.to_vec()));
        assert_eq!(sitemap_langs("sitemap-fr.xml"), Some(vec![Lang::Fr]));
        assert_eq!(sitemap_langs("sitemap-zh-TW.xml"), Some(vec![Lang::ZhTw]));
        for file in [
            "sitemap-zh-tw.xml",
            "sitemap-xx.xml",
            "sitemap-.xml",
            "sitemap-fr",
            "sitemap.txt",
            "allegro",
        ] {
            assert_eq!(sitemap_langs(file), None, "{file}");
        }
    }

    fn entry(concise: &str) -> Entry {
        let definition = Definition {
            concise: concise.into(),
            detailed: Some("Longer text.".into()),
            etymology: None,
            pronunciation: None,
            usage_example: None,
            translations: BTreeMap::from([
                (Lang::De, "Schnell, \"lebhaft\"".into()),
                (Lang::ZhCn, "快板".into()),
            ]),
        };
        Entry {
            id: "dict_1".into(),
            term: "Allegro".into(),
            normalized_term: "allegro".into(),
            lang: Lang::En,
            source_lang: Some("it".into()),
            lang_confidence: 1.0,
            kind: TermType::Tempo,
            quality_score: QualityScore::compute(&definition, &json!({}), false),
            definition,
            references: json!({}),
            metadata: json!({}),
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-02-03T04:05:06Z".into(),
            version: 1,
        }
    }

    #[test]
    fn pages_show_the_name_in_the_page_language_and_escape_text() {
        let page = term_page(
            &entry("Fast <script>alert(1)</script>"),
            Lang::ZhCn,
            "https://d.example/",
            &["presto".into()],
        );
        assert!(page.starts_with("<!DOCTYPE html><html lang=\"zh-CN\">"));
        assert!(page.contains("<h1>快板</h1>"));
        assert!(page.contains("&lt;script&gt;"));
        assert!(!page.contains("<script>alert"));
        assert!(
            page.contains("\\u003c/script>"),
            "JSON-LD must not close its script"
        );
        assert!(page.contains("href=\"https://d.example/dictionary/zh-CN/allegro\""));
        assert!(page.contains("hreflang=\"zh-TW\""));
        assert!(page.contains("href=\"/dictionary/zh-CN/presto\""));
    }

    #[test]
    fn paths_encode_the_term() {
        assert_eq!(page_path(Lang::En, "da capo"), "/dictionary/en/da%20capo");
        assert_eq!(page_path(Lang::De, "a/b"), "/dictionary/de/a%2Fb");
    }

    #[test]
    fn not_found_pages_offer_suggestions_and_are_not_indexed() {
        let page = not_found_page("alegro<", Lang::En, &["allegro".into()]);
        assert!(page.contains("alegro&lt;"));
        assert!(page.contains("/dictionary/en/allegro"));
        assert!(page.contains("noindex"));
    }

    #[test]
    fn sitemaps_list_every_language_of_every_term() {
        let xml = sitemap(
            "https://d.example",
            &[Lang::En, Lang::Fr],
            &[("da capo".into(), "2026-02-03T04:05:06Z".into())],
        );
        assert!(xml.starts_with("<?xml"));
        assert!(xml.contains("<loc>https://d.example/dictionary/en/da%20capo</loc>"));
        assert!(xml.contains("<loc>https://d.example/dictionary/fr/da%20capo</loc>"));
        assert!(xml.contains("<lastmod>2026-02-03</lastmod>"));
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let csv = csv_rows(&[entry("Fast, lively")], true).unwrap();
        let mut lines = csv.lines();
        assert!(lines.next().unwrap().starts_with("id,term,lang,type"));
        let row = lines.next().unwrap();
        assert!(row.contains("\"Fast, lively\""));
        assert!(row.contains("\"Schnell, \"\"lebhaft\"\"\""));
    }
}
