//! The designer's block panel: the type is picked first (links, so it works without
//! JavaScript), then a plain form shows only the fields that type uses, with a metric picker
//! that is a list of checkboxes under a filter box.

use super::*;

pub(super) fn option(value: &str, label: &str, selected: bool) -> String {
    format!(
        "<option value=\"{}\"{}>{}</option>",
        esc(value),
        if selected { " selected" } else { "" },
        esc(label)
    )
}

/// Whether a block of `kind` uses the editor field `field`: the panel shows no other.
pub(super) fn uses(kind: BlockKind, field: &str) -> bool {
    use BlockKind::*;
    match field {
        "metric" => kind != Text,
        // An Account outliers block judges each account over all of its rows.
        "dimension" => !matches!(kind, Text | Outliers),
        // A Forecast block's range is its period; it compares with its projection instead.
        "range" | "compare" => !matches!(kind, Text | Forecast),
        "forecast_period" | "budget" => kind == Forecast,
        "interval" => matches!(kind, Line | Bar | Table),
        "top" => matches!(kind, Line | Bar | Table | Pie | Outliers),
        "by_dimension" => matches!(kind, Line | Bar | Table | Pie),
        "cumulative" => matches!(kind, Line | Bar),
        "change" => kind == Number,
        "stacked" => kind == Bar,
        "donut" => kind == Pie,
        "band" => kind == Line,
        "table_rows" | "sort" => kind == Table,
        "goal_id" | "goal" => kind == Progress,
        "text" => kind == Text,
        _ => true,
    }
}

/// The type picker: one link per block type, the current one marked. `href` makes the link
/// of a type.
pub(super) fn type_picker(
    current: Option<BlockKind>,
    href: &dyn Fn(BlockKind) -> String,
) -> String {
    let mut f = String::from("<nav class=\"type-picker\" aria-label=\"Block type\">");
    for k in BlockKind::ALL {
        f.push_str(&format!(
            "<a href=\"{}\" class=\"type-choice{}\" data-kind=\"{}\"{}>{}</a>",
            esc(&href(k)),
            if Some(k) == current { " current" } else { "" },
            k.as_str(),
            if Some(k) == current {
                " aria-current=\"true\""
            } else {
                ""
            },
            esc(k.label())
        ));
    }
    f.push_str("</nav>");
    f
}

/// The metric picker: checkboxes (so several metrics need no Ctrl-click) under a filter box
/// that `boards.js` narrows as one types; the chosen ones come first.
fn metric_picker(s: &BlockSettings, choices: &Choices) -> String {
    let mut f = String::from(
        "<fieldset class=\"metric-picker wide\"><legend>Metrics</legend>\
         <input type=\"search\" class=\"metric-filter\" placeholder=\"Filter metrics\" aria-label=\"Filter metrics\">\
         <div class=\"metric-options\">",
    );
    if choices.metrics.is_empty() {
        f.push_str("<p class=\"small muted\">No metrics yet: add one on the Metrics screen.</p>");
    }
    let mut listed: Vec<&(i64, String)> = choices.metrics.iter().collect();
    listed.sort_by_key(|(id, _)| !s.metrics.contains(id));
    for (id, name) in listed {
        f.push_str(&format!(
            "<label class=\"check metric-option\" data-name=\"{}\"><input type=\"checkbox\" name=\"metric\" value=\"{id}\"{}> {}</label>",
            esc(&name.to_lowercase()),
            if s.metrics.contains(id) { " checked" } else { "" },
            esc(name)
        ));
    }
    f.push_str("<p class=\"small muted no-match\" hidden>No metric matches.</p></div></fieldset>");
    f
}

/// The block form for one type: `current` the block's title and settings when it is edited.
pub(super) fn editor_form(
    csrf: &str,
    action: &str,
    kind: BlockKind,
    current: Option<(&str, &BlockSettings)>,
    choices: &Choices,
) -> String {
    let default = BlockSettings::default();
    let (title, s) = current.unwrap_or(("", &default));
    let on = |field: &str| uses(kind, field);
    let mut f = format!(
        "<form method=\"post\" action=\"{}\" class=\"block-editor\" data-kind=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"kind\" value=\"{}\">",
        esc(action),
        kind.as_str(),
        esc(csrf),
        kind.as_str()
    );
    f.push_str(&format!(
        "<label class=\"wide\">Title <input name=\"title\" maxlength=\"200\" value=\"{}\" placeholder=\"{}\"></label>",
        esc(title),
        esc(kind.label())
    ));
    if on("metric") {
        f.push_str(&metric_picker(s, choices));
    }
    if on("goal_id") {
        f.push_str("<label>Follow a goal <select name=\"goal_id\">");
        f.push_str(&option("", "None: use the target", s.goal_id.is_none()));
        for (id, name) in &choices.goals {
            f.push_str(&option(&id.to_string(), name, s.goal_id == Some(*id)));
        }
        f.push_str(&format!(
            "</select></label><label>Target <input name=\"goal\" type=\"number\" step=\"any\" value=\"{}\"></label>",
            s.goal.map(|g| g.to_string()).unwrap_or_default()
        ));
    }
    if on("forecast_period") {
        f.push_str("<label>Period <select name=\"forecast_period\">");
        for p in app::forecast::ForecastPeriod::ALL {
            let label = format!("This {}", p.as_str());
            f.push_str(&option(p.as_str(), &label, s.forecast_period == p));
        }
        f.push_str(&format!(
            "</select></label><label>Budget (spend metrics) <input name=\"budget\" type=\"number\" min=\"0\" step=\"0.01\" value=\"{}\" placeholder=\"none\"></label>",
            s.budget.map(|b| b.to_string()).unwrap_or_default()
        ));
    }
    if on("range") {
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
        f.push_str("</select></label>");
    }
    if on("compare") {
        f.push_str("<label>Compare with <select name=\"compare\">");
        f.push_str(&option("", "Board's comparison", s.compare.is_none()));
        for c in CompareTo::ALL {
            f.push_str(&option(
                &c.to_string(),
                c.label(),
                s.compare.as_deref() == Some(c.to_string().as_str()),
            ));
        }
        f.push_str("</select></label>");
    }
    if on("interval") {
        f.push_str("<label>Graph by <select name=\"interval\">");
        f.push_str(&option("", "Automatic", s.interval.is_none()));
        for i in metric::Interval::ALL {
            f.push_str(&option(i.name(), i.name(), s.interval == Some(i)));
        }
        f.push_str("</select></label>");
    }
    if on("change") {
        f.push_str("<label>Change as <select name=\"change\">");
        for c in ChangeFormat::ALL {
            f.push_str(&option(c.as_str(), c.as_str(), s.change == c));
        }
        f.push_str("</select></label>");
    }
    if on("table_rows") {
        f.push_str("<label>Table rows <select name=\"table_rows\">");
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
        f.push_str("</select></label>");
    }
    if on("dimension") {
        f.push_str(&format!(
            "<label>Only dimension <input name=\"dimension\" value=\"{}\"></label>",
            esc(s.dimension.as_deref().unwrap_or(""))
        ));
    }
    if on("top") {
        f.push_str(&format!(
            "<label>Top N <input name=\"top\" type=\"number\" min=\"1\" max=\"50\" value=\"{}\"></label>",
            s.top
        ));
    }
    let check = |name: &str, label: &str, checked: bool| {
        format!(
            "<label class=\"check\"><input type=\"checkbox\" name=\"{name}\"{}> {label}</label>",
            if checked { " checked" } else { "" }
        )
    };
    for (name, label, checked) in [
        ("by_dimension", "By dimension", s.by_dimension),
        ("cumulative", "Cumulative", s.cumulative),
        ("stacked", "Stacked bars", s.stacked),
        ("donut", "Donut", s.donut),
        ("band", "Show expected band", s.band),
    ] {
        if on(name) {
            f.push_str(&check(name, label, checked));
        }
    }
    if on("metric") {
        f.push_str(&account_fields(kind, s, choices));
    }
    if on("text") {
        f.push_str(&format!(
            "<label class=\"wide\">Notes <textarea name=\"text\" rows=\"5\">{}</textarea></label>",
            esc(&s.text)
        ));
    }
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

/// The account settings, shown only where a metric over several accounts can be picked (or,
/// for a block being edited, is picked): total or by account, and the accounts kept.
fn account_fields(kind: BlockKind, s: &BlockSettings, choices: &Choices) -> String {
    let relevant = if s.metrics.is_empty() {
        choices.accounts.any_multi()
    } else {
        s.metrics.iter().any(|id| choices.accounts.is_multi(*id))
    };
    if !relevant && !s.asks_accounts() {
        return String::new();
    }
    let mut f = String::from(
        "<fieldset class=\"account-picker wide\"><legend>Accounts (metrics over several accounts)</legend>",
    );
    if app::boards::model::shows_by_account(kind) {
        let by = s.accounts == metric::accounts::AccountView::ByAccount;
        f.push_str("<label>Show <select name=\"accounts\">");
        f.push_str(&option("total", "all accounts added together", !by));
        f.push_str(&option("by_account", "one per account", by));
        f.push_str("</select></label>");
    }
    f.push_str("<p class=\"small muted\">Only these accounts (none ticked: every account)</p>");
    f.push_str(&choices.accounts.checkboxes("account", &s.account_filter));
    f.push_str("</fieldset>");
    f
}

/// A block form that was refused, read back leniently so the panel shows every field as it
/// was sent (what does not read is left at its default; the flash says what was wrong).
pub(super) fn draft(pairs: &[(String, String)]) -> (String, BlockSettings) {
    let get = |k: &str| field(pairs, k).trim().to_owned();
    let some = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
    let on = |k: &str| pairs.iter().any(|(key, v)| key == k && !v.is_empty());
    let d = BlockSettings::default();
    let s = BlockSettings {
        metrics: pairs
            .iter()
            .filter(|(k, _)| k == "metric")
            .filter_map(|(_, v)| v.trim().parse().ok())
            .collect(),
        range: some("range"),
        compare: some("compare"),
        interval: metric::Interval::from_name(&get("interval")),
        dimension: some("dimension"),
        by_dimension: on("by_dimension"),
        top: get("top").parse().unwrap_or(d.top),
        cumulative: on("cumulative"),
        change: ChangeFormat::ALL
            .into_iter()
            .find(|c| c.as_str() == get("change"))
            .unwrap_or_default(),
        stacked: on("stacked"),
        donut: on("donut"),
        table_rows: if get("table_rows") == "by_interval" {
            TableRows::ByInterval
        } else {
            TableRows::ByDimension
        },
        sort: TableSort::parse(&get("sort")).unwrap_or_default(),
        goal: get("goal").parse().ok(),
        goal_id: get("goal_id").parse().ok(),
        text: field(pairs, "text").to_owned(),
        band: on("band"),
        forecast_period: app::forecast::ForecastPeriod::parse(&get("forecast_period"))
            .unwrap_or_default(),
        budget: get("budget").parse().ok(),
        accounts: if get("accounts") == "by_account" {
            metric::accounts::AccountView::ByAccount
        } else {
            metric::accounts::AccountView::Total
        },
        account_filter: crate::account_picker::ticked(pairs, "account"),
    };
    (field(pairs, "title").to_owned(), s)
}
