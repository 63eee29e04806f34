//! Chart colours. On the page every colour is a CSS custom property with a fallback, so the
//! stylesheet's light and dark themes recolour charts without re-rendering; a rasterised chart
//! gets literal colours, because resvg does not resolve `var()`.

/// Which colours a chart's embedded stylesheet uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// `var(--chart-…, fallback)`: follows the page's stylesheet.
    #[default]
    Css,
    /// Literal light colours (PNG export, email).
    Light,
    /// Literal dark colours.
    Dark,
}

/// Distinguishable in both themes and for the common colour-vision deficiencies (blue/orange
/// first, red and green never adjacent).
const LIGHT: [&str; 8] = [
    "#2563eb", "#ea580c", "#0d9488", "#c026d3", "#ca8a04", "#4f46e5", "#dc2626", "#64748b",
];
const DARK: [&str; 8] = [
    "#60a5fa", "#fb923c", "#2dd4bf", "#e879f9", "#facc15", "#a5b4fc", "#f87171", "#94a3b8",
];

/// How many series colours there are before they repeat.
pub const PALETTE_LEN: usize = LIGHT.len();

/// The non-series roles: (CSS property, light, dark).
const ROLES: [(&str, &str, &str, &str); 4] = [
    ("text", "--chart-text", "#1f2937", "#e5e7eb"),
    ("muted", "--chart-muted", "#6b7280", "#9ca3af"),
    ("grid", "--chart-grid", "#e5e7eb", "#374151"),
    ("bg", "--chart-bg", "#ffffff", "#111827"),
];

impl Theme {
    fn colour(self, property: &str, light: &str, dark: &str) -> String {
        match self {
            Theme::Css => format!("var({property},{light})"),
            Theme::Light => light.to_owned(),
            Theme::Dark => dark.to_owned(),
        }
    }

    /// The rules every chart needs: `.fN`/`.sN` fill and stroke series N, and named classes
    /// for text, grid lines and the background, all under `.chart` so they touch nothing else
    /// on a page. A page serves [`Theme::Css`]'s from its own stylesheet (a strict
    /// Content-Security-Policy refuses `<style>` inside inline SVG); the literal themes embed
    /// theirs in the SVG.
    pub fn stylesheet(self) -> String {
        let mut css = String::with_capacity(1200);
        for (i, (light, dark)) in LIGHT.iter().zip(DARK).enumerate() {
            let c = self.colour(&format!("--chart-{}", i + 1), light, dark);
            css.push_str(&format!(
                ".chart .f{i}{{fill:{c}}}.chart .s{i}{{stroke:{c};fill:none}}"
            ));
        }
        for (name, property, light, dark) in ROLES {
            let c = self.colour(property, light, dark);
            match name {
                "text" => css.push_str(&format!(
                    ".chart text{{fill:{c};font-family:'DejaVu Sans',system-ui,sans-serif;font-size:11px}}"
                )),
                "muted" => css.push_str(&format!(".chart .muted{{fill:{c}}}.chart .fm{{fill:{c}}}")),
                "grid" => css.push_str(&format!(".chart .grid{{stroke:{c};stroke-width:1}}")),
                _ => css.push_str(&format!(".chart .bg{{fill:{c}}}")),
            }
        }
        css.push_str(".chart .hit{fill:transparent}.chart .hit:hover{fill:rgba(127,127,127,.12)}");
        // The expected band sits behind the lines, light enough that they read over it.
        let band = self.colour("--chart-band", "#2563eb", "#60a5fa");
        css.push_str(&format!(".chart .band{{fill:{band};fill-opacity:.14}}"));
        let unusual = self.colour("--chart-unusual", "#dc2626", "#f87171");
        css.push_str(&format!(".chart .unusual{{stroke:{unusual};fill:none}}"));
        // A partial interval's bar is lighter: it is not a final value.
        css.push_str(".chart rect.partial{opacity:.45}");
        css
    }

    /// Whether the SVG carries its own `<style>` and an opaque background (a transparent PNG
    /// is unreadable in a dark mail client).
    pub(crate) fn embeds_style(self) -> bool {
        self != Theme::Css
    }
}
