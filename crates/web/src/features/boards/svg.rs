//! The whole board as one SVG, what the PNG export rasterises.

use super::*;

/// The whole board as one SVG with literal light colours, laid out on its grid: what the PNG
/// export rasterises.
pub fn board_svg(c: &Computed) -> String {
    const CELL_W: i64 = 100;
    const CELL_H: i64 = 110;
    let rows = c
        .blocks
        .iter()
        .map(|(b, _)| b.block.place.y + b.block.place.h)
        .max()
        .unwrap_or(1)
        .max(1);
    let (width, height) = (GRID_COLUMNS * CELL_W, rows * CELL_H + 40);
    let theme = charts::Theme::Light;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart board\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\"><style>{}.chart .card{{fill:#f8fafc;stroke:#e5e7eb}}.chart .title{{font-size:13px;font-weight:bold}}.chart .big{{font-size:26px;font-weight:bold}}</style><rect class=\"bg\" width=\"{width}\" height=\"{height}\"/><text class=\"title\" x=\"12\" y=\"24\">{} · {} · {}</text>",
        theme.stylesheet(),
        esc(&c.board.settings.name),
        esc(&c.frame.range.label()),
        esc(c.frame.zone.iana_name().unwrap_or("UTC"))
    );
    for (row, result) in &c.blocks {
        let p = row.block.place;
        let (x, y) = (p.x * CELL_W + 4, p.y * CELL_H + 40);
        let (w, h) = (p.w * CELL_W - 8, p.h * CELL_H - 8);
        svg.push_str(&format!(
            "<g transform=\"translate({x},{y})\"><rect class=\"card\" width=\"{w}\" height=\"{h}\" rx=\"6\"/><text class=\"title\" x=\"10\" y=\"20\">{}</text>",
            esc(&row.block.title)
        ));
        let kind: BlockKind = row.block.kind.parse().unwrap_or(BlockKind::Text);
        match (kind, result) {
            (BlockKind::Line | BlockKind::Bar | BlockKind::Pie, Ok((plan, data))) => {
                let size = ((w - 10).max(40) as u32, (h - 34).max(40) as u32);
                let inner = render::body(kind, &plan.settings, data, &c.frame.zone, size, theme);
                svg.push_str(&format!("<g transform=\"translate(5,28)\">{inner}</g>"));
            }
            (BlockKind::Text, _) => {
                let s = BlockSettings::from_json(&row.block.settings);
                for (i, line) in super::markdown::to_lines(&s.text)
                    .iter()
                    .take(((h - 40) / 16).max(0) as usize)
                    .enumerate()
                {
                    svg.push_str(&format!(
                        "<text x=\"10\" y=\"{}\">{}</text>",
                        44 + i as i64 * 16,
                        esc(line)
                    ));
                }
            }
            (_, Ok((plan, data))) => {
                for (i, m) in data
                    .metrics
                    .iter()
                    .enumerate()
                    .take(((h - 30) / 44).max(1) as usize)
                {
                    let value = match (kind, &plan.settings.goal) {
                        (BlockKind::Progress, Some(goal)) => format!(
                            "{} of {}",
                            charts::format_full(m.change.current, &m.info.format),
                            charts::format_full(Some(*goal), &m.info.format)
                        ),
                        _ => charts::format_full(m.change.current, &m.info.format),
                    };
                    let y0 = 56 + i as i64 * 44;
                    svg.push_str(&format!(
                        "<text class=\"big\" x=\"10\" y=\"{y0}\">{}</text>",
                        esc(&value)
                    ));
                    if data.previous.is_some() {
                        svg.push_str(&format!(
                            "<text class=\"muted\" x=\"10\" y=\"{}\">{} · {}</text>",
                            y0 + 16,
                            esc(&m.info.name),
                            esc(&render::change_text(m, plan.settings.change))
                        ));
                    }
                }
            }
            (_, Err(e)) => svg.push_str(&format!(
                "<text class=\"muted\" x=\"10\" y=\"44\">{}</text>",
                esc(e)
            )),
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}
