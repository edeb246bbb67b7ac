//! A check-in code as a QR code: SVG for pages (drawn inline, so the strict policy holds) and
//! PNG for email (an inline image; mail readers do not show SVG).

use qrcode::render::svg;
use qrcode::{Color, QrCode};

/// Pixels a module in the PNG, and modules of white around the code (the standard's quiet
/// zone, which scanners need).
const SCALE: usize = 8;
const QUIET: usize = 4;

/// The code as an `<svg>` element, scaled by its container.
pub fn svg(code: &str) -> String {
    match QrCode::new(code.as_bytes()) {
        Ok(qr) => qr
            .render::<svg::Color<'_>>()
            .quiet_zone(true)
            .min_dimensions(160, 160)
            .build()
            // Only the element: the page is HTML, not an SVG document.
            .split_once("<svg")
            .map(|(_, rest)| format!("<svg role=\"img\"{rest}"))
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The code as a black-and-white PNG.
pub fn png(code: &str) -> anyhow::Result<Vec<u8>> {
    let qr = QrCode::new(code.as_bytes())?;
    let modules = qr.width();
    let side = (modules + 2 * QUIET) * SCALE;
    let dark = qr.to_colors();
    let mut pixels = vec![255u8; side * side];
    for y in 0..modules {
        for x in 0..modules {
            if dark[y * modules + x] == Color::Dark {
                for dy in 0..SCALE {
                    let row = (y + QUIET) * SCALE + dy;
                    let start = row * side + (x + QUIET) * SCALE;
                    pixels[start..start + SCALE].fill(0);
                }
            }
        }
    }
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, side as u32, side as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_png_is_a_square_image_and_the_svg_an_element() {
        let bytes = png("7KQ2MXH4PAR9TDW3C5EF").unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.width, info.height);
        assert_eq!(info.width as usize % SCALE, 0);
        let svg = svg("7KQ2MXH4PAR9TDW3C5EF");
        assert!(svg.starts_with("<svg role=\"img\""), "{svg}");
        assert!(!svg.contains("<?xml"));
    }
}
