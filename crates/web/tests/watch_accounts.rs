//! The Alerts and Goals screens over a metric of several Twilio accounts: the forms offer the
//! connection's accounts as checkboxes by friendly name, a per-account value alert and a goal
//! over chosen accounts are saved from them, the edit form and a refused form come back with
//! the boxes as ticked, on SQLite and on PostgreSQL. The accounts are the ones the test lists.

mod support;

use axum::http::StatusCode;
use metric::accounts::AccountScope;
use store::{NewMetric, Store as _, WatchStore as _};
use support::{Session, TestApp, flash, spawn_app, spawn_app_pg};

use support::brands::{BRAND_B, BRAND_C, NAMES, PARENT};

/// The metric over every account and the one over the connection's own account.
struct Seeded {
    multi: String,
    single: String,
}

async fn seed(app: &TestApp) -> Seeded {
    let connection = support::brands::parent_with_brands(app).await;
    let mut def = library::find("messages-sent").unwrap().definition.clone();
    let single = metric(app, "One account", &def, connection).await;
    def.accounts = AccountScope::Active;
    let multi = metric(app, "Every account", &def, connection).await;
    Seeded { multi, single }
}

async fn metric(
    app: &TestApp,
    name: &str,
    def: &metric::MetricDefinition,
    connection: store::ConnectionId,
) -> String {
    let m = app
        .state
        .store()
        .create_metric(
            &NewMetric {
                name: name.into(),
                connection_id: Some(connection),
                definition: def.to_json_pretty(),
            },
            0,
        )
        .await
        .unwrap();
    m.id.0.to_string()
}

fn alert_fields<'a>(
    admin: &'a Session,
    metric: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", &admin.csrf),
        ("name", "Delivery by account"),
        ("metric", metric),
        ("aggregation", "sum"),
        ("condition", "below"),
        ("value", value),
        ("range", "last24_hours"),
        ("cooldown_hours", "6"),
        ("silent", "on"),
        ("per_account", "on"),
        ("account", PARENT),
        ("account", BRAND_B),
    ]
}

fn goal_fields<'a>(admin: &'a Session, metric: &'a str, start: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", &admin.csrf),
        ("name", "Brand B this month"),
        ("metric", metric),
        ("target", "1000"),
        ("criterion", "reach"),
        ("trend", "up"),
        ("aggregation", "sum"),
        ("unit", "month"),
        ("start", start),
        ("repeat", "on"),
        ("zone", "UTC"),
        ("account", BRAND_B),
    ]
}

/// Posts a form the screen must refuse, and checks it did (422, the form drawn again).
async fn refused(
    app: &TestApp,
    admin: &Session,
    path: &str,
    fields: &[(&str, &str)],
) -> support::Reply {
    let reply = app.post_form(path, Some(admin), fields).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    reply
}

fn ticked(body: &str, sid: &str) -> bool {
    body.contains(&format!("name=\"account\" value=\"{sid}\" checked"))
}

fn today() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%d").to_string()
}

async fn the_forms_offer_the_accounts_by_name_for_a_multi_account_metric_only(app: TestApp) {
    let admin = app.admin().await;
    let seeded = seed(&app).await;
    for screen in ["/alerts", "/goals"] {
        let page = app.get(screen, Some(&admin)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for (sid, name) in NAMES {
            assert!(
                page.body.contains(&format!(
                    "<input type=\"checkbox\" name=\"account\" value=\"{sid}\"> {name}</label>"
                )),
                "{screen}: {name} offered by name: {}",
                page.body
            );
        }
        assert!(
            !page.body.contains("SIDs separated"),
            "{screen}: no SIDs to type"
        );
        // The page's script shows the accounts for the metric whose option says it has them.
        assert!(page.body.contains(&format!(
            "<option value=\"{}\" data-accounts=",
            seeded.multi
        )));
        assert!(
            page.body
                .contains(&format!("<option value=\"{}\">", seeded.single)),
            "{screen}: a one-account metric offers no accounts: {}",
            page.body
        );
    }
}

async fn a_per_account_alert_is_saved_from_the_page_with_the_accounts_ticked(app: TestApp) {
    let admin = app.admin().await;
    let seeded = seed(&app).await;
    let saved = app
        .post_form(
            "/alerts",
            Some(&admin),
            &alert_fields(&admin, &seeded.multi, "90"),
        )
        .await;
    assert!(
        flash(&saved).is_some_and(|f| f.0),
        "{:?} {}",
        saved.location(),
        saved.body
    );
    let alert = app.state.store().list_alerts().await.unwrap().remove(0);
    let watch::AlertSpec::Value { rule, .. } = &alert.spec else {
        panic!("saved as {:?}", alert.spec)
    };
    assert!(rule.per_account);
    assert_eq!(
        rule.accounts.as_deref(),
        Some([PARENT.to_owned(), BRAND_B.to_owned()].as_slice())
    );

    let edit = app
        .get(&format!("/alerts/{}/edit", alert.id.0), Some(&admin))
        .await;
    assert!(ticked(&edit.body, PARENT) && ticked(&edit.body, BRAND_B));
    assert!(!ticked(&edit.body, BRAND_C), "{}", edit.body);
    assert!(edit.body.contains("name=\"per_account\" checked"));
}

async fn a_refused_alert_form_comes_back_with_its_accounts_ticked(app: TestApp) {
    let admin = app.admin().await;
    let seeded = seed(&app).await;
    let refused = refused(
        &app,
        &admin,
        "/alerts",
        &alert_fields(&admin, &seeded.multi, "not a number"),
    )
    .await;
    assert!(ticked(&refused.body, PARENT) && ticked(&refused.body, BRAND_B));
    assert!(!ticked(&refused.body, BRAND_C), "{}", refused.body);
    assert!(
        !refused
            .body
            .contains("id=\"alert-accounts\" data-for-metric hidden"),
        "the accounts of the chosen metric show: {}",
        refused.body
    );
    assert!(app.state.store().list_alerts().await.unwrap().is_empty());
}

async fn a_goal_over_chosen_accounts_is_saved_from_the_page(app: TestApp) {
    let admin = app.admin().await;
    let seeded = seed(&app).await;
    let start = today();
    let saved = app
        .post_form(
            "/goals",
            Some(&admin),
            &goal_fields(&admin, &seeded.multi, &start),
        )
        .await;
    assert!(
        flash(&saved).is_some_and(|f| f.0),
        "{:?} {}",
        saved.location(),
        saved.body
    );
    let goal = app.state.store().list_goals().await.unwrap().remove(0);
    assert_eq!(
        goal.spec.accounts.as_deref(),
        Some([BRAND_B.to_owned()].as_slice())
    );
    let edit = app
        .get(&format!("/goals/{}/edit", goal.id.0), Some(&admin))
        .await;
    assert!(ticked(&edit.body, BRAND_B), "{}", edit.body);
    assert!(!ticked(&edit.body, PARENT) && !ticked(&edit.body, BRAND_C));
}

async fn a_refused_goal_form_comes_back_with_its_accounts_ticked(app: TestApp) {
    let admin = app.admin().await;
    let seeded = seed(&app).await;
    let refused = refused(
        &app,
        &admin,
        "/goals",
        &goal_fields(&admin, &seeded.multi, ""),
    )
    .await;
    assert!(ticked(&refused.body, BRAND_B), "{}", refused.body);
    assert!(!ticked(&refused.body, PARENT));
    assert!(app.state.store().list_goals().await.unwrap().is_empty());
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::spawn_app().await).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                let Some((app, _schema)) = super::spawn_app_pg().await else {
                    return;
                };
                super::$name(app).await;
            })*
        }
    };
}

on_both_backends!(
    the_forms_offer_the_accounts_by_name_for_a_multi_account_metric_only,
    a_per_account_alert_is_saved_from_the_page_with_the_accounts_ticked,
    a_refused_alert_form_comes_back_with_its_accounts_ticked,
    a_goal_over_chosen_accounts_is_saved_from_the_page,
    a_refused_goal_form_comes_back_with_its_accounts_ticked,
);
