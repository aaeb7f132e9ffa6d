//! The hard-PDF corpus for the black-box tests and the benchmark: the small samples of
//! `mirubato_core::scores::corpus`, and one large 300-dpi scan generated once per process
//! (it takes a few seconds and ~47 MB; every test of a binary shares it).

use std::sync::OnceLock;

pub use mirubato_core::scores::corpus::{Outcome, Sample, samples, scanned_score};

/// Pages of the large scan.
pub const LARGE_SCAN_PAGES: u32 = 100;

/// A 100-page, 300-dpi scanned score (grey-scale JPEG pages, no text), ~47 MB: near the
/// 50 MB import limit. Generated on first use, then shared.
pub fn large_scan() -> &'static [u8] {
    static SCAN: OnceLock<Vec<u8>> = OnceLock::new();
    SCAN.get_or_init(|| scanned_score(LARGE_SCAN_PAGES, 300, 4))
}

/// Share of the pixels of a PNG that are darker than light grey: 0 for a blank page.
pub fn ink(png_bytes: &[u8]) -> f64 {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a PNG of a sane size")];
    let info = reader.next_frame(&mut pixels).expect("a PNG frame");
    let channels = info.color_type.samples();
    let pixels = &pixels[..info.buffer_size()];
    let dark = pixels
        .chunks(channels)
        .filter(|pixel| pixel.iter().take(3).any(|&value| value < 200))
        .count();
    dark as f64 / (pixels.len() / channels).max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_large_scan_is_near_the_import_limit() {
        let scan = large_scan();
        let megabytes = scan.len() as f64 / 1_048_576.0;
        println!("large scan: {megabytes:.1} MB");
        assert!((30.0..50.0).contains(&megabytes), "{megabytes:.1} MB");
    }
}
