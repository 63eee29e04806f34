//! Charts rendered as SVG on the server, so one drawing serves the board page, the PNG export
//! and images in emails.
//!
//! - [`ticks`]: round value ticks ("nice numbers") and calendar-aligned date ticks, thinned so
//!   labels never overlap.
//! - [`format`]: numbers as the metric's unit says, in full (tooltips, tables, messages) and
//!   compact (axes), and relative changes: the one formatter of every surface.
//! - [`line`], [`bar`], [`pie`], [`sparkline`], [`forecast::forecast`]: the drawings. Every mark carries a `<title>` with
//!   the exact value, which browsers show on hover.
//! - [`outliers::outliers`]: which account is out of line, every account a dot against the
//!   median and its in-line band.
//! - [`Expected`]: a line chart's expected band, drawn lightly behind the line, and rings on
//!   its unusual points with what was observed against what was expected.
//! - [`Theme`]: colours are CSS custom properties with fallbacks on the page, and literal
//!   light or dark colours for rasterising, since resvg does not resolve `var()`.
//! - [`png`]: rasterising with resvg and the system fonts.
//!
//! Pure: no clock, no network; only [`png`] reads font files.

pub mod forecast;
pub mod format;
pub mod outliers;
mod png;
mod render;
mod svg;
pub mod theme;
pub mod ticks;

pub use forecast::{ForecastChart, ForecastDay};
pub use format::{NO_VALUE, format_axis, format_change, format_full, format_plain};
pub use outliers::{OutlierChart, OutlierDot};
pub use png::{PngError, font_count, png};
pub use render::{
    BandPoint, BarMode, Comparison, Expected, Ink, Marks, PieSlice, Series, TimeChart, bar, line,
    pie, sparkline, sparkline_marked,
};
pub use svg::escape;
pub use theme::Theme;
