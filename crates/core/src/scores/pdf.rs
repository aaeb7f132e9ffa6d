//! What the queue consumer learns from a PDF itself: page count, document info and XMP
//! metadata (title, author, subject), the text of the first page, and PNG previews drawn by a
//! pure-Rust rasterizer.
//!
//! PDFs are read the way viewers read them: [`PdfFile::open`] parses lazily with
//! `hayro-syntax` (only the cross-reference data and the page tree up front; objects are read
//! when asked for), rebuilds the cross-reference table by scanning the file for objects when
//! the table is wrong or missing (broken offsets, a truncated tail), follows incremental
//! updates, xref and object streams, and opens files encrypted with an empty user password
//! (RC4 and AES). A file that needs a password, or that has no readable page, is refused with
//! a reason a user can act on.

use std::sync::Arc;

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::object::{Dict, Stream};
use hayro::hayro_syntax::{DecryptionError, LoadPdfError, Pdf};
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings};
use lopdf::Document;

/// The first bytes of every PDF file.
pub const PDF_MAGIC: &[u8] = b"%PDF-";
/// Width of the library thumbnail, in pixels.
pub const THUMBNAIL_WIDTH: u32 = 400;
/// Width of a page preview, in pixels.
pub const PAGE_PREVIEW_WIDTH: u32 = 1200;
/// At most this much extracted text is kept for search.
const MAX_EXTRACTED_TEXT: usize = 4000;
/// Text extraction parses the whole file (lopdf); above this size it is skipped, so a large
/// scan (which has no text anyway) costs neither the time nor a second copy in memory.
pub const TEXT_EXTRACTION_MAX_BYTES: usize = 8 * 1024 * 1024;
/// A first-page line longer than this is prose, not a title.
const MAX_HEADING_CHARS: usize = 120;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PdfError {
    #[error("the file is not a PDF")]
    NotPdf,
    #[error("the PDF is protected by a password; remove the password and import it again")]
    PasswordProtected,
    #[error("the PDF is encrypted in a way that cannot be opened ({0})")]
    Encryption(String),
    #[error("the PDF could not be read: {0}")]
    Unreadable(String),
    #[error("the PDF has no page {0}")]
    NoSuchPage(u32),
    #[error("the page could not be encoded: {0}")]
    Encoding(String),
}

/// Whether the bytes start like a PDF (leading whitespace tolerated, as readers do).
pub fn looks_like_pdf(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes[start..].starts_with(PDF_MAGIC)
}

/// What a PDF says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PdfFacts {
    pub page_count: u32,
    /// The title from XMP metadata when it has one, else from the document info.
    pub title: Option<String>,
    pub author: Option<String>,
    pub subject: Option<String>,
    /// Page 1's text, whitespace collapsed (for search and the model).
    pub first_page_text: Option<String>,
    /// Page 1's first line of text, when it is short enough to be a heading.
    pub first_page_heading: Option<String>,
}

/// An opened PDF: parsed lazily, so opening a 50 MB scan reads its cross-reference data and
/// page tree, not every image.
pub struct PdfFile {
    pdf: Pdf,
}

impl PdfFile {
    /// Opens `bytes` (taken, not copied), repairing the cross-reference table if need be and
    /// decrypting with the empty password if the file is encrypted.
    pub fn open(bytes: Vec<u8>) -> Result<Self, PdfError> {
        if !looks_like_pdf(&bytes) {
            return Err(PdfError::NotPdf);
        }
        let pdf = Pdf::new(Arc::new(bytes)).map_err(|err| match err {
            LoadPdfError::Decryption(DecryptionError::PasswordProtected) => {
                PdfError::PasswordProtected
            }
            LoadPdfError::Decryption(other) => PdfError::Encryption(format!("{other:?}")),
            LoadPdfError::Invalid => PdfError::Unreadable(
                "its structure is damaged beyond repair (no page tree found)".into(),
            ),
        })?;
        if pdf.pages().is_empty() {
            return Err(PdfError::Unreadable("it has no pages".into()));
        }
        Ok(Self { pdf })
    }

    pub fn page_count(&self) -> u32 {
        u32::try_from(self.pdf.pages().len()).unwrap_or(u32::MAX)
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.pdf.data().as_ref()
    }

    /// Page count, metadata (XMP preferred over the document info) and page 1's text.
    pub fn facts(&self) -> PdfFacts {
        let info = self.pdf.metadata();
        let from_info = |value: &Option<Box<[u8]>>| {
            value
                .as_deref()
                .map(decode_text_string)
                .and_then(|text| tidy(&text))
        };
        let xmp = self.xmp().map(|xml| Xmp::read(&xml)).unwrap_or_default();
        let (first_page_text, first_page_heading) = self.first_page_text();
        PdfFacts {
            page_count: self.page_count(),
            title: xmp.title.or_else(|| from_info(&info.title)),
            author: xmp.creator.or_else(|| from_info(&info.author)),
            subject: xmp.description.or_else(|| from_info(&info.subject)),
            first_page_text,
            first_page_heading,
        }
    }

    /// The catalog's XMP metadata stream, decoded.
    fn xmp(&self) -> Option<String> {
        let xref = self.pdf.xref();
        let catalog = xref.get::<Dict<'_>>(xref.root_id())?;
        let stream = catalog.get::<Stream<'_>>(b"Metadata")?;
        let data = stream.decoded().ok()?;
        Some(String::from_utf8_lossy(&data).into_owned())
    }

    /// Page 1's text (collapsed) and its first line, read with lopdf for files up to
    /// [`TEXT_EXTRACTION_MAX_BYTES`]; a file lopdf cannot read simply has no text.
    fn first_page_text(&self) -> (Option<String>, Option<String>) {
        let bytes = self.bytes();
        if bytes.len() > TEXT_EXTRACTION_MAX_BYTES {
            return (None, None);
        }
        let Ok(document) = Document::load_mem(bytes) else {
            return (None, None);
        };
        let Some(first_page) = document.get_pages().into_keys().next() else {
            return (None, None);
        };
        let Ok(raw) = document.extract_text(&[first_page]) else {
            return (None, None);
        };
        let heading = raw
            .lines()
            .map(collapse_whitespace)
            .find(|line| !line.is_empty())
            .filter(|line| line.chars().count() <= MAX_HEADING_CHARS);
        let text = Some(collapse_whitespace(&raw))
            .filter(|text| !text.is_empty())
            .map(|text| truncate_chars(&text, MAX_EXTRACTED_TEXT));
        (text, heading)
    }

    /// Renders page `page_number` (1-based) scaled to `width` pixels wide, as PNG on white.
    /// Rotation and the crop box are honoured; only this page's objects are read.
    pub fn render_page_png(&self, page_number: u32, width: u32) -> Result<RenderedPage, PdfError> {
        let pages = self.pdf.pages();
        let page = page_number
            .checked_sub(1)
            .and_then(|index| pages.get(index as usize))
            .ok_or(PdfError::NoSuchPage(page_number))?;
        let (page_width, page_height) = page.render_dimensions();
        if page_width <= 0.0 || page_height <= 0.0 {
            return Err(PdfError::Unreadable(format!(
                "page {page_number} has no area"
            )));
        }
        let scale = width as f32 / page_width;
        let pixmap = hayro::render(
            page,
            &RenderCache::new(),
            &InterpreterSettings::default(),
            &RenderSettings::default(),
            &PixmapSettings {
                x_scale: scale,
                y_scale: scale,
                bg_color: WHITE,
            },
        );
        let (width, height) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
        let png = pixmap
            .into_png()
            .map_err(|err| PdfError::Encoding(err.to_string()))?;
        Ok(RenderedPage { png, width, height })
    }
}

/// Reads the page count, the metadata and the first page's text.
pub fn inspect(bytes: &[u8]) -> Result<PdfFacts, PdfError> {
    Ok(PdfFile::open(bytes.to_vec())?.facts())
}

/// Renders page `page_number` (1-based) scaled to `width` pixels wide, as PNG on white.
pub fn render_page_png(
    bytes: &[u8],
    page_number: u32,
    width: u32,
) -> Result<RenderedPage, PdfError> {
    PdfFile::open(bytes.to_vec())?.render_page_png(page_number, width)
}

/// A PDF text string, decoded as viewers do: by its byte-order mark (UTF-16BE, UTF-16LE,
/// UTF-8), else as UTF-8 when the bytes are valid UTF-8 (several producers write raw UTF-8),
/// else as PDFDocEncoding.
pub fn decode_text_string(bytes: &[u8]) -> String {
    let utf16 = |body: &[u8], big_endian: bool| {
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|pair| {
                let pair = [pair[0], pair[1]];
                if big_endian {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    if let Some(body) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(body, true);
    }
    if let Some(body) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(body, false);
    }
    if let Some(body) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(body).into_owned();
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_string();
    }
    bytes.iter().map(|&byte| pdf_doc_char(byte)).collect()
}

/// One byte of PDFDocEncoding (PDF 32000-1, Annex D): Latin-1 except for 0x18–0x1F and
/// 0x80–0xA0; undefined codes become U+FFFD.
pub fn pdf_doc_char(byte: u8) -> char {
    const LOW: [char; 8] = ['˘', 'ˇ', 'ˆ', '˙', '˝', '˛', '˚', '˜'];
    const HIGH: [char; 33] = [
        '•', '†', '‡', '…', '—', '–', 'ƒ', '⁄', '‹', '›', '−', '‰', '„', '“', '”', '‘', '’', '‚',
        '™', 'ﬁ', 'ﬂ', 'Ł', 'Œ', 'Š', 'Ÿ', 'Ž', 'ı', 'ł', 'œ', 'š', 'ž', '\u{FFFD}', '€',
    ];
    match byte {
        0x18..=0x1F => LOW[usize::from(byte - 0x18)],
        0x80..=0xA0 => HIGH[usize::from(byte - 0x80)],
        0xAD => '\u{FFFD}',
        _ => char::from(byte),
    }
}

/// What the XMP packet names: Dublin Core title, creator and description.
#[derive(Debug, Default, PartialEq, Eq)]
struct Xmp {
    title: Option<String>,
    creator: Option<String>,
    description: Option<String>,
}

impl Xmp {
    fn read(xml: &str) -> Self {
        Self {
            title: xmp_property(xml, "dc:title"),
            creator: xmp_property(xml, "dc:creator"),
            description: xmp_property(xml, "dc:description"),
        }
    }
}

/// The value of an XMP property element: its `x-default` (else first) `rdf:li`, or its text.
fn xmp_property(xml: &str, element: &str) -> Option<String> {
    let open = format!("<{element}");
    // `<dc:titleX` is another element.
    let after_open = xml.match_indices(&open).find_map(|(at, _)| {
        let rest = &xml[at + open.len()..];
        rest.starts_with(['>', ' ', '\t', '\r', '\n', '/'])
            .then_some(rest)
    })?;
    let body_start = after_open.find('>')? + 1;
    if after_open[..body_start].ends_with("/>") {
        return None;
    }
    let body = &after_open[body_start..];
    let body = &body[..body.find(&format!("</{element}>"))?];
    let items: Vec<(&str, &str)> = body
        .match_indices("<rdf:li")
        .filter_map(|(at, _)| {
            let item = &body[at + "<rdf:li".len()..];
            let attributes_end = item.find('>')?;
            let content = &item[attributes_end + 1..];
            let content = &content[..content.find("</rdf:li>")?];
            Some((&item[..attributes_end], content))
        })
        .collect();
    let value = if items.is_empty() {
        body
    } else {
        items
            .iter()
            .find(|(attributes, _)| attributes.contains("x-default"))
            .or(items.first())
            .map(|(_, content)| *content)?
    };
    tidy(&unescape_xml(value))
}

fn unescape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let entity_end = rest[at..].find(';').map(|end| at + end);
        let decoded = entity_end.and_then(|end| {
            let entity = &rest[at + 1..end];
            match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            }
            .map(|ch| (ch, end))
        });
        match decoded {
            Some((ch, end)) => {
                out.push(ch);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Trimmed, whitespace collapsed, `None` when nothing is left.
fn tidy(text: &str) -> Option<String> {
    let text = collapse_whitespace(text.trim_matches(char::from(0)));
    (!text.is_empty()).then_some(text)
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate_chars(text: &str, limit: usize) -> String {
    text.chars().take(limit).collect()
}

/// A rendered page.
#[derive(Debug, Clone)]
pub struct RenderedPage {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scores::engrave::engrave;

    #[test]
    fn reads_page_count_info_and_first_page_text() {
        let pdf = engrave("Minuet in G", "Christian Petzold", 3);
        let facts = inspect(&pdf).unwrap();
        assert_eq!(facts.page_count, 3);
        assert_eq!(facts.title.as_deref(), Some("Minuet in G"));
        assert_eq!(facts.author.as_deref(), Some("Christian Petzold"));
        assert_eq!(facts.subject.as_deref(), Some("Sheet music"));
        assert!(facts.first_page_text.unwrap().contains("Minuet in G"));
        assert_eq!(facts.first_page_heading.as_deref(), Some("Minuet in G"));
    }

    #[test]
    fn refuses_what_is_not_a_pdf() {
        assert_eq!(inspect(b"<html>nope</html>"), Err(PdfError::NotPdf));
        assert!(matches!(
            inspect(b"%PDF-1.4 truncated"),
            Err(PdfError::Unreadable(_))
        ));
        assert!(looks_like_pdf(b"\n %PDF-1.7"));
        assert!(!looks_like_pdf(b""));
    }

    #[test]
    fn decodes_info_strings_by_bom_then_utf8_then_pdfdocencoding() {
        assert_eq!(decode_text_string(&[0xFE, 0xFF, 0, b'B', 0, 0xE9]), "Bé");
        assert_eq!(decode_text_string(&[0xFF, 0xFE, b'B', 0, 0xE9, 0]), "Bé");
        assert_eq!(decode_text_string(b"\xEF\xBB\xBFFa\xC3\xA7ade"), "Façade");
        assert_eq!(decode_text_string("Für Elise".as_bytes()), "Für Elise");
        assert_eq!(decode_text_string(b"Tarrega"), "Tarrega");
        assert_eq!(
            decode_text_string(b"F\xFCr Elise \x85 Bagatelle \x92 \x8D\x8E"),
            "Für Elise – Bagatelle ™ “”"
        );
        assert_eq!(decode_text_string(b"\xA0 \x18"), "€ ˘");
    }

    #[test]
    fn reads_xmp_properties() {
        let xml = r#"<x:xmpmeta><rdf:RDF><rdf:Description>
            <dc:titleAlt>no</dc:titleAlt>
            <dc:title><rdf:Alt><rdf:li xml:lang="fr">Pavane</rdf:li><rdf:li xml:lang="x-default">Pavane &amp; Galliard &#233;</rdf:li></rdf:Alt></dc:title>
            <dc:creator><rdf:Seq><rdf:li>William Byrd</rdf:li></rdf:Seq></dc:creator>
            <dc:description/>
        </rdf:Description></rdf:RDF></x:xmpmeta>"#;
        let xmp = Xmp::read(xml);
        assert_eq!(xmp.title.as_deref(), Some("Pavane & Galliard é"));
        assert_eq!(xmp.creator.as_deref(), Some("William Byrd"));
        assert_eq!(xmp.description, None);
        assert_eq!(Xmp::read("<not xmp>"), Xmp::default());
        assert_eq!(unescape_xml("a &bogus; &#x41;"), "a &bogus; A");
    }

    #[test]
    fn renders_a_page_to_a_png_of_the_asked_width() {
        let pdf = engrave("Prelude", "Bach", 2);
        let page = render_page_png(&pdf, 2, THUMBNAIL_WIDTH).unwrap();
        assert_eq!(page.width, THUMBNAIL_WIDTH);
        // A4 proportions.
        assert!((564..=568).contains(&page.height), "{}", page.height);
        assert!(page.png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let size = imagesize::blob_size(&page.png).unwrap();
        assert_eq!(
            (size.width as u32, size.height as u32),
            (page.width, page.height)
        );
        assert_eq!(
            render_page_png(&pdf, 3, 100).unwrap_err(),
            PdfError::NoSuchPage(3)
        );
        assert_eq!(
            render_page_png(&pdf, 0, 100).unwrap_err(),
            PdfError::NoSuchPage(0)
        );
    }
}
