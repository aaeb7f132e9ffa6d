//! Small, real PDFs of notation-like pages (a title, the composer, staves with note heads),
//! made by the project itself: the seed library of local development and the tests' fixtures.

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};

/// Staves per page, and lines per staff.
const STAVES_PER_PAGE: i64 = 6;
const STAFF_LINES: i64 = 5;

/// A PDF of `pages` A4 pages: the title and composer on top of page 1 and in the document
/// info, then staves with a few note heads on every page.
pub fn engrave(title: &str, composer: &str, pages: u32) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut kids = Vec::new();
    for number in 1..=pages.max(1) {
        let mut operations = Vec::new();
        let heading = if number == 1 {
            vec![
                (title.to_string(), 22, 790),
                (composer.to_string(), 12, 766),
            ]
        } else {
            vec![(format!("{title} ({number})"), 12, 800)]
        };
        for (text, size, y) in heading {
            operations.extend([
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), size.into()]),
                Operation::new("Td", vec![72.into(), y.into()]),
                Operation::new("Tj", vec![Object::string_literal(text)]),
                Operation::new("ET", vec![]),
            ]);
        }
        operations.push(Operation::new("w", vec![0.8.into()]));
        for staff in 0..STAVES_PER_PAGE {
            let top = 720 - staff * 110;
            for line in 0..STAFF_LINES {
                let y = top - line * 8;
                operations.push(Operation::new("m", vec![60.into(), y.into()]));
                operations.push(Operation::new("l", vec![535.into(), y.into()]));
                operations.push(Operation::new("S", vec![]));
            }
            // Note heads: filled squares whose height on the staff follows the page and staff.
            for note in 0..12 {
                let x = 90 + note * 38;
                let step = (note * 3 + staff + i64::from(number)) % 9;
                let y = top - 32 + step * 4 - 3;
                operations.push(Operation::new(
                    "re",
                    vec![x.into(), y.into(), 7.into(), 6.into()],
                ));
                operations.push(Operation::new("f", vec![]));
            }
        }
        let content = Content { operations };
        let encoded = content.encode().unwrap_or_default();
        let content_id = doc.add_object(Stream::new(dictionary! {}, encoded));
        kids.push(Object::from(doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        })));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    let info_id = doc.add_object(dictionary! {
        "Title" => Object::string_literal(title),
        "Author" => Object::string_literal(composer),
        "Subject" => Object::string_literal("Sheet music"),
    });
    doc.trailer.set("Root", catalog_id);
    doc.trailer.set("Info", info_id);
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = doc.save_to(&mut out);
    out
}

/// A work of the seed library.
pub struct SeedWork {
    /// Stable id, so seeding twice changes nothing.
    pub id: &'static str,
    pub title: &'static str,
    pub composer: &'static str,
    pub pages: u32,
    /// The featured platform collection it belongs to (see the scores migrations).
    pub collection: &'static str,
}

/// Public-domain works the local seed library engraves.
pub const SEED_WORKS: &[SeedWork] = &[
    SeedWork {
        id: "score_seed_petzold_minuet_g",
        title: "Minuet in G major, BWV Anh. 114",
        composer: "Christian Petzold",
        pages: 1,
        collection: "featured-piano-beginner",
    },
    SeedWork {
        id: "score_seed_bach_prelude_c",
        title: "Prelude in C major, BWV 846",
        composer: "Johann Sebastian Bach",
        pages: 2,
        collection: "featured-baroque",
    },
    SeedWork {
        id: "score_seed_mozart_k545",
        title: "Sonata in C major, K. 545",
        composer: "Wolfgang Amadeus Mozart",
        pages: 3,
        collection: "featured-piano-beginner",
    },
    SeedWork {
        id: "score_seed_chopin_prelude_e_minor",
        title: "Prelude in E minor, Op. 28 No. 4",
        composer: "Frederic Chopin",
        pages: 1,
        collection: "featured-piano-beginner",
    },
    SeedWork {
        id: "score_seed_tarrega_lagrima",
        title: "Lagrima",
        composer: "Francisco Tarrega",
        pages: 1,
        collection: "featured-guitar",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score_id::normalize_existing_score_id;

    #[test]
    fn seed_works_are_real_pdfs_with_canonical_ids() {
        for work in SEED_WORKS {
            let pdf = engrave(work.title, work.composer, work.pages);
            let facts = crate::scores::pdf::inspect(&pdf).unwrap();
            assert_eq!(facts.page_count, work.pages);
            assert_eq!(facts.title.as_deref(), Some(work.title));
            assert_eq!(normalize_existing_score_id(work.id), work.id);
        }
    }
}
