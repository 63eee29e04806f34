//! The whole board as one SVG, what the PNG export rasterises.

use super::*;

/// The whole board as one SVG with literal light colours, laid out on its grid: what the PNG
/// export rasterises.
pub fn board_svg(c: &Computed) -> String {
    const CELL_W: i64 = 100;
    const CELL_H: i64 = 110;
    let (width, height) = (GRID_COLUMNS * CELL_W, c.rows() * CELL_H + 40);
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
            (BlockKind::Table, Ok((plan, data))) => {
                let view = render::table_view(&plan.settings, data, &c.frame.zone);
                svg.push_str(&table_svg(&view, w, h));
            }
            (BlockKind::Forecast, Ok((plan, data))) => {
                svg.push_str(&forecast_svg(
                    &plan.settings,
                    data,
                    &c.frame.zone,
                    w,
                    h,
                    theme,
                ));
            }
            (BlockKind::Outliers, Ok((plan, data))) => {
                svg.push_str(&outliers_svg(&plan.settings, data, w, h, theme));
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
                    if data.window.previous.is_some() {
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

/// A Table block as the page lays it out: the header, then as many rows as fit, numbers
/// right-aligned in their columns and long labels cut with an ellipsis.
fn table_svg(view: &render::TableView, w: i64, h: i64) -> String {
    const ROW_H: i64 = 16;
    const CHAR_W: i64 = 7;
    // The label column takes what the number columns leave; each number column is as wide as
    // its longest text.
    let widths: Vec<i64> = (0..view.header.len())
        .map(|i| {
            let longest = view
                .rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.text.chars().count())
                .chain(std::iter::once(view.header[i].0.chars().count().min(12)))
                .max()
                .unwrap_or(0) as i64;
            longest * CHAR_W + 12
        })
        .collect();
    let numbers_width: i64 = widths.iter().skip(1).sum();
    let first_width = (w - 20 - numbers_width).max(40);
    let mut out = String::new();
    let mut x_right = Vec::with_capacity(view.header.len());
    let mut x = 10 + first_width;
    for width in widths.iter().skip(1) {
        x += width;
        x_right.push(x);
    }
    let cut = |text: &str, room: i64| -> String {
        let fits = (room / CHAR_W).max(3) as usize;
        if text.chars().count() <= fits {
            text.to_owned()
        } else {
            let kept: String = text.chars().take(fits.saturating_sub(1)).collect();
            format!("{kept}…")
        }
    };
    let mut y = 46;
    for (i, (label, _)) in view.header.iter().enumerate() {
        if i == 0 {
            out.push_str(&format!(
                "<text class=\"muted\" x=\"10\" y=\"{y}\">{}</text>",
                esc(&cut(label, first_width))
            ));
        } else {
            out.push_str(&format!(
                "<text class=\"muted\" x=\"{}\" y=\"{y}\" text-anchor=\"end\">{}</text>",
                x_right[i - 1],
                esc(&cut(label, widths[i]))
            ));
        }
    }
    if let Some(note) = view.empty {
        out.push_str(&format!(
            "<text class=\"muted\" x=\"10\" y=\"{}\">{note}</text>",
            y + ROW_H
        ));
    }
    let room = ((h - 40) / ROW_H - 1).max(0) as usize;
    for row in view.rows.iter().take(room) {
        y += ROW_H;
        for (i, cell) in row.iter().enumerate() {
            if i == 0 {
                out.push_str(&format!(
                    "<text x=\"10\" y=\"{y}\">{}</text>",
                    esc(&cut(&cell.text, first_width))
                ));
            } else if let Some(&right) = x_right.get(i - 1) {
                out.push_str(&format!(
                    "<text x=\"{right}\" y=\"{y}\" text-anchor=\"end\">{}</text>",
                    esc(&cell.text)
                ));
            }
        }
    }
    if view.rows.len() > room {
        out.push_str(&format!(
            "<text class=\"muted\" x=\"10\" y=\"{}\">and {} more rows</text>",
            y + ROW_H,
            view.rows.len() - room
        ));
    }
    out
}

/// An Account outliers block in the PNG: the strip chart, then the top accounts one per line,
/// or the reason there is nothing to rank.
fn outliers_svg(
    settings: &BlockSettings,
    data: &super::compute::BlockData,
    w: i64,
    h: i64,
    theme: charts::Theme,
) -> String {
    let Some(out) = &data.outliers else {
        return format!(
            "<text class=\"muted\" x=\"10\" y=\"46\">{}</text>",
            render::NO_DATA
        );
    };
    let view = render::outliers_view(settings, out);
    if let Some(why) = &view.empty {
        return format!(
            "<text class=\"muted\" x=\"10\" y=\"46\">{}</text>",
            esc(why)
        );
    }
    let chart_h = ((h - 34) / 2).clamp(60, 160);
    let mut s = String::new();
    if let Some(inner) = crate::features::metrics::outliers::chart(
        out,
        (w - 10).max(40) as u32,
        chart_h as u32,
        theme,
    ) {
        s.push_str(&format!("<g transform=\"translate(5,28)\">{inner}</g>"));
    }
    let mut y = 28 + chart_h + 18;
    for (name, value, z, _) in &view.rows {
        if y > h - 22 {
            break;
        }
        s.push_str(&format!(
            "<text x=\"10\" y=\"{y}\">{}</text><text x=\"{}\" y=\"{y}\" text-anchor=\"end\">{} · z {}</text>",
            esc(name),
            w - 10,
            esc(value),
            esc(z)
        ));
        y += 16;
    }
    s.push_str(&format!(
        "<text class=\"muted\" x=\"10\" y=\"{}\">{}</text>",
        h - 8,
        esc(&view.caption)
    ));
    s
}

/// A Forecast block in the PNG: the projected end value large, the value so far and the band
/// under it, then the chart, or the learning note while there is no forecast.
fn forecast_svg(
    settings: &BlockSettings,
    data: &super::compute::BlockData,
    zone: &jiff::tz::TimeZone,
    w: i64,
    h: i64,
    theme: charts::Theme,
) -> String {
    let (Some(f), Some(m)) = (&data.forecast, data.metrics.first()) else {
        return format!(
            "<text class=\"muted\" x=\"10\" y=\"44\">{}</text>",
            render::NO_DATA
        );
    };
    let view = render::forecast_view(settings, f, m, zone);
    let mut out = String::new();
    let mut y = 56;
    match &view.projected {
        Some((value, band)) => {
            // Two short lines: a block four cells wide holds about 60 characters.
            out.push_str(&format!(
                "<text class=\"big\" x=\"10\" y=\"{y}\">{}</text><text class=\"muted\" x=\"10\" y=\"{}\">projected by {} · so far {}</text><text class=\"muted\" x=\"10\" y=\"{}\">{}</text>",
                esc(value),
                y + 16,
                esc(&view.until),
                esc(&view.so_far),
                y + 30,
                esc(band)
            ));
            y += 14;
        }
        None => {
            out.push_str(&format!(
                "<text class=\"big\" x=\"10\" y=\"{y}\">{}</text><text class=\"muted\" x=\"10\" y=\"{}\">so far · {}</text>",
                esc(&view.so_far),
                y + 16,
                esc(view.learning.as_deref().unwrap_or(""))
            ));
        }
    }
    y += 24;
    if let Some((text, _)) = &view.budget {
        out.push_str(&format!(
            "<text class=\"muted\" x=\"10\" y=\"{}\">{}</text>",
            y + 4,
            esc(text)
        ));
        y += 16;
    }
    let chart_h = h - y - 8;
    if !view.days.is_empty() && chart_h >= 60 {
        let inner = charts::forecast::forecast(&charts::ForecastChart {
            days: &view.days,
            zone,
            budget: f.budget.as_ref().map(|b| b.budget),
            format: &m.info.format,
            width: (w - 10).max(40) as u32,
            height: chart_h as u32,
            theme,
        });
        out.push_str(&format!("<g transform=\"translate(5,{y})\">{inner}</g>"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render::{CellKind, TableCell, TableView};
    use super::table_svg;

    fn cell(text: &str, kind: CellKind) -> TableCell {
        TableCell {
            text: text.to_owned(),
            sort: None,
            kind,
        }
    }

    #[test]
    fn a_table_block_draws_its_header_rows_and_every_digit() {
        let view = TableView {
            header: vec![
                ("Dimension".to_owned(), false),
                ("Spend".to_owned(), true),
                ("Previous".to_owned(), true),
            ],
            rows: vec![
                vec![
                    cell(
                        "phonenumbers-and-a-very-long-category-name",
                        CellKind::Label,
                    ),
                    cell("$87.60", CellKind::Number),
                    cell("$1,204.15", CellKind::Number),
                ],
                vec![
                    cell("sms", CellKind::Label),
                    cell("$2.28", CellKind::Number),
                    cell("no data", CellKind::Number),
                ],
            ],
            empty: None,
        };
        let svg = table_svg(&view, 292, 322);
        for text in [
            "Dimension",
            "Spend",
            "Previous",
            "$87.60",
            "$1,204.15",
            "sms",
            "$2.28",
        ] {
            assert!(svg.contains(&format!(">{text}</text>")), "{text} in {svg}");
        }
        assert!(svg.contains("text-anchor=\"end\">$87.60<"), "{svg}");
        assert!(svg.contains("phonenumbers"), "{svg}");
        assert!(svg.contains('…'), "a long label is cut: {svg}");
        assert!(!svg.contains("more rows"), "{svg}");
    }

    #[test]
    fn rows_that_do_not_fit_are_counted() {
        let view = TableView {
            header: vec![("Starting".to_owned(), true), ("Sent".to_owned(), true)],
            rows: (0..40)
                .map(|i| {
                    vec![
                        cell(&format!("2026-11-{:02}", i % 28 + 1), CellKind::When),
                        cell(&i.to_string(), CellKind::Number),
                    ]
                })
                .collect(),
            empty: None,
        };
        // (102 - 40) / 16 - 1 = 2 rows fit, the rest are named.
        let svg = table_svg(&view, 392, 102);
        assert!(svg.contains(">and 38 more rows</text>"), "{svg}");
    }
}
