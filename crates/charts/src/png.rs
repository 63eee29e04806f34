//! Rasterising a chart with resvg, for the board's PNG export and for email.

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error("the SVG could not be read: {0}")]
    Parse(#[from] usvg::Error),
    #[error("the image would be {width}×{height} pixels, which is empty or too large")]
    Size { width: u32, height: u32 },
    #[error("the PNG could not be encoded: {0}")]
    Encode(String),
}

/// The largest side rendered, so a hostile or mistaken size cannot exhaust memory.
const MAX_SIDE: u32 = 8192;

/// Sans-serif families tried, in order, for text; fontdb's own default (Arial) is rarely
/// installed on a Linux server.
const SANS: [&str; 4] = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial"];

/// System fonts, read once per process: scanning the font folders costs tens of milliseconds.
fn fonts() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_system_fonts();
        let families: Vec<String> = db
            .faces()
            .flat_map(|f| f.families.iter().map(|(name, _)| name.clone()))
            .collect();
        if let Some(sans) = SANS
            .iter()
            .find(|want| families.iter().any(|f| f == *want))
            .map(|s| (*s).to_owned())
            .or_else(|| families.first().cloned())
        {
            db.set_sans_serif_family(sans);
        }
        Arc::new(db)
    })
    .clone()
}

/// How many font faces the rasteriser found; with none, text is not drawn.
pub fn font_count() -> usize {
    fonts().len()
}

/// A chart drawn for the page ([`crate::Theme::Css`]) relies on the page's stylesheet; give
/// it the light one so it rasterises in colour.
fn with_style(svg: &str) -> std::borrow::Cow<'_, str> {
    if svg.contains("<style>") {
        return std::borrow::Cow::Borrowed(svg);
    }
    match svg.find('>') {
        Some(end) if svg.starts_with("<svg") => std::borrow::Cow::Owned(format!(
            "{}<style>{}</style>{}",
            &svg[..=end],
            crate::Theme::Light.stylesheet(),
            &svg[end + 1..]
        )),
        _ => std::borrow::Cow::Borrowed(svg),
    }
}

/// Replaces each `var(--name,fallback)` by its fallback: resvg does not resolve custom
/// properties, so a chart drawn for the page ([`crate::Theme::Css`]) rasterises in its light
/// fallback colours instead of black.
fn without_css_variables(svg: &str) -> std::borrow::Cow<'_, str> {
    if !svg.contains("var(--") {
        return std::borrow::Cow::Borrowed(svg);
    }
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(at) = rest.find("var(--") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        match (tail.find(','), tail.find(')')) {
            (Some(comma), Some(close)) if comma < close => {
                out.push_str(tail[comma + 1..close].trim());
                rest = &tail[close + 1..];
            }
            _ => {
                out.push_str(tail);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// The chart as a PNG at `scale` × its SVG size (2.0 for a sharp image on a dense screen).
pub fn png(svg: &str, scale: f32) -> Result<Vec<u8>, PngError> {
    let options = usvg::Options {
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let svg = with_style(svg);
    let tree = usvg::Tree::from_str(&without_css_variables(&svg), &options)?;
    let size = tree.size();
    let width = (size.width() * scale).ceil() as u32;
    let height = (size.height() * scale).ceil() as u32;
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(PngError::Size { width, height });
    }
    let mut pixmap =
        tiny_skia::Pixmap::new(width, height).ok_or(PngError::Size { width, height })?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| PngError::Encode(e.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn css_variables_become_their_fallbacks() {
        assert_eq!(
            super::without_css_variables(
                ".f0{fill:var(--chart-1,#2563eb)}.x{stroke:var(--a, #fff)}"
            ),
            ".f0{fill:#2563eb}.x{stroke:#fff}"
        );
        assert_eq!(super::without_css_variables("plain"), "plain");
    }
}
