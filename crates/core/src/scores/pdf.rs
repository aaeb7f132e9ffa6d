//! What the queue consumer learns from a PDF itself: page count, document info (title, author,
//! subject), the text of the first page, and PNG previews drawn by a pure-Rust rasterizer.

use std::sync::Arc;

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings};
use lopdf::{Document, Object};

/// The first bytes of every PDF file.
pub const PDF_MAGIC: &[u8] = b"%PDF-";
/// Width of the library thumbnail, in pixels.
pub const THUMBNAIL_WIDTH: u32 = 400;
/// Width of a page preview, in pixels.
pub const PAGE_PREVIEW_WIDTH: u32 = 1200;
/// At most this much extracted text is kept for search.
const MAX_EXTRACTED_TEXT: usize = 4000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PdfError {
    #[error("the file is not a PDF")]
    NotPdf,
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
    pub title: Option<String>,
    pub author: Option<String>,
    pub subject: Option<String>,
    pub first_page_text: Option<String>,
}

/// Reads the page count, the info dictionary and the first page's text.
pub fn inspect(bytes: &[u8]) -> Result<PdfFacts, PdfError> {
    if !looks_like_pdf(bytes) {
        return Err(PdfError::NotPdf);
    }
    let document =
        Document::load_mem(bytes).map_err(|err| PdfError::Unreadable(err.to_string()))?;
    let page_count = document.get_pages().len() as u32;
    if page_count == 0 {
        return Err(PdfError::Unreadable("it has no pages".into()));
    }
    let info = document
        .trailer
        .get(b"Info")
        .ok()
        .and_then(|info| match info {
            Object::Reference(id) => document.get_dictionary(*id).ok(),
            Object::Dictionary(dict) => Some(dict),
            _ => None,
        });
    let field = |name: &[u8]| {
        info.and_then(|dict| dict.get(name).ok())
            .and_then(|value| value.as_str().ok())
            .map(decode_text_string)
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty())
    };
    let first_page_text = document
        .extract_text(&[1])
        .ok()
        .map(|text| collapse_whitespace(&text))
        .filter(|text| !text.is_empty())
        .map(|text| truncate_chars(&text, MAX_EXTRACTED_TEXT));
    Ok(PdfFacts {
        page_count,
        title: field(b"Title"),
        author: field(b"Author"),
        subject: field(b"Subject"),
        first_page_text,
    })
}

/// A PDF text string: UTF-16BE with a byte-order mark, or PDFDocEncoding (Latin-1 for the
/// characters that matter here).
fn decode_text_string(bytes: &[u8]) -> String {
    match bytes.strip_prefix(&[0xFE, 0xFF]) {
        Some(utf16) => {
            let units: Vec<u16> = utf16
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        None => bytes.iter().map(|&byte| char::from(byte)).collect(),
    }
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

/// Renders page `page_number` (1-based) scaled to `width` pixels wide, as PNG on white.
pub fn render_page_png(
    bytes: &[u8],
    page_number: u32,
    width: u32,
) -> Result<RenderedPage, PdfError> {
    let pdf = Pdf::new(Arc::new(bytes.to_vec()))
        .map_err(|err| PdfError::Unreadable(format!("{err:?}")))?;
    let pages = pdf.pages();
    let page = page_number
        .checked_sub(1)
        .and_then(|index| pages.get(index as usize))
        .ok_or(PdfError::NoSuchPage(page_number))?;
    let (page_width, _) = page.render_dimensions();
    if page_width <= 0.0 {
        return Err(PdfError::Unreadable("the page has no width".into()));
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
    fn decodes_utf16_info_strings() {
        assert_eq!(decode_text_string(&[0xFE, 0xFF, 0, b'B', 0, 0xE9]), "Bé");
        assert_eq!(decode_text_string(b"Tarrega"), "Tarrega");
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
