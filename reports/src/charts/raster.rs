//! Text for the PNG charts. Plotters' own ab_glyph text renderer drops each
//! glyph's left side bearing ("1 24 ms" instead of "124 ms") and places
//! the baseline differently from its SVG backend. `GlyphText` wraps the
//! bitmap backend, delegates all drawing to it, and lays out text itself
//! with the embedded font: kerning, bearings, and the same em size and
//! baseline as the SVG (font-size = size / 1.24, `dy` 0.76em / 0.5ex).
//! `text_width` measures with the same layout, for the charts' own layout.

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

use super::style::FONT_BYTES;

/// DejaVu Sans' x-height as a fraction of its em (1120 / 2048 units).
const X_HEIGHT_EM: f32 = 0.547;

fn font() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok())
        .as_ref()
}

/// The em of plotters' text `size`, in pixels, as its SVG backend writes it.
fn em_px(size: f64) -> f32 {
    (size / 1.24) as f32
}

fn px_scale(font: &FontRef, em: f32) -> PxScale {
    let units_per_em = font.units_per_em().unwrap_or(2048.0);
    PxScale::from(em * font.height_unscaled() / units_per_em)
}

/// Glyphs of `text` laid out on a baseline at y = 0 from x = 0, and the
/// advance width.
fn layout(font: &FontRef<'static>, size: f64, text: &str) -> (Vec<ab_glyph::Glyph>, f32) {
    let scale = px_scale(font, em_px(size));
    let scaled = font.as_scaled(scale);
    let mut caret = 0.0f32;
    let mut previous = None;
    let mut glyphs = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(before) = previous {
            caret += scaled.kern(before, id);
        }
        glyphs.push(id.with_scale_and_position(scale, point(caret, 0.0)));
        caret += scaled.h_advance(id);
        previous = Some(id);
    }
    (glyphs, caret)
}

/// Width in pixels of `text` at plotters' `size`, as both the SVG (with
/// the embedded font) and the PNG draw it.
pub fn text_width(text: &str, size: f64) -> i32 {
    match font() {
        Some(font) => layout(font, size, text).1.ceil() as i32,
        None => (text.chars().count() as f64 * size * 0.5) as i32,
    }
}

/// A bitmap backend whose text is drawn by `layout`.
pub struct GlyphText<'a> {
    pub inner: BitMapBackend<'a>,
}

type Error = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

impl DrawingBackend for GlyphText<'_> {
    type ErrorType = Error;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.fill_polygon(vert, style)
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Error>> {
        let em = em_px(style.size());
        Ok((
            text_width(text, style.size()).max(0) as u32,
            em.ceil() as u32,
        ))
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Error>> {
        let colour = style.color();
        let Some(font) = font() else {
            // Without the font (never: it is compiled in), plotters draws.
            return self.inner.draw_text(text, style, pos);
        };
        if colour.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let em = em_px(style.size());
        let (glyphs, width) = layout(font, style.size(), text);
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        let baseline = match anchor.v_pos {
            VPos::Top => 0.76 * em,
            VPos::Center => 0.5 * X_HEIGHT_EM * em,
            VPos::Bottom => -0.5 * X_HEIGHT_EM * em,
        };
        let transform = style.transform();
        let mut pixels = Vec::new();
        for mut glyph in glyphs {
            glyph.position.x += dx;
            glyph.position.y += baseline;
            if let Some(outline) = font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                let (left, top) = (bounds.min.x as i32, bounds.min.y as i32);
                outline.draw(|x, y, coverage| {
                    pixels.push((left + x as i32, top + y as i32, coverage));
                });
            }
        }
        for (rx, ry, coverage) in pixels {
            if coverage <= 0.0 {
                continue;
            }
            let (tx, ty) = transform.transform(rx, ry);
            let pixel_colour = BackendColor {
                alpha: colour.alpha * f64::from(coverage.min(1.0)),
                rgb: colour.rgb,
            };
            self.inner
                .draw_pixel((pos.0 + tx, pos.1 + ty), pixel_colour)?;
        }
        Ok(())
    }
}
