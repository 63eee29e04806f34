//! A minimal SVG writer: just enough to keep the renderers readable.

use std::fmt::Write;

use crate::theme::Theme;

pub(crate) struct Svg {
    out: String,
}

impl Svg {
    pub(crate) fn new(width: u32, height: u32, theme: Theme, class: &str, label: &str) -> Self {
        let mut out = String::with_capacity(8 * 1024);
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart {class}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{}">"#,
            escape(label),
        );
        let mut svg = Svg { out };
        if theme.embeds_style() {
            let _ = write!(svg.out, "<style>{}</style>", theme.stylesheet());
            let _ = write!(
                svg.out,
                r#"<rect class="bg" width="{width}" height="{height}"/>"#
            );
        }
        svg
    }

    pub(crate) fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, class: &str) {
        let _ = write!(
            self.out,
            r#"<line class="{class}" x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
            n(x1),
            n(y1),
            n(x2),
            n(y2)
        );
    }

    /// `anchor` is `start`, `middle` or `end`.
    pub(crate) fn text(&mut self, x: f64, y: f64, anchor: &str, class: &str, text: &str) {
        let class = if class.is_empty() {
            String::new()
        } else {
            format!(r#" class="{class}""#)
        };
        let _ = write!(
            self.out,
            r#"<text{class} x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
            n(x),
            n(y),
            escape(text)
        );
    }

    /// A rectangle with an optional hover tooltip.
    pub(crate) fn rect(
        &mut self,
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        class: &str,
        title: Option<&str>,
    ) {
        let _ = write!(
            self.out,
            r#"<rect class="{class}" x="{}" y="{}" width="{}" height="{}""#,
            n(x),
            n(y),
            n(w.max(0.0)),
            n(h.max(0.0))
        );
        self.close_with_title(title, "rect");
    }

    pub(crate) fn path(&mut self, d: &str, class: &str, extra: &str, title: Option<&str>) {
        let _ = write!(self.out, r#"<path class="{class}" d="{d}"{extra}"#);
        self.close_with_title(title, "path");
    }

    pub(crate) fn circle(
        &mut self,
        cx: f64,
        cy: f64,
        r: f64,
        class: &str,
        extra: &str,
        title: Option<&str>,
    ) {
        let _ = write!(
            self.out,
            r#"<circle class="{class}" cx="{}" cy="{}" r="{}"{extra}"#,
            n(cx),
            n(cy),
            n(r)
        );
        self.close_with_title(title, "circle");
    }

    fn close_with_title(&mut self, title: Option<&str>, tag: &str) {
        match title {
            Some(t) => {
                let _ = write!(self.out, "><title>{}</title></{tag}>", escape(t));
            }
            None => self.out.push_str("/>"),
        }
    }

    /// Opens a `<g>` whose tooltip is `title`; close it with [`Svg::close_group`].
    pub(crate) fn open_group(&mut self, class: &str, title: &str) {
        let _ = write!(
            self.out,
            r#"<g class="{class}"><title>{}</title>"#,
            escape(title)
        );
    }

    pub(crate) fn close_group(&mut self) {
        self.out.push_str("</g>");
    }

    pub(crate) fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

/// A coordinate with one decimal: enough for a pixel grid, and stable for snapshots.
pub(crate) fn n(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// `text` safe inside HTML or SVG text and attribute values (the five characters that could
/// end them or start markup, as entities).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The width a label takes at 11 px: a deliberate over-estimate (0.62 em per character), so
/// labels judged not to overlap really do not, whatever sans-serif font draws them.
pub(crate) fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * 6.8
}
