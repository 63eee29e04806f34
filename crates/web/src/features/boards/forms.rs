//! The block editor, a plain HTML form built here so it works without JavaScript.

use super::*;

pub(super) fn option(value: &str, label: &str, selected: bool) -> String {
    format!(
        "<option value=\"{}\"{}>{}</option>",
        esc(value),
        if selected { " selected" } else { "" },
        esc(label)
    )
}

/// The block editor: a plain form, so it works without JavaScript.
pub(super) fn editor_form(
    csrf: &str,
    action: &str,
    current: Option<(BlockKind, &str, &BlockSettings)>,
    choices: &Choices,
) -> String {
    let default = BlockSettings::default();
    let (kind, title, s) = current.unwrap_or((BlockKind::Number, "", &default));
    let mut f = format!(
        "<form method=\"post\" action=\"{}\" class=\"block-editor\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(action),
        esc(csrf)
    );
    f.push_str("<label>Type <select name=\"kind\">");
    for k in BlockKind::ALL {
        f.push_str(&option(k.as_str(), k.label(), k == kind));
    }
    f.push_str("</select></label>");
    f.push_str(&format!(
        "<label>Title <input name=\"title\" maxlength=\"200\" value=\"{}\"></label>",
        esc(title)
    ));
    f.push_str("<label>Metrics <select name=\"metric\" multiple size=\"4\">");
    for (id, name) in &choices.metrics {
        f.push_str(&option(&id.to_string(), name, s.metrics.contains(id)));
    }
    f.push_str("</select></label>");
    f.push_str("<label>Date range <select name=\"range\">");
    f.push_str(&option("", "Board's range", s.range.is_none()));
    for r in NamedRange::presets() {
        f.push_str(&option(
            &r.to_string(),
            &r.label(),
            s.range.as_deref() == Some(r.to_string().as_str()),
        ));
    }
    if let Some(r) = s
        .range_override()
        .filter(|r| !NamedRange::presets().contains(r))
    {
        f.push_str(&option(&r.to_string(), &r.label(), true));
    }
    f.push_str("</select></label><label>Compare with <select name=\"compare\">");
    f.push_str(&option("", "Board's comparison", s.compare.is_none()));
    for c in CompareTo::ALL {
        f.push_str(&option(
            &c.to_string(),
            c.label(),
            s.compare.as_deref() == Some(c.to_string().as_str()),
        ));
    }
    f.push_str("</select></label><label>Graph by <select name=\"interval\">");
    f.push_str(&option("", "Automatic", s.interval.is_none()));
    for i in metric::Interval::ALL {
        f.push_str(&option(
            interval_name(i),
            interval_name(i),
            s.interval == Some(i),
        ));
    }
    f.push_str("</select></label>");
    f.push_str(&format!(
        "<label>Only dimension <input name=\"dimension\" value=\"{}\"></label><label>Top N <input name=\"top\" type=\"number\" min=\"1\" max=\"50\" value=\"{}\"></label>",
        esc(s.dimension.as_deref().unwrap_or("")),
        s.top
    ));
    let check = |name: &str, label: &str, on: bool| {
        format!(
            "<label class=\"check\"><input type=\"checkbox\" name=\"{name}\"{}> {label}</label>",
            if on { " checked" } else { "" }
        )
    };
    f.push_str(&check("by_dimension", "By dimension", s.by_dimension));
    f.push_str(&check("cumulative", "Cumulative", s.cumulative));
    f.push_str(&check("stacked", "Stacked bars", s.stacked));
    f.push_str(&check("donut", "Donut", s.donut));
    f.push_str("<label>Change as <select name=\"change\">");
    for c in ChangeFormat::ALL {
        f.push_str(&option(c.as_str(), c.as_str(), s.change == c));
    }
    f.push_str("</select></label><label>Table rows <select name=\"table_rows\">");
    f.push_str(&option(
        "by_dimension",
        "by dimension",
        s.table_rows == TableRows::ByDimension,
    ));
    f.push_str(&option(
        "by_interval",
        "by interval",
        s.table_rows == TableRows::ByInterval,
    ));
    f.push_str("</select></label><label>Sort <select name=\"sort\">");
    f.push_str(&option(
        "value_desc",
        "largest first",
        s.sort == TableSort::ValueDesc,
    ));
    f.push_str(&option(
        "value_asc",
        "smallest first",
        s.sort == TableSort::ValueAsc,
    ));
    f.push_str(&option("label", "by name", s.sort == TableSort::Label));
    f.push_str("</select></label><label>Follow a goal <select name=\"goal_id\">");
    f.push_str(&option("", "None: use the target", s.goal_id.is_none()));
    for (id, name) in &choices.goals {
        f.push_str(&option(&id.to_string(), name, s.goal_id == Some(*id)));
    }
    f.push_str(&format!(
        "</select></label><label>Target <input name=\"goal\" type=\"number\" step=\"any\" value=\"{}\"></label><label class=\"wide\">Notes <textarea name=\"text\" rows=\"3\">{}</textarea></label>",
        s.goal.map(|g| g.to_string()).unwrap_or_default(),
        esc(&s.text)
    ));
    f.push_str(&format!(
        "<button class=\"primary\">{}</button></form>",
        if current.is_some() {
            "Save block"
        } else {
            "Add block"
        }
    ));
    f
}
