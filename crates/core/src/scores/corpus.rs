//! Hard PDFs, made at test time: the kinds of file musicians really import (300-dpi scans,
//! files with broken cross-reference tables, truncated tails, incremental updates, PDF 1.5
//! xref and object streams, linearized files, empty-password encryption, odd metadata
//! encodings, rotated and mixed page sizes), each with the outcome processing must reach.
//! Built only for tests (`cfg(test)`, or the `corpus` feature the black-box tests turn on), so
//! the workers never carry it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use lopdf::encryption::crypt_filters::{Aes128CryptFilter, Aes256CryptFilter, CryptFilter};
use lopdf::{Document, EncryptionState, EncryptionVersion, Object, Permissions};

use crate::scores::engrave::engrave;

/// What processing a sample must end in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Processed: this many pages, and (when given) this title chosen for the score.
    Processed {
        pages: u32,
        title: Option<&'static str>,
    },
    /// Refused; the reason contains this text.
    Refused(&'static str),
}

/// One file of the corpus.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: &'static str,
    /// The name it is imported under (the file-name title is the last fallback).
    pub file_name: &'static str,
    pub bytes: Vec<u8>,
    pub outcome: Outcome,
}

fn processed(pages: u32, title: Option<&'static str>) -> Outcome {
    Outcome::Processed { pages, title }
}

/// Every small sample (each a few kilobytes; the large scan is [`scanned_score`]).
pub fn samples() -> Vec<Sample> {
    let sample = |name, file_name, bytes, outcome| Sample {
        name,
        file_name,
        bytes,
        outcome,
    };
    vec![
        sample(
            "broken-xref-offsets",
            "nocturne_draft.pdf",
            classic(&ClassicOptions {
                xref_shift: 37,
                ..ClassicOptions::titled("Nocturne in E-flat major")
            }),
            processed(2, Some("Nocturne in E-flat major")),
        ),
        sample(
            "truncated-tail",
            "truncated_sonatina.pdf",
            truncated_tail(),
            processed(2, Some("truncated sonatina")),
        ),
        sample(
            "incremental-update",
            "draft.pdf",
            incremental_update(),
            processed(3, Some("Arabesque No. 1")),
        ),
        sample(
            "xref-and-object-streams",
            "modern.pdf",
            object_streams(),
            processed(3, Some("Invention No. 8")),
        ),
        sample(
            "linearized",
            "linearized.pdf",
            linearized(),
            processed(2, Some("Fantasia in D minor")),
        ),
        sample(
            "encrypted-rc4-empty-password",
            "rc4.pdf",
            encrypted(Cipher::Rc4, ""),
            processed(2, Some("Ave Maria")),
        ),
        sample(
            "encrypted-aes128-empty-password",
            "aes128.pdf",
            encrypted(Cipher::Aes128, ""),
            processed(2, Some("Ave Maria")),
        ),
        sample(
            "encrypted-aes256-empty-password",
            "aes256.pdf",
            encrypted(Cipher::Aes256, ""),
            processed(2, Some("Ave Maria")),
        ),
        sample(
            "encrypted-user-password",
            "locked.pdf",
            encrypted(Cipher::Aes128, "letmein"),
            Outcome::Refused("password"),
        ),
        sample(
            "info-pdfdocencoding",
            "fur_elise.pdf",
            classic(&ClassicOptions {
                // "Für Elise – Bagatelle" in PDFDocEncoding (ü = 0xFC, en dash = 0x85).
                info_title: Some(b"F\xFCr Elise \x85 Bagatelle".to_vec()),
                ..ClassicOptions::default()
            }),
            processed(2, Some("Für Elise – Bagatelle")),
        ),
        sample(
            "info-utf16be-bom",
            "gymnopedie.pdf",
            classic(&ClassicOptions {
                info_title: Some(utf16_be("Gymnopédie No. 1 — 三")),
                ..ClassicOptions::default()
            }),
            processed(2, Some("Gymnopédie No. 1 — 三")),
        ),
        sample(
            "info-raw-utf8",
            "clair_de_lune.pdf",
            classic(&ClassicOptions {
                info_title: Some(
                    "Clair de lune — Suite bergamasque, L. 75"
                        .as_bytes()
                        .to_vec(),
                ),
                ..ClassicOptions::default()
            }),
            processed(2, Some("Clair de lune — Suite bergamasque, L. 75")),
        ),
        sample(
            "info-mojibake",
            "etude_op10_no3.pdf",
            classic(&ClassicOptions {
                // UTF-8 read as Latin-1 by a careless producer, then stored as UTF-16.
                info_title: Some(utf16_be("Ã‰tude Op. 10 No. 3 Â« Tristesse Â»")),
                ..ClassicOptions::default()
            }),
            processed(2, Some("etude op10 no3")),
        ),
        sample(
            "xmp-only",
            "jesu.pdf",
            classic(&ClassicOptions {
                xmp: Some(xmp_packet(
                    "Jesu, Joy of Man’s Desiring &amp; Chorale",
                    "Johann Sebastian Bach",
                )),
                ..ClassicOptions::default()
            }),
            processed(2, Some("Jesu, Joy of Man’s Desiring & Chorale")),
        ),
        sample(
            "xmp-over-info",
            "scan0001.pdf",
            classic(&ClassicOptions {
                info_title: Some(b"Microsoft Word - scan0001.docx".to_vec()),
                xmp: Some(xmp_packet(
                    "Pavane pour une infante défunte",
                    "Maurice Ravel",
                )),
                ..ClassicOptions::default()
            }),
            processed(2, Some("Pavane pour une infante défunte")),
        ),
        sample(
            "first-page-heading",
            "IMG_2041.pdf",
            classic(&ClassicOptions {
                heading: Some("Sarabande in D minor"),
                info_title: Some(b"untitled".to_vec()),
                ..ClassicOptions::default()
            }),
            processed(2, Some("Sarabande in D minor")),
        ),
        sample(
            "image-only",
            "photographed_page.pdf",
            image_only(),
            processed(1, Some("photographed page")),
        ),
        sample(
            "rotated-and-mixed-sizes",
            "mixed.pdf",
            rotated_and_mixed(),
            processed(3, Some("mixed")),
        ),
        sample(
            "no-pages",
            "empty.pdf",
            no_pages(),
            Outcome::Refused("no page"),
        ),
        sample(
            "garbage-after-header",
            "garbage.pdf",
            garbage(),
            Outcome::Refused("could not be read"),
        ),
    ]
}

/// A hand-written PDF: objects in order, then a classic xref table.
struct Writer {
    out: Vec<u8>,
    offsets: BTreeMap<u32, usize>,
}

impl Writer {
    fn new(version: &str) -> Self {
        let mut out = format!("%PDF-{version}\n").into_bytes();
        out.extend_from_slice(b"%\xE2\xE3\xCF\xD3\n");
        Self {
            out,
            offsets: BTreeMap::new(),
        }
    }

    fn object(&mut self, id: u32, body: &str) {
        self.object_bytes(id, body.as_bytes());
    }

    fn object_bytes(&mut self, id: u32, body: &[u8]) {
        self.offsets.insert(id, self.out.len());
        self.out
            .extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
    }

    fn stream(&mut self, id: u32, dict: &str, data: &[u8]) {
        let mut body = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.object_bytes(id, &body);
    }

    /// An xref table of the objects `ids`, every offset (and `startxref`) moved by `shift`;
    /// then the trailer and `startxref`. Returns the table's offset.
    fn xref(&mut self, ids: &[u32], trailer: &str, shift: i64) -> usize {
        let start = self.out.len();
        let mut table = String::from("xref\n");
        if ids.first() == Some(&0) || ids.is_empty() {
            table.push_str("0 1\n0000000000 65535 f \n");
        }
        for &id in ids.iter().filter(|&&id| id != 0) {
            let offset = self.offsets[&id] as i64 + shift;
            let _ = write!(table, "{id} 1\n{offset:010} 00000 n \n");
        }
        let startxref = start as i64 + shift;
        let _ = write!(
            table,
            "trailer\n<< {trailer} >>\nstartxref\n{startxref}\n%%EOF\n"
        );
        self.out.extend_from_slice(table.as_bytes());
        start
    }

    fn ids(&self) -> Vec<u32> {
        std::iter::once(0)
            .chain(self.offsets.keys().copied())
            .collect()
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::from("<");
    for byte in bytes {
        let _ = write!(out, "{byte:02X}");
    }
    out.push('>');
    out
}

fn utf16_be(text: &str) -> Vec<u8> {
    let mut out = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
    out
}

/// A PDF literal string of ASCII text.
fn literal(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|ch| match ch {
            '(' | ')' | '\\' => vec!['\\', ch],
            _ => vec![ch],
        })
        .collect();
    format!("({escaped})")
}

/// The content of a notation page: an optional heading, staves, note heads.
fn page_content(heading: Option<&str>, number: u32, width: f32, height: f32) -> String {
    let mut ops = String::new();
    let mut top = height - 60.0;
    if let Some(heading) = heading {
        let _ = writeln!(ops, "BT /F1 20 Tf 60 {top} Td {} Tj ET", literal(heading));
        top -= 50.0;
    }
    ops.push_str("0.8 w\n");
    let mut staff = 0;
    while top > 80.0 {
        for line in 0..5 {
            let y = top - line as f32 * 8.0;
            let _ = writeln!(ops, "50 {y} m {} {y} l S", width - 50.0);
        }
        for note in 0..((width - 120.0) / 38.0) as u32 {
            let step = (note * 3 + staff + number) % 9;
            let y = top - 32.0 + step as f32 * 4.0 - 3.0;
            let _ = writeln!(ops, "{} {y} 7 6 re f", 80 + note * 38);
        }
        top -= 100.0;
        staff += 1;
    }
    ops
}

#[derive(Default)]
struct ClassicOptions {
    heading: Option<&'static str>,
    info_title: Option<Vec<u8>>,
    xmp: Option<String>,
    /// Every xref offset is off by this much (a careless edit).
    xref_shift: i64,
}

impl ClassicOptions {
    fn titled(title: &'static str) -> Self {
        Self {
            heading: Some(title),
            info_title: Some(title.as_bytes().to_vec()),
            ..Self::default()
        }
    }
}

/// Objects of a two-page A4 score: 1 catalog, 2 pages, 3 font, 4–5 page 1, 6–7 page 2,
/// 8 info (when there is a title), 9 XMP metadata (when given).
fn classic_objects(writer: &mut Writer, options: &ClassicOptions) -> String {
    let metadata = if options.xmp.is_some() {
        " /Metadata 9 0 R"
    } else {
        ""
    };
    writer.object(1, &format!("<< /Type /Catalog /Pages 2 0 R{metadata} >>"));
    writer.object(2, "<< /Type /Pages /Kids [4 0 R 6 0 R] /Count 2 >>");
    writer.object(
        3,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    );
    for (page, heading) in [(1u32, options.heading), (2, None)] {
        let page_id = 2 + page * 2;
        writer.object(
            page_id,
            &format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                page_id + 1
            ),
        );
        writer.stream(
            page_id + 1,
            "",
            page_content(heading, page, 595.0, 842.0).as_bytes(),
        );
    }
    let mut trailer = String::from("/Size 10 /Root 1 0 R");
    if let Some(title) = &options.info_title {
        writer.object(
            8,
            &format!("<< /Title {} /Producer (corpus) >>", hex(title)),
        );
        trailer.push_str(" /Info 8 0 R");
    }
    if let Some(xmp) = &options.xmp {
        writer.stream(9, "/Type /Metadata /Subtype /XML", xmp.as_bytes());
    }
    trailer
}

fn classic(options: &ClassicOptions) -> Vec<u8> {
    let mut writer = Writer::new("1.4");
    let trailer = classic_objects(&mut writer, options);
    let ids = writer.ids();
    writer.xref(&ids, &trailer, options.xref_shift);
    writer.out
}

/// A file cut short: the info dictionary half written, no xref table, no trailer.
fn truncated_tail() -> Vec<u8> {
    let mut writer = Writer::new("1.4");
    classic_objects(
        &mut writer,
        &ClassicOptions {
            info_title: Some(b"A title that is cut off in the middle".to_vec()),
            ..ClassicOptions::default()
        },
    );
    let cut = writer.offsets[&8] + 30;
    writer.out.truncate(cut);
    writer.out
}

/// A two-page draft, then an update appended: a third page and a new title.
fn incremental_update() -> Vec<u8> {
    let mut writer = Writer::new("1.4");
    let trailer = classic_objects(&mut writer, &ClassicOptions::titled("Draft"));
    let ids = writer.ids();
    let first_xref = writer.xref(&ids, &trailer, 0);
    writer.offsets.clear();
    writer.object(2, "<< /Type /Pages /Kids [4 0 R 6 0 R 10 0 R] /Count 3 >>");
    writer.object(
        10,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 11 0 R >>",
    );
    writer.stream(11, "", page_content(None, 3, 595.0, 842.0).as_bytes());
    writer.object(8, &format!("<< /Title {} >>", literal("Arabesque No. 1")));
    let ids: Vec<u32> = writer.offsets.keys().copied().collect();
    writer.xref(
        &ids,
        &format!("/Size 12 /Root 1 0 R /Info 8 0 R /Prev {first_xref}"),
        0,
    );
    writer.out
}

/// PDF 1.5: objects packed in object streams, a cross-reference stream.
fn object_streams() -> Vec<u8> {
    let bytes = engrave("Invention No. 8", "Johann Sebastian Bach", 3);
    let mut document = Document::load_mem(&bytes).expect("an engraved score loads");
    document.version = "1.5".into();
    let mut out = Vec::new();
    document
        .save_modern(&mut out)
        .expect("saving into memory works");
    out
}

/// A linearized ("fast web view") file: linearization dictionary, first-page xref section
/// at the start whose trailer points (`/Prev`) to the main xref at the end.
fn linearized() -> Vec<u8> {
    // Pass 1 lays out with placeholders of fixed width; pass 2 writes the real numbers.
    let mut numbers = [0usize; 4]; // L, first-page end (E), main xref (T), hint offset
    let mut result = Vec::new();
    for _ in 0..2 {
        let mut writer = Writer::new("1.6");
        writer.object(
            1,
            &format!(
                "<< /Linearized 1 /L {:010} /H [{:010} 20] /O 4 /E {:010} /N 2 /T {:010} >>",
                numbers[0], numbers[3], numbers[1], numbers[2]
            ),
        );
        // First-page xref section for objects 1–7; written with the offsets of pass 1.
        let first_xref_at = writer.out.len();
        let mut section = String::from("xref\n1 7\n");
        for id in 1..=7 {
            let _ = writeln!(section, "{:010} 00000 n ", result_offset(&result, id));
        }
        let _ = write!(
            section,
            "trailer\n<< /Size 11 /Root 2 0 R /Info 10 0 R /Prev {:010} >>\nstartxref\n0\n%%EOF\n",
            numbers[2]
        );
        writer.out.extend_from_slice(section.as_bytes());
        writer.object(2, "<< /Type /Catalog /Pages 3 0 R >>");
        writer.object(3, "<< /Type /Pages /Kids [4 0 R 8 0 R] /Count 2 >>");
        writer.object(
            4,
            "<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R >> >> /Contents 5 0 R >>",
        );
        writer.stream(
            5,
            "",
            page_content(Some("Fantasia in D minor"), 1, 595.0, 842.0).as_bytes(),
        );
        writer.object(6, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
        writer.stream(7, "/S 0", &[0u8; 20]);
        let first_page_end = writer.out.len();
        writer.object(
            8,
            "<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R >> >> /Contents 9 0 R >>",
        );
        writer.stream(9, "", page_content(None, 2, 595.0, 842.0).as_bytes());
        writer.object(
            10,
            &format!("<< /Title {} >>", literal("Fantasia in D minor")),
        );
        let main_xref = writer.out.len();
        let mut main = String::from("xref\n0 1\n0000000000 65535 f \n8 3\n");
        for id in 8..=10 {
            let _ = writeln!(main, "{:010} 00000 n ", writer.offsets[&id]);
        }
        let _ = write!(
            main,
            "trailer\n<< /Size 8 >>\nstartxref\n{first_xref_at}\n%%EOF\n"
        );
        writer.out.extend_from_slice(main.as_bytes());
        numbers = [
            writer.out.len(),
            first_page_end,
            main_xref,
            writer.offsets[&7],
        ];
        result = writer.out;
    }
    result
}

/// The offset of object `id` in a file written by [`Writer`] (0 when not found yet).
fn result_offset(file: &[u8], id: u32) -> usize {
    let needle = format!("\n{id} 0 obj\n");
    file.windows(needle.len())
        .position(|window| window == needle.as_bytes())
        .map_or(0, |at| at + 1)
}

enum Cipher {
    Rc4,
    Aes128,
    Aes256,
}

/// "Ave Maria", two pages, encrypted with `user_password` (owner password "owner").
fn encrypted(cipher: Cipher, user_password: &str) -> Vec<u8> {
    let bytes = engrave("Ave Maria", "Franz Schubert", 2);
    let mut document = Document::load_mem(&bytes).expect("an engraved score loads");
    document.trailer.set(
        "ID",
        vec![
            Object::string_literal(b"corpus-file-id-0".to_vec()),
            Object::string_literal(b"corpus-file-id-0".to_vec()),
        ],
    );
    let file_key = [7u8; 32];
    let version = match cipher {
        Cipher::Rc4 => EncryptionVersion::V2 {
            document: &document,
            owner_password: "owner",
            user_password,
            key_length: 128,
            permissions: Permissions::all(),
        },
        Cipher::Aes128 => {
            let filter: Arc<dyn CryptFilter> = Arc::new(Aes128CryptFilter);
            EncryptionVersion::V4 {
                document: &document,
                encrypt_metadata: true,
                crypt_filters: BTreeMap::from([(b"StdCF".to_vec(), filter)]),
                stream_filter: b"StdCF".to_vec(),
                string_filter: b"StdCF".to_vec(),
                owner_password: "owner",
                user_password,
                permissions: Permissions::all(),
            }
        }
        Cipher::Aes256 => {
            let filter: Arc<dyn CryptFilter> = Arc::new(Aes256CryptFilter);
            EncryptionVersion::V5 {
                encrypt_metadata: true,
                crypt_filters: BTreeMap::from([(b"StdCF".to_vec(), filter)]),
                file_encryption_key: &file_key,
                stream_filter: b"StdCF".to_vec(),
                string_filter: b"StdCF".to_vec(),
                owner_password: "owner",
                user_password,
                permissions: Permissions::all(),
            }
        }
    };
    let state = EncryptionState::try_from(version).expect("a valid encryption setup");
    document.encrypt(&state).expect("the document encrypts");
    let mut out = Vec::new();
    document
        .save_to(&mut out)
        .expect("saving into memory works");
    out
}

fn xmp_packet(title: &str, creator: &str) -> String {
    format!(
        r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="de-DE">Falsch</rdf:li><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{creator}</rdf:li></rdf:Seq></dc:creator>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#
    )
}

/// A grey-scale raster of a notation page (staves, note heads, a little scanner grain):
/// `width` × `height` bytes, 255 white.
pub fn notation_raster(width: usize, height: usize, seed: u32, grain: u8) -> Vec<u8> {
    let mut pixels = vec![255u8; width * height];
    let unit = (height / 400).max(1); // staff-line thickness, ~0.2 mm
    let gap = unit * 9;
    let margin = width / 12;
    let mut top = height / 8;
    let mut staff = 0u32;
    while top + gap * 5 < height - height / 10 {
        for line in 0..5 {
            let y = top + line * gap;
            for row in pixels[y * width..(y + unit) * width].chunks_mut(width) {
                row[margin..width - margin].fill(20);
            }
        }
        let mut x = margin + gap * 3;
        let mut note = 0u32;
        while x + gap * 2 < width - margin {
            let step = (note * 3 + staff + seed) % 9;
            let center_y = top + (step as usize * gap) / 2;
            let (rx, ry) = (gap * 6 / 10, gap / 2);
            for dy in 0..=ry * 2 {
                let y = center_y + dy - ry;
                for dx in 0..=rx * 2 {
                    let (fx, fy) = (
                        (dx as f32 - rx as f32) / rx as f32,
                        (dy as f32 - ry as f32) / ry as f32,
                    );
                    if fx * fx + fy * fy <= 1.0 {
                        pixels[y * width + x + dx - rx] = 15;
                    }
                }
            }
            // Stem.
            for y in center_y.saturating_sub(gap * 3)..center_y {
                for dx in 0..unit {
                    pixels[y * width + x + rx + dx] = 15;
                }
            }
            x += gap * 4;
            note += 1;
        }
        top += gap * 12;
        staff += 1;
    }
    if grain > 0 {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        for pixel in &mut pixels {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (state % u32::from(grain)) as u8;
            *pixel = pixel.saturating_sub(noise);
        }
    }
    pixels
}

/// A scanned score: `pages` pages of A4 at `dpi`, each a grey-scale JPEG of a notation page
/// (`distinct` different scans, repeated), no text. 100 pages at 300 dpi come to ~47 MB.
pub fn scanned_score(pages: u32, dpi: u32, distinct: u32) -> Vec<u8> {
    let (width, height) = ((8.27 * dpi as f32) as usize, (11.69 * dpi as f32) as usize);
    let scans: Vec<Vec<u8>> = (0..distinct.max(1))
        .map(|seed| {
            let raster = notation_raster(width, height, seed, SCAN_GRAIN);
            let mut jpeg = Vec::new();
            let encoder = jpeg_encoder::Encoder::new(&mut jpeg, 88);
            encoder
                .encode(
                    &raster,
                    width as u16,
                    height as u16,
                    jpeg_encoder::ColorType::Luma,
                )
                .expect("a grey-scale page encodes");
            jpeg
        })
        .collect();
    let mut writer = Writer::new("1.4");
    let kids: Vec<String> = (0..pages)
        .map(|page| format!("{} 0 R", 3 + page * 3))
        .collect();
    writer.object(1, "<< /Type /Catalog /Pages 2 0 R >>");
    writer.object(
        2,
        &format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        ),
    );
    for page in 0..pages {
        let id = 3 + page * 3;
        writer.object(
            id,
            &format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 {} 0 R >> >> /Contents {} 0 R >>",
                id + 1,
                id + 2
            ),
        );
        let scan = &scans[(page % distinct.max(1)) as usize];
        writer.stream(
            id + 1,
            &format!(
                "/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode"
            ),
            scan,
        );
        writer.stream(id + 2, "", b"q 595 0 0 842 0 0 cm /Im0 Do Q");
    }
    let ids = writer.ids();
    writer.xref(&ids, &format!("/Size {} /Root 1 0 R", 3 + pages * 3), 0);
    writer.out
}

/// Scanner grain of the generated scans (darkening of up to this much per pixel).
const SCAN_GRAIN: u8 = 4;

/// One page that is only a picture (an uncompressed grey-scale photo of a page).
fn image_only() -> Vec<u8> {
    let (width, height) = (210usize, 297usize);
    let raster = notation_raster(width, height, 3, 0);
    let mut writer = Writer::new("1.4");
    writer.object(1, "<< /Type /Catalog /Pages 2 0 R >>");
    writer.object(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    writer.object(
        3,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
    );
    writer.stream(
        4,
        &format!(
            "/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray /BitsPerComponent 8"
        ),
        &raster,
    );
    writer.stream(5, "", b"q 595 0 0 842 0 0 cm /Im0 Do Q");
    let ids = writer.ids();
    writer.xref(&ids, "/Size 6 /Root 1 0 R", 0);
    writer.out
}

/// Page 1 A4 rotated a quarter turn, page 2 US Letter, page 3 A3 landscape with a crop box.
fn rotated_and_mixed() -> Vec<u8> {
    let mut writer = Writer::new("1.4");
    writer.object(1, "<< /Type /Catalog /Pages 2 0 R >>");
    writer.object(2, "<< /Type /Pages /Kids [3 0 R 5 0 R 7 0 R] /Count 3 >>");
    let pages = [
        (3u32, 595.0f32, 842.0f32, " /Rotate 90"),
        (5, 612.0, 792.0, ""),
        (7, 1191.0, 842.0, " /CropBox [20 20 1171 822]"),
    ];
    for (number, (id, width, height, extra)) in pages.into_iter().enumerate() {
        writer.object(
            id,
            &format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}]{extra} /Contents {} 0 R >>",
                id + 1
            ),
        );
        writer.stream(
            id + 1,
            "",
            page_content(None, number as u32, width, height).as_bytes(),
        );
    }
    let ids = writer.ids();
    writer.xref(&ids, "/Size 9 /Root 1 0 R", 0);
    writer.out
}

/// A well-formed file whose page tree is empty.
fn no_pages() -> Vec<u8> {
    let mut writer = Writer::new("1.4");
    writer.object(1, "<< /Type /Catalog /Pages 2 0 R >>");
    writer.object(2, "<< /Type /Pages /Kids [] /Count 0 >>");
    let ids = writer.ids();
    writer.xref(&ids, "/Size 3 /Root 1 0 R", 0);
    writer.out
}

/// A PDF header followed by bytes that are no PDF at all.
fn garbage() -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut state = 0x1234_5678u32;
    for _ in 0..4096 {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        out.push((state % 251) as u8);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scores::import::title_from_name;
    use crate::scores::pdf::{PdfFile, THUMBNAIL_WIDTH};
    use crate::scores::title::{TitleCandidates, choose_title};

    /// Share of pixels of a PNG darker than light grey (0 for a blank page).
    pub fn ink(png: &[u8]) -> f64 {
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        let channels = info.color_type.samples();
        let pixels = &pixels[..info.buffer_size()];
        let dark = pixels
            .chunks(channels)
            .filter(|pixel| pixel.iter().take(3).any(|&value| value < 200))
            .count();
        dark as f64 / (pixels.len() / channels) as f64
    }

    #[test]
    fn every_sample_is_processed_or_refused_as_expected() {
        for sample in samples() {
            let opened = PdfFile::open(sample.bytes.clone());
            match (&sample.outcome, opened) {
                (Outcome::Processed { pages, title }, Ok(file)) => {
                    let facts = file.facts();
                    assert_eq!(facts.page_count, *pages, "{}", sample.name);
                    let thumbnail = file
                        .render_page_png(1, THUMBNAIL_WIDTH)
                        .unwrap_or_else(|err| panic!("{}: thumbnail: {err}", sample.name));
                    assert_eq!(thumbnail.width, THUMBNAIL_WIDTH, "{}", sample.name);
                    let ink = ink(&thumbnail.png);
                    assert!(ink > 0.005, "{}: blank thumbnail ({ink})", sample.name);
                    if let Some(title) = title {
                        let (chosen, _) = choose_title(&TitleCandidates {
                            embedded: facts.title.clone(),
                            first_page: facts.first_page_heading.clone(),
                            file_name: title_from_name(sample.file_name).unwrap(),
                            ..TitleCandidates::default()
                        });
                        assert_eq!(&chosen, title, "{}: {facts:?}", sample.name);
                    }
                }
                (Outcome::Refused(reason), Err(err)) => {
                    assert!(
                        err.to_string().contains(reason),
                        "{}: {err} does not say {reason}",
                        sample.name
                    );
                }
                (expected, got) => panic!(
                    "{}: expected {expected:?}, got {:?}",
                    sample.name,
                    got.map(|file| file.facts())
                ),
            }
        }
    }

    #[test]
    fn the_damaged_samples_really_are_damaged() {
        let all = samples();
        let bytes = |name: &str| &all.iter().find(|sample| sample.name == name).unwrap().bytes;
        // A strict reader gives up on these; processing must repair them.
        for name in ["broken-xref-offsets", "truncated-tail"] {
            assert!(Document::load_mem(bytes(name)).is_err(), "{name}");
        }
        for name in [
            "encrypted-rc4-empty-password",
            "encrypted-aes128-empty-password",
            "encrypted-aes256-empty-password",
            "encrypted-user-password",
        ] {
            let file = bytes(name);
            assert!(
                file.windows(8).any(|window| window == b"/Encrypt"),
                "{name}"
            );
            assert!(
                !file.windows(9).any(|window| window == b"Ave Maria"),
                "{name}"
            );
        }
        let modern = bytes("xref-and-object-streams");
        assert!(modern.windows(7).any(|window| window == b"/ObjStm"));
        assert!(modern.windows(5).any(|window| window == b"/XRef"));
        assert!(
            bytes("linearized")
                .windows(11)
                .any(|window| window == b"/Linearized")
        );
        assert!(
            bytes("incremental-update")
                .windows(5)
                .filter(|window| window == b"%%EOF")
                .count()
                == 2
        );
    }

    #[test]
    fn rotation_and_page_sizes_shape_the_thumbnail() {
        let file = PdfFile::open(rotated_and_mixed()).unwrap();
        // A4 a quarter turn: landscape.
        let first = file.render_page_png(1, 400).unwrap();
        assert!((281..=285).contains(&first.height), "{}", first.height);
        let letter = file.render_page_png(2, 400).unwrap();
        assert!((516..=520).contains(&letter.height), "{}", letter.height);
        // The crop box, not the media box.
        let cropped = file.render_page_png(3, 400).unwrap();
        assert!((278..=282).contains(&cropped.height), "{}", cropped.height);
    }

    #[test]
    fn a_small_scan_is_read_and_its_first_page_drawn() {
        let pdf = scanned_score(3, 100, 2);
        let file = PdfFile::open(pdf).unwrap();
        let facts = file.facts();
        assert_eq!(facts.page_count, 3);
        assert_eq!(facts.title, None);
        assert_eq!(facts.first_page_heading, None);
        let thumbnail = file.render_page_png(1, THUMBNAIL_WIDTH).unwrap();
        assert!(ink(&thumbnail.png) > 0.01);
    }
}
