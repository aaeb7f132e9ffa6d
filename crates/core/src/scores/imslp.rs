//! IMSLP imports: which links are IMSLP's, and how a work page leads to its PDF files. The
//! worker fetches the page; this module reads it (tested on sample HTML, since tests cannot
//! reach imslp.org).

use url::Url;

use crate::ApiError;
use crate::scores::import::remote_url;

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
pub fn is_imslp_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "imslp.org" || host.ends_with(".imslp.org")
}

fn is_file_link(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    path.ends_with(".pdf")
        || path.contains("special:imagefromindex")
        || path.contains("special:imslpdisclaimeraccept")
}

/// Parses and classifies a link the user gave: https and an IMSLP host, or a 400.
pub fn classify(raw: &str) -> Result<ImslpLink, ApiError> {
    let url = remote_url(raw.trim(), false)?;
    if !url.host_str().is_some_and(is_imslp_host) {
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

/// The PDF links of a work page, in page order and without repeats: `href`s on IMSLP hosts
/// that are file links, resolved against the page URL.
pub fn pdf_links(html: &str, page: &Url) -> Vec<Url> {
    let mut links: Vec<Url> = Vec::new();
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
        let Ok(url) = page.join(&target) else {
            continue;
        };
        if url.scheme() == "https"
            && url.host_str().is_some_and(is_imslp_host)
            && is_file_link(&url)
            && !links.contains(&url)
        {
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
        let links: Vec<String> = pdf_links(PAGE, &page_url())
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
        assert!(pdf_links("<p>no links</p>", &page_url()).is_empty());
        assert!(pdf_links("<a href=\"unterminated", &page_url()).is_empty());
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
    fn classifies_links_and_refuses_other_hosts() {
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
}
