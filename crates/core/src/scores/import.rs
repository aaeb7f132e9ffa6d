//! The rules every import path shares: what may be imported (a PDF by magic bytes, PNG/JPEG
//! pages), how large, from where (https only; never a private or loopback host outside local
//! development), and the names a new score starts with.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use url::{Host, Url};

use crate::ApiError;
use crate::scores::pdf::looks_like_pdf;

/// Largest PDF accepted, by any path.
pub const MAX_PDF_BYTES: usize = 50 * 1024 * 1024;
/// Image imports: pages, per-image and total size.
pub const MAX_IMAGES: usize = 20;
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_IMAGES_TOTAL_BYTES: usize = 50 * 1024 * 1024;
/// Largest PDF sent inline as a data URL by a signed-in caller, and by an anonymous one.
/// A data URL arrives inside a JSON body, so the worker holds the body, the decoded string
/// and the bytes at once: these keep that well under the isolate's 128 MB (larger files go
/// through the multipart upload or a link, which are not held twice).
pub const MAX_DATA_URL_PDF_BYTES: usize = 25 * 1024 * 1024;
pub const MAX_ANONYMOUS_DATA_URL_PDF_BYTES: usize = 10 * 1024 * 1024;

/// The largest `POST /api/import` JSON body: the caller's data-URL PDF grown by base64, plus
/// room for the other fields.
pub fn url_import_body_limit(signed_in: bool) -> u64 {
    let pdf = if signed_in {
        MAX_DATA_URL_PDF_BYTES
    } else {
        MAX_ANONYMOUS_DATA_URL_PDF_BYTES
    };
    (pdf as u64).div_ceil(3) * 4 + 64 * 1024
}

/// URLs per batch import.
pub const MAX_BATCH_URLS: usize = 10;
/// Longest source URL kept.
pub const MAX_URL_CHARS: usize = 2048;

/// Where a `POST /api/import` file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportSource {
    /// A `data:application/pdf;base64,…` URL, already decoded and checked.
    Inline(Vec<u8>),
    /// A remote file to fetch.
    Remote(Url),
}

/// Parses the `url` field of `POST /api/import`.
pub fn import_source(raw: &str, allow_loopback: bool) -> Result<ImportSource, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(ApiError::validation("PDF URL is required"));
    }
    // `get`, not indexing: byte 5 need not be a character boundary ("Aaé¡,…").
    if raw.len() > 8
        && raw
            .get(..5)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("data:"))
    {
        let (mime, bytes) = decode_data_url(raw)?;
        if mime != "application/pdf" {
            return Err(ApiError::validation(
                "Invalid PDF data URL: expected application/pdf",
            ));
        }
        check_pdf(&bytes)?;
        return Ok(ImportSource::Inline(bytes));
    }
    remote_url(raw, allow_loopback).map(ImportSource::Remote)
}

/// Decodes a base64 data URL into its media type and bytes.
pub fn decode_data_url(raw: &str) -> Result<(String, Vec<u8>), ApiError> {
    let rest = raw
        .get(5..)
        .filter(|_| raw[..5].eq_ignore_ascii_case("data:"))
        .ok_or_else(|| ApiError::validation("Invalid data URL"))?;
    let (header, payload) = rest
        .split_once(',')
        .ok_or_else(|| ApiError::validation("Invalid data URL: no data"))?;
    let mime = header
        .strip_suffix(";base64")
        .ok_or_else(|| ApiError::validation("Invalid data URL: only base64 data is accepted"))?
        .to_ascii_lowercase();
    // Base64 grows data by 4/3: refuse before decoding what would exceed the largest file.
    if payload.len() / 4 * 3 > MAX_PDF_BYTES + 3 {
        return Err(ApiError::PayloadTooLarge {
            limit_bytes: MAX_PDF_BYTES as u64,
        });
    }
    let bytes = STANDARD
        .decode(payload.trim())
        .map_err(|_| ApiError::validation("Invalid base64 data"))?;
    Ok((mime, bytes))
}

/// A PDF's bytes are acceptable: not empty, not too large, and starting with `%PDF-`.
pub fn check_pdf(bytes: &[u8]) -> Result<(), ApiError> {
    if bytes.len() > MAX_PDF_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit_bytes: MAX_PDF_BYTES as u64,
        });
    }
    if !looks_like_pdf(bytes) {
        return Err(ApiError::validation(
            "Invalid PDF file: it does not start with %PDF-",
        ));
    }
    Ok(())
}

/// An http(s) URL the worker may fetch. Only https, except `http` to a loopback host when
/// `allow_loopback` (local development, where tests serve files from 127.0.0.1). Private,
/// link-local and loopback addresses and `localhost` are refused otherwise (no SSRF).
pub fn remote_url(raw: &str, allow_loopback: bool) -> Result<Url, ApiError> {
    if raw.len() > MAX_URL_CHARS {
        return Err(ApiError::validation("Invalid URL format: too long"));
    }
    let url = Url::parse(raw).map_err(|_| ApiError::validation("Invalid URL format"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ApiError::validation(
            "Invalid URL format: credentials are not allowed",
        ));
    }
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => {
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            if domain == "localhost" || domain.ends_with(".localhost") {
                true
            } else if domain.ends_with(".internal")
                || domain.ends_with(".local")
                || !domain.contains('.')
            {
                return Err(refused_host());
            } else {
                false
            }
        }
        Some(Host::Ipv4(ip)) => classify_ip(IpAddr::V4(ip))?,
        Some(Host::Ipv6(ip)) => classify_ip(IpAddr::V6(ip))?,
        None => return Err(ApiError::validation("Invalid URL format: no host")),
    };
    match (url.scheme(), loopback) {
        (_, true) if !allow_loopback => Err(refused_host()),
        ("https", _) => Ok(url),
        ("http", true) => Ok(url),
        _ => Err(ApiError::validation("Only https URLs can be imported")),
    }
}

fn refused_host() -> ApiError {
    ApiError::validation("URL host is not allowed: private and local addresses cannot be imported")
}

/// `Ok(true)` for a loopback address, an error for another non-public one.
fn classify_ip(ip: IpAddr) -> Result<bool, ApiError> {
    if ip.is_loopback() {
        return Ok(true);
    }
    let public = match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => return classify_ip(IpAddr::V4(v4)),
            None => is_public_v6(v6),
        },
    };
    if public {
        Ok(false)
    } else {
        Err(refused_host())
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80)
}

/// A page image of an image import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageImage {
    pub bytes: Vec<u8>,
    pub mime_type: &'static str,
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Checks a list of data-URL images: count, per-image and total size, PNG/JPEG by content
/// (not by the declared type alone), and readable dimensions.
pub fn page_images(data_urls: &[&str]) -> Result<Vec<PageImage>, ApiError> {
    if data_urls.is_empty() {
        return Err(ApiError::validation("At least one image is required"));
    }
    if data_urls.len() > MAX_IMAGES {
        return Err(ApiError::TooManyItems {
            limit: MAX_IMAGES,
            count: data_urls.len(),
        });
    }
    let mut total = 0usize;
    let mut pages = Vec::with_capacity(data_urls.len());
    for (index, raw) in data_urls.iter().enumerate() {
        let number = index + 1;
        let (declared, bytes) = decode_data_url(raw)
            .map_err(|err| ApiError::validation(format!("Image {number}: {err}")))?;
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(ApiError::PayloadTooLarge {
                limit_bytes: MAX_IMAGE_BYTES as u64,
            });
        }
        total += bytes.len();
        if total > MAX_IMAGES_TOTAL_BYTES {
            return Err(ApiError::PayloadTooLarge {
                limit_bytes: MAX_IMAGES_TOTAL_BYTES as u64,
            });
        }
        let (mime_type, extension) = match imagesize::image_type(&bytes) {
            Ok(imagesize::ImageType::Png) => ("image/png", "png"),
            Ok(imagesize::ImageType::Jpeg) => ("image/jpeg", "jpg"),
            _ => {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "Image {number} is not a PNG or JPEG image"
                )));
            }
        };
        if !matches!(declared.as_str(), "image/png" | "image/jpeg" | "image/jpg") {
            return Err(ApiError::UnsupportedMediaType(format!(
                "Image {number} is declared as {declared}; only PNG and JPEG are accepted"
            )));
        }
        let size = imagesize::blob_size(&bytes)
            .map_err(|_| ApiError::validation(format!("Image {number} could not be read")))?;
        pages.push(PageImage {
            bytes,
            mime_type,
            extension,
            width: size.width as u32,
            height: size.height as u32,
        });
    }
    Ok(pages)
}

/// A title from a file name or URL path: the last segment without its extension, with
/// separators as spaces ("moonlight_sonata-op27.pdf" → "moonlight sonata op27").
pub fn title_from_name(name: &str) -> Option<String> {
    let last = name
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let decoded = crate::practice::percent_decode(last).unwrap_or_else(|| last.to_string());
    let stem = match decoded.rsplit_once('.') {
        Some((stem, extension)) if extension.len() <= 4 && !stem.is_empty() => stem.to_string(),
        _ => decoded,
    };
    let words = stem
        .split(|c: char| c == '_' || c == '-' || c == '+' || c.is_whitespace())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!words.is_empty()).then(|| words.chars().take(200).collect())
}

/// A file name safe for an R2 key: ASCII letters, digits, `.`, `-`, `_`; at most 100 chars.
pub fn clean_file_name(name: &str) -> String {
    let cleaned: String = name
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let cleaned = cleaned.trim_matches('.').to_string();
    if cleaned.is_empty() {
        "score.pdf".into()
    } else if cleaned.to_ascii_lowercase().ends_with(".pdf") {
        cleaned
    } else {
        format!("{cleaned}.pdf")
    }
}

/// `title[-opus]` lowercased, runs of other characters as one `-`, at most 100 characters.
pub fn slugify(title: &str, opus: Option<&str>) -> String {
    let source = match opus.filter(|opus| !opus.trim().is_empty()) {
        Some(opus) => format!("{title} {opus}"),
        None => title.to_string(),
    };
    let mut slug = String::new();
    for c in source.to_lowercase().chars() {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.chars().take(100).collect();
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        "score".into()
    } else {
        slug.to_string()
    }
}

/// A new score id: `score_` and 24 random hex digits (a canonical id that score-id
/// normalisation leaves untouched).
pub fn new_score_id() -> String {
    format!("score_{}", &uuid::Uuid::new_v4().simple().to_string()[..24])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn status(result: Result<impl std::fmt::Debug, ApiError>) -> u16 {
        result.unwrap_err().status()
    }

    #[test]
    fn accepts_a_base64_pdf_and_refuses_other_data() {
        let pdf = crate::scores::engrave::engrave("T", "C", 1);
        let url = format!("data:application/pdf;base64,{}", STANDARD.encode(&pdf));
        assert_eq!(
            import_source(&url, false).unwrap(),
            ImportSource::Inline(pdf)
        );
        let html = format!("data:application/pdf;base64,{}", STANDARD.encode("<html>"));
        assert_eq!(status(import_source(&html, false)), 400);
        assert_eq!(
            status(import_source("data:application/pdf;base64,@@@", false)),
            400
        );
        assert_eq!(
            status(import_source("data:text/plain;base64,JVBERi0=", false)),
            400
        );
        assert_eq!(
            status(import_source("data:application/pdf,%PDF-1.4", false)),
            400
        );
        assert_eq!(status(import_source("", false)), 400);
        // A multi-byte character across byte 5 was a panic (found by tests/fuzz.rs).
        assert_eq!(status(import_source("Aaé¡,¡ more", false)), 400);
    }

    #[test]
    fn only_https_to_public_hosts_outside_local_development() {
        assert!(remote_url("https://imslp.org/files/a.pdf", false).is_ok());
        for refused in [
            "http://example.com/a.pdf",
            "ftp://example.com/a.pdf",
            "https://127.0.0.1/a.pdf",
            "https://localhost/a.pdf",
            "https://10.0.0.8/a.pdf",
            "https://192.168.1.1/a.pdf",
            "https://172.16.0.1/a.pdf",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/a.pdf",
            "https://[::ffff:10.0.0.1]/a.pdf",
            "https://[fd00::1]/a.pdf",
            "https://metadata.internal/a.pdf",
            "https://intranet/a.pdf",
            "https://user:pw@example.com/a.pdf",
            "https://0.0.0.0/a.pdf",
            "not a url",
        ] {
            assert_eq!(status(remote_url(refused, false)), 400, "{refused}");
        }
    }

    #[test]
    fn local_development_may_fetch_from_loopback_over_http() {
        assert!(remote_url("http://127.0.0.1:8080/a.pdf", true).is_ok());
        assert!(remote_url("http://localhost:8080/a.pdf", true).is_ok());
        assert_eq!(status(remote_url("http://10.0.0.1/a.pdf", true)), 400);
        assert_eq!(status(remote_url("http://example.com/a.pdf", true)), 400);
    }

    #[test]
    fn pdf_size_and_magic_are_checked() {
        assert!(check_pdf(b"%PDF-1.7 ...").is_ok());
        assert_eq!(status(check_pdf(b"GIF89a")), 400);
        assert_eq!(status(check_pdf(&vec![b'%'; MAX_PDF_BYTES + 1])), 413);
    }

    const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

    #[test]
    fn page_images_are_checked_by_content_count_and_size() {
        let png = format!("data:image/png;base64,{PNG_1X1}");
        let pages = page_images(&[png.as_str(), png.as_str()]).unwrap();
        assert_eq!(pages.len(), 2);
        assert_eq!(
            (pages[0].width, pages[0].height, pages[0].mime_type),
            (1, 1, "image/png")
        );
        assert_eq!(status(page_images(&[])), 400);
        assert_eq!(
            status(page_images(&vec![png.as_str(); MAX_IMAGES + 1])),
            413
        );
        let gif = format!(
            "data:image/png;base64,{}",
            STANDARD.encode(b"GIF89a\x01\x00\x01\x00")
        );
        assert_eq!(status(page_images(&[gif.as_str()])), 415);
        let declared_gif = format!("data:image/gif;base64,{PNG_1X1}");
        assert_eq!(status(page_images(&[declared_gif.as_str()])), 415);
        assert_eq!(status(page_images(&["data:image/png;base64,!!"])), 400);
    }

    #[test]
    fn names_titles_and_slugs() {
        assert_eq!(
            title_from_name("https://x.org/files/Moonlight_Sonata-Op27.pdf?dl=1").as_deref(),
            Some("Moonlight Sonata Op27")
        );
        assert_eq!(title_from_name("https://x.org/"), None);
        assert_eq!(clean_file_name("../Für Elise.PDF"), "F_r_Elise.PDF");
        assert_eq!(clean_file_name("notes"), "notes.pdf");
        assert_eq!(clean_file_name(".."), "score.pdf");
        assert_eq!(slugify("Sonata in C", Some("K. 545")), "sonata-in-c-k-545");
        assert_eq!(slugify("!!!", None), "score");
        let id = new_score_id();
        assert!(id.starts_with("score_") && id.len() == 30, "{id}");
    }

    proptest! {
        #[test]
        fn slugs_are_short_and_clean(title in ".{0,300}", opus in proptest::option::of(".{0,20}")) {
            let slug = slugify(&title, opus.as_deref());
            prop_assert!(!slug.is_empty() && slug.chars().count() <= 100);
            prop_assert!(!slug.starts_with('-') && !slug.ends_with('-'));
            prop_assert!(!slug.contains("--"));
        }

        #[test]
        fn file_names_never_escape_their_folder(name in ".{0,200}") {
            let clean = clean_file_name(&name);
            prop_assert!(!clean.contains('/') && !clean.starts_with('.'));
            prop_assert!(clean.len() <= 104);
        }
    }

    #[test]
    fn url_import_bodies_hold_their_data_url_and_stay_small() {
        let anonymous = url_import_body_limit(false);
        let signed_in = url_import_body_limit(true);
        assert!(anonymous >= (MAX_ANONYMOUS_DATA_URL_PDF_BYTES as u64) * 4 / 3);
        assert!(signed_in >= (MAX_DATA_URL_PDF_BYTES as u64) * 4 / 3);
        assert!(anonymous < signed_in);
        // Body + string + bytes at once must leave most of 128 MB free.
        assert!(signed_in * 2 + MAX_DATA_URL_PDF_BYTES as u64 <= 96 * 1024 * 1024);
    }
}
