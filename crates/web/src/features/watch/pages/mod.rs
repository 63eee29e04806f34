//! The Goals, Alerts, Scorecards and Channels screens: server-rendered lists with a form that
//! creates a new item or, from a row's Edit link, changes that item (the same form, pre-filled),
//! and the history of one goal or alert. They call the same `app` operations as the API
//! (`api.rs`); a form the operation refuses comes back with every field as typed and the
//! reason next to the field at fault. One file per screen; what they share is here.

mod alerts;
mod channels;
mod goals;
mod scorecards;

pub use alerts::{AlertForm, alert_backtest, alert_history, alert_sync_create};
pub use channels::{ChannelForm, channel_test};
pub use goals::{GoalForm, goal_history};
pub use scorecards::ScorecardForm;

use std::future::Future;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use metric::definition::NumberFormat;
use store::Store;

use super::Kind;
use crate::accounts::Role;
use crate::auth::Caller;
use crate::error::{PageError, WebError};
use crate::pages::{Choice, Flash, choices, with_flash};
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

/// A urlencoded form with repeated fields (several channels or metrics), which the serde form
/// extractor cannot read into a list.
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(body: &Bytes) -> Fields {
        Fields(url::form_urlencoded::parse(body).into_owned().collect())
    }
    fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }
    fn on(&self, name: &str) -> bool {
        self.get(name) == "on"
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
    fn id(&self, name: &'static str) -> Result<i64, WebError> {
        self.get(name)
            .parse()
            .map_err(|_| WebError::invalid(name, format!("pick a {name}")))
    }
    /// The accounts ticked on a form (`account`, repeated); empty: every account.
    fn ticked_accounts(&self) -> Vec<String> {
        crate::account_picker::ticked(&self.0, "account")
    }
    fn ids(&self, name: &str) -> Vec<i64> {
        self.all(name)
            .iter()
            .filter_map(|v| v.parse().ok())
            .collect()
    }
}

fn parse_enum<T: serde::de::DeserializeOwned>(field: &'static str, v: &str) -> Result<T, WebError> {
    serde_json::from_value(serde_json::Value::String(v.to_owned()))
        .map_err(|_| WebError::invalid(field, format!("'{v}' is not a valid {field}")))
}

/// An enum's stored code (`"on_track"`), for form values and CSS classes.
fn code<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn when(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// The number format of the metric an item watches; plain when the metric is gone, so an
/// item's history still shows.
async fn format_of(state: &AppState, metric: store::MetricId) -> NumberFormat {
    match state.store().metric(metric).await {
        Ok(m) => app::evaluate::number_format(&m.definition),
        Err(_) => charts::format::plain(),
    }
}

/// A value in its metric's format (`charts`' one formatter), `—` when there is none.
fn value(v: Option<f64>, format: &NumberFormat) -> String {
    charts::format_full(v, format)
}

/// A refusal shown on the form that caused it: the message at the top, and next to the field
/// at fault when the form has it. The operations name their input's fields (`metric_id`,
/// `config.url`); the forms name theirs (`metric`, `url`).
#[derive(Default, Clone)]
pub struct FormError {
    field: String,
    message: String,
}

impl FormError {
    fn of(e: &WebError) -> FormError {
        let field = match e {
            WebError::Invalid { field: Some(f), .. } => match *f {
                "metric_id" => "metric",
                "channels" => "channel",
                other => other.strip_prefix("config.").unwrap_or(other),
            },
            _ => "",
        };
        FormError {
            field: field.to_owned(),
            message: e.to_string(),
        }
    }
}

/// What a form shows of its last refusal: `form.error_at("name")` in the templates.
pub trait Refusal {
    fn refusal(&self) -> Option<&FormError>;

    fn error(&self) -> Option<&str> {
        self.refusal().map(|e| e.message.as_str())
    }

    fn error_at(&self, field: &str) -> Option<&str> {
        self.refusal()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

/// A page re-rendered with a refused form: 422, so scripts and tests see the refusal.
fn refused(page: PageResult) -> PageResult {
    page.map(|r| (StatusCode::UNPROCESSABLE_ENTITY, r).into_response())
}

/// One of the four screens as its handlers see it: the kind of item it lists and its form,
/// filled from a post or from a stored item. The list, edit, save and delete handlers below
/// serve all four, so a refusal, a missing item and a saved item answer alike on every screen.
pub(crate) trait Screen: Default + Send + Sized + 'static {
    type Item: Kind;

    /// The form pre-filled with a stored item, as much of it as a caller of `role` may see.
    fn stored(item: &Self::Item, role: Role) -> Self;

    /// The form as posted, changing `before` or making a new item.
    fn posted(f: &Fields, before: Option<&Self::Item>) -> Self;

    /// What the form asks the operation for, or why it cannot ask.
    fn input_for(
        &self,
        at: Saving<'_, Self::Item>,
    ) -> impl Future<Output = Result<<Self::Item as Kind>::Input, WebError>> + Send;

    /// The screen: its list, and `form` with its refusal if it has one.
    fn page(
        state: &AppState,
        caller: &Caller,
        q: Flash,
        form: Self,
    ) -> impl Future<Output = PageResult> + Send;

    fn refuse(&mut self, reason: FormError);

    /// The item the form changes; `None` for a new one.
    fn editing(&self) -> Option<i64>;

    /// What the form posts to: the screen for a new item, the item's edit address otherwise.
    fn action(&self) -> String {
        let screen = screen::<Self::Item>();
        match self.editing() {
            Some(id) => format!("{screen}/{id}/edit"),
            None => screen,
        }
    }
}

/// What a save has at hand besides the form: the state, the fields as posted (a secret the
/// form never keeps) and the item it changes, if any.
pub(crate) struct Saving<'a, K> {
    state: &'a AppState,
    fields: &'a Fields,
    before: Option<&'a K>,
}

/// Where a kind's screen lives: `/goals`.
fn screen<K: Kind>() -> String {
    format!("/{}", K::MANY)
}

pub(crate) async fn list<S: Screen>(
    State(state): State<AppState>,
    caller: Caller,
    q: Flash,
) -> PageResult {
    S::page(&state, &caller, q, S::default()).await
}

/// The screen with one item's form pre-filled.
pub(crate) async fn edit<S: Screen>(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let item = S::Item::load(&state, id).await?;
    S::page(
        &state,
        &caller,
        Flash::default(),
        S::stored(&item, caller.user.role),
    )
    .await
}

pub(crate) async fn create<S: Screen>(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> PageResult {
    save::<S>(&state, &caller, None, &body).await
}

pub(crate) async fn update<S: Screen>(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    // An item that is gone is a missing page, not a field to correct.
    let before = S::Item::load(&state, id).await?;
    save::<S>(&state, &caller, Some(before), &body).await
}

/// The answer to a screen's save: back to the screen with "Saved the {noun} {name}.", or the
/// screen again with the form as typed and the refusal next to its field.
async fn save<S: Screen>(
    state: &AppState,
    caller: &Caller,
    before: Option<S::Item>,
    body: &Bytes,
) -> PageResult {
    let f = Fields::parse(body);
    let mut form = S::posted(&f, before.as_ref());
    let saved = async {
        let input = form
            .input_for(Saving {
                state,
                fields: &f,
                before: before.as_ref(),
            })
            .await?;
        match &before {
            Some(item) => S::Item::update(state, item.id(), input).await,
            None => S::Item::create(state, input).await,
        }
    }
    .await;
    match saved {
        Ok(item) => Ok(with_flash(
            &screen::<S::Item>(),
            true,
            &format!("Saved the {} {}.", S::Item::ONE, item.name()),
        )),
        Err(e) => {
            form.refuse(FormError::of(&e));
            refused(S::page(state, caller, Flash::default(), form).await)
        }
    }
}

/// The delete button of every row on the four screens.
pub(crate) async fn delete<K: Kind>(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let screen = screen::<K>();
    Ok(match K::delete(&state, id).await {
        Ok(()) => with_flash(&screen, true, &format!("Deleted the {}.", K::ONE)),
        Err(app::AppError::NotFound(_)) => with_flash(
            &screen,
            false,
            &format!(
                "There is no {} {id}: it may have been deleted already.",
                K::ONE
            ),
        ),
        Err(e) => return Err(WebError::from(e).into()),
    })
}

/// One option of a form's select, chosen or not.
pub struct Opt {
    value: String,
    label: String,
    selected: bool,
}

fn opts(list: &[(&str, &str)], current: &str) -> Vec<Opt> {
    list.iter()
        .map(|(value, label)| Opt {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
            selected: *value == current,
        })
        .collect()
}

/// Checkboxes of ids (channels, metrics): id, name, ticked.
fn ticks(choices: &[(i64, String)], ticked: &[i64]) -> Vec<(i64, String, bool)> {
    choices
        .iter()
        .map(|(id, name)| (*id, name.clone(), ticked.contains(id)))
        .collect()
}

const AGGREGATIONS: [(&str, &str); 6] = [
    ("sum", "sum"),
    ("count", "count of rows"),
    ("average", "average"),
    ("min", "minimum"),
    ("max", "maximum"),
    ("latest", "latest value"),
];

/// Every metric's name and number format, read once per page.
struct MetricList(Vec<(i64, String, NumberFormat, metric::Trend)>);

impl MetricList {
    async fn load(state: &AppState) -> Result<MetricList, WebError> {
        Ok(MetricList(
            state
                .store()
                .list_metrics()
                .await?
                .into_iter()
                .map(|m| {
                    let format = app::evaluate::number_format(&m.definition);
                    let trend = app::evaluate::favourable(&m.definition);
                    (m.id.0, m.name, format, trend)
                })
                .collect(),
        ))
    }

    fn name(&self, id: i64) -> String {
        self.0
            .iter()
            .find(|m| m.0 == id)
            .map(|m| m.1.clone())
            .unwrap_or_default()
    }

    fn format(&self, id: i64) -> NumberFormat {
        self.0
            .iter()
            .find(|m| m.0 == id)
            .map(|m| m.2.clone())
            .unwrap_or_else(charts::format::plain)
    }

    /// The metric's favourable trend (more is better unless its definition says less).
    fn trend(&self, id: i64) -> Option<metric::Trend> {
        self.0.iter().find(|m| m.0 == id).map(|m| m.3)
    }

    fn choices(&self) -> Vec<(i64, String)> {
        self.0.iter().map(|m| (m.0, m.1.clone())).collect()
    }
}
