//! Goals, alerts, scorecards and channels: the JSON API (`api`), the screens (`pages`) and
//! their routes.

pub mod api;
pub mod pages;

use std::future::Future;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use store::{AlertRow, ChannelRow, GoalRow, MetricId, ScorecardRow};
use watch::alert::{AlertRule, BacktestReport};

use crate::accounts::Role;
use crate::error::WebError;
use crate::features::{ADMIN, DELETE, EDITOR, GET, POST, PUT, VIEWER};
use crate::routes::Routes;
use crate::state::AppState;

/// Goals, alerts, scorecards and the channels they notify through. Channels hold secrets, so
/// changing them is for Admins; the rest is for Editors.
pub fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .page(GET, "/goals", VIEWER, pages::list::<pages::GoalForm>)
        .page(POST, "/goals", EDITOR, pages::create::<pages::GoalForm>)
        .page(GET, "/goals/{id}", VIEWER, pages::goal_history)
        .page(
            GET,
            "/goals/{id}/edit",
            EDITOR,
            pages::edit::<pages::GoalForm>,
        )
        .page(
            POST,
            "/goals/{id}/edit",
            EDITOR,
            pages::update::<pages::GoalForm>,
        )
        .page(POST, "/goals/{id}/delete", EDITOR, pages::delete::<GoalRow>)
        .page(GET, "/alerts", VIEWER, pages::list::<pages::AlertForm>)
        .page(POST, "/alerts", EDITOR, pages::create::<pages::AlertForm>)
        // A back-test changes nothing: a Viewer may try a rule.
        .page(POST, "/alerts/backtest", VIEWER, pages::alert_backtest)
        .page(POST, "/alerts/sync", EDITOR, pages::alert_sync_create)
        .page(GET, "/alerts/{id}", VIEWER, pages::alert_history)
        .page(
            GET,
            "/alerts/{id}/edit",
            EDITOR,
            pages::edit::<pages::AlertForm>,
        )
        .page(
            POST,
            "/alerts/{id}/edit",
            EDITOR,
            pages::update::<pages::AlertForm>,
        )
        .page(
            POST,
            "/alerts/{id}/delete",
            EDITOR,
            pages::delete::<AlertRow>,
        )
        .page(
            GET,
            "/scorecards",
            VIEWER,
            pages::list::<pages::ScorecardForm>,
        )
        .page(
            POST,
            "/scorecards",
            EDITOR,
            pages::create::<pages::ScorecardForm>,
        )
        .page(
            GET,
            "/scorecards/{id}/edit",
            EDITOR,
            pages::edit::<pages::ScorecardForm>,
        )
        .page(
            POST,
            "/scorecards/{id}/edit",
            EDITOR,
            pages::update::<pages::ScorecardForm>,
        )
        .page(
            POST,
            "/scorecards/{id}/delete",
            EDITOR,
            pages::delete::<ScorecardRow>,
        )
        .page(GET, "/channels", VIEWER, pages::list::<pages::ChannelForm>)
        .page(
            POST,
            "/channels",
            ADMIN,
            pages::create::<pages::ChannelForm>,
        )
        .page(
            GET,
            "/channels/{id}/edit",
            ADMIN,
            pages::edit::<pages::ChannelForm>,
        )
        .page(
            POST,
            "/channels/{id}/edit",
            ADMIN,
            pages::update::<pages::ChannelForm>,
        )
        .page(POST, "/channels/{id}/test", ADMIN, pages::channel_test)
        .page(
            POST,
            "/channels/{id}/delete",
            ADMIN,
            pages::delete::<ChannelRow>,
        )
        .api(GET, "/goals", VIEWER, api::list::<GoalRow>)
        .api(POST, "/goals", EDITOR, api::create::<GoalRow>)
        .api(GET, "/goals/{id}", VIEWER, api::get::<GoalRow>)
        .api(PUT, "/goals/{id}", EDITOR, api::update::<GoalRow>)
        .api(DELETE, "/goals/{id}", EDITOR, api::delete::<GoalRow>)
        .api(GET, "/goals/{id}/history", VIEWER, api::goal_history)
        .api(GET, "/alerts", VIEWER, api::list::<AlertRow>)
        .api(POST, "/alerts", EDITOR, api::create::<AlertRow>)
        .api(POST, "/alerts/backtest", VIEWER, api::alert_backtest)
        .api(GET, "/alerts/{id}", VIEWER, api::get::<AlertRow>)
        .api(PUT, "/alerts/{id}", EDITOR, api::update::<AlertRow>)
        .api(DELETE, "/alerts/{id}", EDITOR, api::delete::<AlertRow>)
        .api(GET, "/alerts/{id}/history", VIEWER, api::alert_history)
        .api(GET, "/channels", VIEWER, api::list::<ChannelRow>)
        .api(POST, "/channels", ADMIN, api::create::<ChannelRow>)
        .api(GET, "/channels/{id}", VIEWER, api::get::<ChannelRow>)
        .api(PUT, "/channels/{id}", ADMIN, api::update::<ChannelRow>)
        .api(DELETE, "/channels/{id}", ADMIN, api::delete::<ChannelRow>)
        .api(POST, "/channels/{id}/test", ADMIN, api::channel_test)
        .api(GET, "/scorecards", VIEWER, api::list::<ScorecardRow>)
        .api(POST, "/scorecards", EDITOR, api::create::<ScorecardRow>)
        .api(GET, "/scorecards/{id}", VIEWER, api::get::<ScorecardRow>)
        .api(PUT, "/scorecards/{id}", EDITOR, api::update::<ScorecardRow>)
        .api(
            DELETE,
            "/scorecards/{id}",
            EDITOR,
            api::delete::<ScorecardRow>,
        )
        .api(
            GET,
            "/scorecards/{id}/preview",
            VIEWER,
            api::scorecard_preview,
        )
}

/// One kind of item the watch API and screens manage (goals, alerts, channels, scorecards),
/// implemented by its stored row: how it is listed, found, made, changed, removed through the
/// `app` operations, and shown. The API's handlers and the screens' handlers are written once
/// over it, so every kind answers a missing item, a refusal and a deletion alike.
pub(crate) trait Kind: Sized + Send + Sync + 'static {
    /// What the API and the screens call one item ("goal") and several ("goals"); the screen
    /// lives at `/goals`.
    const ONE: &'static str;
    const MANY: &'static str;
    /// The API's body for making or changing one.
    type In: serde::de::DeserializeOwned + Into<Self::Input> + Send;
    /// What the `app` operations take.
    type Input: Send;

    fn id(&self) -> i64;
    fn name(&self) -> &str;
    fn list(state: &AppState) -> impl Future<Output = Result<Vec<Self>, WebError>> + Send;
    fn load(state: &AppState, id: i64) -> impl Future<Output = Result<Self, WebError>> + Send;
    fn create(
        state: &AppState,
        input: Self::Input,
    ) -> impl Future<Output = Result<Self, WebError>> + Send;
    fn update(
        state: &AppState,
        id: i64,
        input: Self::Input,
    ) -> impl Future<Output = Result<Self, WebError>> + Send;
    fn delete(state: &AppState, id: i64) -> impl Future<Output = Result<(), app::AppError>> + Send;
    /// The item as the API shows it to a caller of `role`.
    fn json(
        &self,
        state: &AppState,
        role: Role,
    ) -> impl Future<Output = Result<serde_json::Value, WebError>> + Send;
}

/// How often a value rule would have fired over `metric`'s stored hours, evaluated hourly, for
/// the API and the Alerts screen alike: up to `to` (by default the end of the last stored
/// hour, or now when there is none) from `from` (by default 30 days before `to`).
pub(crate) async fn backtest_value(
    state: &AppState,
    metric: MetricId,
    rule: &AlertRule,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    zone: &TimeZone,
) -> Result<BacktestReport, WebError> {
    let all = app::evaluate::alert_buckets(
        state.store().as_ref(),
        metric,
        rule,
        i64::MIN / 2,
        i64::MAX / 2,
    )
    .await?;
    let latest = all.iter().map(|b| b.hour + domain::HOUR_MS).max();
    let to = to
        .or_else(|| latest.and_then(|ms| Timestamp::from_millisecond(ms).ok()))
        .unwrap_or_else(|| state.clock().now());
    let from = from.unwrap_or_else(|| {
        to.checked_sub(SignedDuration::from_hours(24 * 30))
            .unwrap_or(to)
    });
    watch::backtest(rule, &all, from, to, SignedDuration::from_hours(1), zone)
        .map_err(|e| WebError::invalid("rule", e.to_string()))
}
