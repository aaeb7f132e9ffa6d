//! IMSLP imports: which links are IMSLP's, and how a work page leads to its PDF files. The
//! worker fetches the page; this module reads it (tested on sample HTML, since tests cannot
//! reach imslp.org).

use url::Url;

use crate::ApiError;
use crate::scores::import::{remote_url, title_from_name};

/// What an IMSLP link points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImslpLink {
    /// A work page (`/wiki/<Work>`), whose PDF links must be read from it.
    Page(Url),
    /// A file: a `.pdf` path, or IMSLP's file-index and disclaimer redirects to one.
    Pdf(Url),
}

impl ImslpLink {
    pub fn url(&self) -> &Url {
        match self {
            Self::Page(url) | Self::Pdf(url) => url,
        }
    }
}

/// Whether a host is IMSLP's (`imslp.org` and its subdomains).
fn is_imslp_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "imslp.org" || host.ends_with(".imslp.org")
}

fn is_file_link(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    path.ends_with(".pdf")
        || path.contains("special:imagefromindex")
        || path.contains("special:imslpdisclaimeraccept")
}

/// Where IMSLP lives: `https://imslp.org` and its subdomains, plus, in local development
/// only, a stand-in origin on loopback (the `IMSLP_DEV_ORIGIN` var) so that IMSLP imports can
/// be exercised offline against a local copy of a work page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImslpSite {
    dev_origin: Option<url::Origin>,
}

impl ImslpSite {
    /// imslp.org only.
    pub fn public() -> Self {
        Self::default()
    }

    /// imslp.org and the stand-in at `origin` (an http(s) loopback URL), or `None` when
    /// `origin` is not one.
    pub fn with_dev_origin(origin: &str) -> Option<Self> {
        let url = remote_url(origin.trim(), true).ok()?;
        let loopback = remote_url(origin.trim(), false).is_err();
        loopback.then(|| Self {
            dev_origin: Some(url.origin()),
        })
    }

    /// Whether its links may be http to loopback (the local stand-in).
    pub fn allows_loopback(&self) -> bool {
        self.dev_origin.is_some()
    }

    fn serves(&self, url: &Url) -> bool {
        (url.scheme() == "https" && url.host_str().is_some_and(is_imslp_host))
            || self.dev_origin.as_ref() == Some(&url.origin())
    }

    /// Parses and classifies a link the user gave: https and an IMSLP host (or the local
    /// stand-in), or a 400.
    pub fn classify(&self, raw: &str) -> Result<ImslpLink, ApiError> {
        let url = remote_url(raw.trim(), self.dev_origin.is_some())?;
        if !self.serves(&url) {
            return Err(ApiError::validation(
                "Only IMSLP (imslp.org) links can be imported here",
            ));
        }
        if is_file_link(&url) {
            Ok(ImslpLink::Pdf(url))
        } else if url.path().starts_with("/wiki/") && url.path().len() > "/wiki/".len() {
            Ok(ImslpLink::Page(url))
        } else {
            Err(ApiError::validation(
                "The IMSLP link is neither a work page nor a PDF file",
            ))
        }
    }

    /// The PDF links among a work page's links, in page order and without repeats: links on
    /// IMSLP's hosts that are file links.
    pub fn pdf_links<'a>(&self, links: impl IntoIterator<Item = &'a Url>) -> Vec<Url> {
        let mut found: Vec<Url> = Vec::new();
        for url in links {
            if self.serves(url) && is_file_link(url) && !found.contains(url) {
                found.push(url.clone());
            }
        }
        found
    }
}

/// Every `href` of a page, resolved against the page URL, in page order.
pub fn page_links(html: &str, page: &Url) -> Vec<Url> {
    let mut links = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("href=") {
        rest = &rest[start + 5..];
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let Some(end) = rest[1..].find(quote) else {
            break;
        };
        let target = html_unescape(&rest[1..=end]);
        rest = &rest[end + 1..];
        if let Ok(url) = page.join(&target) {
            links.push(url);
        }
    }
    links
}

/// Title and composer from a work page's `<title>`, which IMSLP writes as
/// `"<Work> (<Last>, <First>) - IMSLP"`; the composer comes back as "First Last".
pub fn work_title(html: &str) -> Option<(String, Option<String>)> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let text = html_unescape(html[start..end].trim());
    let text = text
        .trim_end_matches(" - IMSLP: Free Sheet Music PDF Download")
        .trim_end_matches(" - IMSLP")
        .trim();
    split_work_name(text)
}

/// What a link names before its page is read: for a work page, the work and composer from
/// its `/wiki/<Work>_(<Last>,_<First>)` path; for a file, the file name.
pub fn link_title(link: &ImslpLink) -> Option<(String, Option<String>)> {
    let path = link.url().path();
    match link {
        ImslpLink::Page(_) => {
            let name = path.trim_start_matches("/wiki/");
            let name = crate::practice::percent_decode(name).unwrap_or_else(|| name.to_string());
            split_work_name(&name.replace('_', " "))
        }
        ImslpLink::Pdf(_) => title_from_name(path).map(|title| (title, None)),
    }
}

fn split_work_name(text: &str) -> Option<(String, Option<String>)> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match (text.rfind(" ("), text.ends_with(')')) {
        (Some(open), true) => {
            let work = text[..open].trim().to_string();
            let name = &text[open + 2..text.len() - 1];
            let composer = match name.split_once(", ") {
                Some((last, first)) => format!("{first} {last}"),
                None => name.to_string(),
            };
            Some((work, Some(composer)))
        }
        _ => Some((text.to_string(), None)),
    }
}

fn html_unescape(text: &str) -> String {
    text.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><head><title>Minuet in G major, BWV Anh.114 (Petzold, Christian) - IMSLP</title></head>
<body><a href="/wiki/Category:Petzold,_Christian">Petzold</a>
<a href="https://imslp.org/wiki/Special:ImagefromIndex/12345/torat">#12345 - 0.11MB, 1 pp.</a>
<a href='/images/3/3a/PMLP123-Minuet.pdf'>direct</a>
<a href="https://imslp.org/wiki/Special:ImagefromIndex/12345/torat">again</a>
<a href="https://evil.example.com/file.pdf">elsewhere</a>
<a href="http://imslp.org/images/insecure.pdf">insecure</a>
<a href="https://imslp.org/wiki/Special:IMSLPDisclaimerAccept/67890?a=1&amp;b=2">disclaimer</a>
</body></html>"#;

    fn page_url() -> Url {
        Url::parse("https://imslp.org/wiki/Minuet_in_G_major,_BWV_Anh.114_(Petzold,_Christian)")
            .unwrap()
    }

    #[test]
    fn finds_the_pdf_links_of_a_work_page() {
        let site = ImslpSite::public();
        let links: Vec<String> = site
            .pdf_links(&page_links(PAGE, &page_url()))
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            links,
            [
                "https://imslp.org/wiki/Special:ImagefromIndex/12345/torat",
                "https://imslp.org/images/3/3a/PMLP123-Minuet.pdf",
                "https://imslp.org/wiki/Special:IMSLPDisclaimerAccept/67890?a=1&b=2",
            ]
        );
        assert!(page_links("<p>no links</p>", &page_url()).is_empty());
        assert!(page_links("<a href=\"unterminated", &page_url()).is_empty());
    }

    #[test]
    fn reads_title_and_composer() {
        assert_eq!(
            work_title(PAGE),
            Some((
                "Minuet in G major, BWV Anh.114".into(),
                Some("Christian Petzold".into())
            ))
        );
        assert_eq!(
            work_title("<title>Etudes - IMSLP</title>"),
            Some(("Etudes".into(), None))
        );
        assert_eq!(work_title("<p>none</p>"), None);
    }

    #[test]
    fn names_a_link_before_its_page_is_read() {
        let site = ImslpSite::public();
        let page = site
            .classify("https://imslp.org/wiki/Lagrima_(T%C3%A1rrega,_Francisco)")
            .unwrap();
        assert_eq!(
            link_title(&page),
            Some(("Lagrima".into(), Some("Francisco Tárrega".into())))
        );
        let file = site
            .classify("https://imslp.org/images/a/b/PMLP123-Lagrima.pdf")
            .unwrap();
        assert_eq!(
            link_title(&file),
            Some((title_from_name("PMLP123-Lagrima.pdf").unwrap(), None))
        );
    }

    #[test]
    fn classifies_links_and_refuses_other_hosts() {
        let classify = |raw: &str| ImslpSite::public().classify(raw);
        assert!(matches!(
            classify("https://imslp.org/wiki/Lagrima_(T%C3%A1rrega,_Francisco)"),
            Ok(ImslpLink::Page(_))
        ));
        assert!(matches!(
            classify("https://imslp.org/images/a/b/Lagrima.pdf"),
            Ok(ImslpLink::Pdf(_))
        ));
        assert!(matches!(
            classify("https://petrucci.imslp.org/wiki/Special:ImagefromIndex/1"),
            Ok(ImslpLink::Pdf(_))
        ));
        for refused in [
            "https://example.com/wiki/Lagrima",
            "https://imslp.org.evil.com/wiki/X",
            "http://imslp.org/wiki/X",
            "https://imslp.org/",
            "https://imslp.org/wiki/",
            "imslp.org/wiki/X",
        ] {
            assert_eq!(classify(refused).unwrap_err().status(), 400, "{refused}");
        }
    }

    #[test]
    fn a_local_stand_in_counts_as_imslp_only_when_configured_and_on_loopback() {
        let site = ImslpSite::with_dev_origin("http://127.0.0.1:8123").unwrap();
        assert!(matches!(
            site.classify("http://127.0.0.1:8123/wiki/Lagrima"),
            Ok(ImslpLink::Page(_))
        ));
        assert!(matches!(
            site.classify("https://imslp.org/images/a/Lagrima.pdf"),
            Ok(ImslpLink::Pdf(_))
        ));
        // Another port of the same host is not the stand-in.
        assert_eq!(
            site.classify("http://127.0.0.1:8124/wiki/Lagrima")
                .unwrap_err()
                .status(),
            400
        );
        let page = Url::parse("http://127.0.0.1:8123/wiki/Lagrima").unwrap();
        let links = page_links(
            r#"<a href="/images/Lagrima.pdf">a</a><a href="http://127.0.0.1:9/x.pdf">b</a>"#,
            &page,
        );
        assert_eq!(
            site.pdf_links(&links),
            [Url::parse("http://127.0.0.1:8123/images/Lagrima.pdf").unwrap()]
        );
        assert!(ImslpSite::public().pdf_links(&links).is_empty());
        assert!(
            ImslpSite::public()
                .classify("http://127.0.0.1:8123/wiki/Lagrima")
                .is_err()
        );
        // Only loopback origins can stand in.
        assert_eq!(ImslpSite::with_dev_origin("https://example.com"), None);
        assert_eq!(ImslpSite::with_dev_origin("not a url"), None);
    }
}
