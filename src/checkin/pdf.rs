//! What the badges and the certificates share: the embedded font (DejaVu Sans, its licence in
//! `fonts/`), text measured so that it shrinks or wraps instead of running off the paper, QR
//! codes drawn as vector squares, and A4. krilla writes the PDF and embeds the font's subset.

use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use skrifa::instance::{LocationRef, Size};
use skrifa::MetadataProvider;
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;

static REGULAR: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("fonts/DejaVuSans-Bold.ttf");

/// A4 in points.
pub const A4: (f32, f32) = (595.28, 841.89);
pub const MM: f32 = 72.0 / 25.4;

/// One face of the font: for krilla to draw with, and its bytes to measure with.
#[derive(Clone)]
pub struct Face {
    pub font: Font,
    bytes: &'static [u8],
}

impl Face {
    fn load(bytes: &'static [u8]) -> Self {
        Self {
            font: Font::new(krilla::Data::from(bytes), 0).expect("the embedded font parses"),
            bytes,
        }
    }

    pub fn regular() -> &'static Face {
        static FACE: OnceLock<Face> = OnceLock::new();
        FACE.get_or_init(|| Self::load(REGULAR))
    }

    pub fn bold() -> &'static Face {
        static FACE: OnceLock<Face> = OnceLock::new();
        FACE.get_or_init(|| Self::load(BOLD))
    }

    /// How wide `text` runs at `size` points (advances, without kerning: a little generous).
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(font) = skrifa::FontRef::new(self.bytes) else {
            return 0.0;
        };
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
        // A character the font lacks is drawn as its empty box, which takes room too.
        let missing = metrics
            .advance_width(skrifa::GlyphId::NOTDEF)
            .unwrap_or(size * 0.6);
        text.chars()
            .map(|c| {
                charmap
                    .map(c)
                    .and_then(|glyph| metrics.advance_width(glyph))
                    .unwrap_or(missing)
            })
            .sum()
    }
}

/// Text as it is drawn: composed (a name typed as "e" and a combining accent reads as "é"),
/// control characters dropped.
pub fn printable(text: &str) -> String {
    text.nfc().filter(|c| !c.is_control()).collect()
}

/// Splits `text` into lines no wider than `width` at `size`, at spaces; a word wider than the
/// line stays whole on its own line (the caller shrinks until none is).
pub fn wrap(face: &Face, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if face.width(&candidate, size) <= width || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Text fitted to a box: the largest size from `largest` down at which it takes at most
/// `max_lines` lines, each within `width`. Nothing is ever cut: a long name gets smaller.
pub fn fit(
    face: &Face,
    text: &str,
    width: f32,
    largest: f32,
    max_lines: usize,
) -> (f32, Vec<String>) {
    let mut size = largest;
    loop {
        let lines = wrap(face, text, size, width);
        let fits =
            lines.len() <= max_lines && lines.iter().all(|line| face.width(line, size) <= width);
        if fits || size <= 4.0 {
            return (size, lines);
        }
        size -= 0.5;
    }
}

/// Draws one line of text with its baseline's left end at (x, y), in `face`.
pub fn text(surface: &mut Surface<'_>, face: &Face, size: f32, x: f32, y: f32, line: &str) {
    surface.draw_text(
        Point::from_xy(x, y),
        face.font.clone(),
        size,
        line,
        false,
        TextDirection::Auto,
    );
}

/// Draws one line centred on `centre`.
pub fn centred(surface: &mut Surface<'_>, face: &Face, size: f32, centre: f32, y: f32, line: &str) {
    let x = centre - face.width(line, size) / 2.0;
    text(surface, face, size, x, y, line);
}

/// A grey of `level` (0 black, 255 white) to fill text and shapes with.
pub fn fill(level: u8) -> Fill {
    Fill {
        paint: krilla::color::rgb::Color::new(level, level, level).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

/// A thin line.
pub fn line(surface: &mut Surface<'_>, from: (f32, f32), to: (f32, f32), width: f32) {
    let mut path = PathBuilder::new();
    path.move_to(from.0, from.1);
    path.line_to(to.0, to.1);
    if let Some(path) = path.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            width,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
    }
}

/// A QR code of `data`, `side` points wide, its top left corner at (x, y): one square per dark
/// module, joined along each row, as vectors (sharp at any printer's resolution).
pub fn qr(surface: &mut Surface<'_>, data: &str, x: f32, y: f32, side: f32) {
    let Ok(code) = qrcode::QrCode::new(data.as_bytes()) else {
        return;
    };
    let width = code.width();
    let module = side / width as f32;
    let dark = code.to_colors();
    let mut path = PathBuilder::new();
    for row in 0..width {
        let mut column = 0;
        while column < width {
            if dark[row * width + column] == qrcode::Color::Dark {
                let start = column;
                while column < width && dark[row * width + column] == qrcode::Color::Dark {
                    column += 1;
                }
                if let Some(rect) = Rect::from_xywh(
                    x + start as f32 * module,
                    y + row as f32 * module,
                    (column - start) as f32 * module,
                    module,
                ) {
                    path.push_rect(rect);
                }
            } else {
                column += 1;
            }
        }
    }
    if let Some(path) = path.finish() {
        surface.set_stroke(None);
        surface.set_fill(Some(fill(0)));
        surface.draw_path(&path);
    }
}

/// A new PDF document titled `title`.
pub fn document(title: &str) -> krilla::Document {
    let mut document = krilla::Document::new();
    document.set_metadata(
        krilla::metadata::Metadata::new()
            .title(title.to_owned())
            .creator("Convene".to_owned()),
    );
    document
}

/// The document's bytes.
pub fn finish(document: krilla::Document) -> anyhow::Result<Vec<u8>> {
    document
        .finish()
        .map_err(|error| anyhow::anyhow!("the PDF could not be written: {error:?}"))
}

/// The page settings of an A4 page.
pub fn a4() -> krilla::page::PageSettings {
    krilla::page::PageSettings::from_wh(A4.0, A4.1).expect("A4 is a valid size")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_shrink_and_wrap_but_are_never_cut() {
        let face = Face::bold();
        let name = "María de los Ángeles Hernández Villalobos de la Santísima Trinidad";
        let (size, lines) = fit(face, name, 200.0, 22.0, 2);
        assert!(size < 22.0);
        assert_eq!(lines.join(" "), name, "every word is kept");
        assert!(lines.iter().all(|line| face.width(line, size) <= 200.0));
        let (size, lines) = fit(face, "Ana Peña", 200.0, 22.0, 2);
        assert_eq!(
            (size, lines.len()),
            (22.0, 1),
            "a short name keeps the largest size"
        );
    }

    #[test]
    fn characters_the_font_lacks_still_take_room() {
        let face = Face::regular();
        let cjk = "李".repeat(60);
        assert!(face.width(&cjk, 10.0) > 200.0);
        let (size, lines) = fit(face, &format!("{cjk} {}", "王".repeat(60)), 200.0, 22.0, 2);
        assert!(size < 22.0 && lines.iter().all(|line| face.width(line, size) <= 200.0));
    }

    #[test]
    fn decomposed_accents_are_composed() {
        assert_eq!(printable("Pe\u{0301}rez\u{7}"), "Pérez");
    }
}
