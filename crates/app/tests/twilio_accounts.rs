//! Saving a connection lists the accounts its key reaches, against the simulator over loopback:
//! a Main key of a parent with three subaccounts records all four as the simulator's dataset
//! holds them; a Standard key records only its own account and says why in words; a listing
//! that fails leaves the connection saved.

mod support;

use app::Label;
use app::twilio_accounts::{AccountNames, AccountsFound};
use connector::{BaseUrl, Connector, ConnectorConfig};
use domain::Secret;
use store::{AccountStatus, Store};
use twilio_sim::{Faults, SimConfig, SimHandle, Sizes};

async fn sim(subaccounts: u32) -> SimHandle {
    twilio_sim::spawn(SimConfig {
        seed: 21,
        now: "2026-03-01T00:00:00Z".parse().unwrap(),
        sizes: Sizes {
            messages_per_day: 2,
            calls_per_day: 1,
            days: 2,
            subaccounts,
            ..Sizes::default()
        },
        faults: Faults::default(),
        incidents: Vec::new(),
    })
    .await
    .expect("the simulator starts")
}

fn connector_to(sim: &SimHandle) -> Connector {
    Connector::new(ConnectorConfig {
        base_url: Some(BaseUrl::parse(&sim.base_url()).unwrap()),
        ..ConnectorConfig::default()
    })
    .unwrap()
}

fn credentials(sim: &SimHandle, standard: bool) -> connector::Credentials {
    let account = sim.dataset().main_account();
    let key = if standard {
        account.standard_key()
    } else {
        account.main_key()
    }
    .expect("the simulator makes both keys");
    app::connections::parse_credentials(&account.sid, &key.sid, Secret::new(key.secret.clone()))
        .unwrap()
}

#[tokio::test]
async fn saving_a_main_key_records_the_parent_and_its_subaccounts() {
    let sim = sim(3).await;
    let data = sim.dataset();
    for b in support::backends_with("accts_main", connector_to(&sim)).await {
        let added = b
            .app
            .add_connection(&Label::parse("parent").unwrap(), credentials(&sim, false))
            .await
            .unwrap();
        assert_eq!(
            added.accounts,
            AccountsFound::Listed {
                accounts: data.accounts.len(),
                subaccounts: 3
            },
            "{}",
            b.name
        );
        assert!(
            added.message().ends_with("; 3 subaccounts found"),
            "{}",
            added.message()
        );
        let stored = b.app.twilio_accounts(added.connection.id).await.unwrap();
        let mut got: Vec<(String, String, bool)> = stored
            .iter()
            .map(|a| (a.sid.to_string(), a.friendly_name.clone(), a.is_parent))
            .collect();
        let mut want: Vec<(String, String, bool)> = data
            .accounts
            .iter()
            .map(|a| (a.sid.clone(), a.friendly_name.clone(), !a.is_subaccount))
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{}", b.name);
        assert!(
            stored
                .iter()
                .all(|a| a.status == AccountStatus::Active && a.is_requested())
        );
        assert_eq!(
            stored[0].sid.as_str(),
            data.main_account().sid,
            "own account first"
        );
    }
}

#[tokio::test]
async fn saving_a_standard_key_records_only_its_own_account_and_says_why() {
    let sim = sim(3).await;
    let data = sim.dataset();
    for b in support::backends_with("accts_std", connector_to(&sim)).await {
        let added = b
            .app
            .add_connection(&Label::parse("standard").unwrap(), credentials(&sim, true))
            .await
            .unwrap();
        let AccountsFound::NotListable { reason } = &added.accounts else {
            panic!(
                "{}: a Standard key listed accounts: {:?}",
                b.name, added.accounts
            );
        };
        assert!(
            reason.contains("Standard API key cannot list subaccounts"),
            "{reason}"
        );
        assert!(reason.contains("Main key"), "{reason}");
        let stored = b.app.twilio_accounts(added.connection.id).await.unwrap();
        assert_eq!(stored.len(), 1, "{}", b.name);
        assert_eq!(stored[0].sid.as_str(), data.main_account().sid);
        assert!(stored[0].is_parent);
    }
}

#[tokio::test]
async fn a_listing_that_fails_is_reported_and_keeps_the_connection() {
    // A port nothing listens on: the listing cannot be read at all.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let connector = Connector::new(ConnectorConfig {
        base_url: Some(BaseUrl::parse(&base).unwrap()),
        retry: connector::RetryPolicy {
            max_attempts: 1,
            ..connector::RetryPolicy::default()
        },
        ..ConnectorConfig::default()
    })
    .unwrap();
    for b in support::backends_with("accts_fail", connector.clone()).await {
        let conn = support::connection(&b.app, "offline").await;
        let found = AccountsFound::of(&b.app.discover_accounts(conn.id).await);
        assert!(found.is_failure(), "{}: {found:?}", b.name);
        assert!(
            found.to_string().contains("the connection is saved"),
            "{found}"
        );
        assert!(b.app.store().connection(conn.id).await.is_ok());
        assert!(b.app.twilio_accounts(conn.id).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn every_surface_names_an_account_by_its_friendly_name() {
    let sim = sim(2).await;
    let data = sim.dataset();
    for b in support::backends_with("accts_names", connector_to(&sim)).await {
        b.app
            .add_connection(&Label::parse("parent").unwrap(), credentials(&sim, false))
            .await
            .unwrap();
        let names = AccountNames::load(b.app.store()).await.unwrap();
        let sub = &data.accounts[1];
        assert_eq!(names.name(&sub.sid), sub.friendly_name);
        let composite = metric::accounts::compose(&sub.sid, Some("delivered"));
        assert_eq!(
            names.dimension(&composite),
            format!("{} · delivered", sub.friendly_name)
        );
    }
}

#[tokio::test]
async fn a_library_metric_added_for_every_active_account_says_so_in_its_definition() {
    let sim = sim(2).await;
    for b in support::backends_with("accts_lib", connector_to(&sim)).await {
        b.app
            .add_connection(&Label::parse("parent").unwrap(), credentials(&sim, false))
            .await
            .unwrap();
        let scope = app::metrics::parse_scope("active").unwrap();
        let m = b
            .app
            .add_library_metric_scoped("messages-sent", "parent", &scope)
            .await
            .unwrap();
        let def = metric::MetricDefinition::from_json(&m.definition).unwrap();
        assert_eq!(def.accounts, metric::AccountScope::Active, "{}", b.name);
    }
}

#[tokio::test]
async fn a_scope_over_accounts_is_refused_for_a_request_that_does_not_name_the_account() {
    let sim = sim(1).await;
    for b in support::backends_with("accts_noacct", connector_to(&sim)).await {
        b.app
            .add_connection(&Label::parse("parent").unwrap(), credentials(&sim, false))
            .await
            .unwrap();
        let err = b
            .app
            .add_library_metric_scoped(
                "alerts-by-error-code",
                "parent",
                &metric::AccountScope::Active,
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("has no {AccountSid}"), "{err}");
    }
}

#[tokio::test]
async fn a_chosen_list_naming_an_account_the_connection_does_not_reach_is_refused() {
    let sim = sim(1).await;
    for b in support::backends_with("accts_list", connector_to(&sim)).await {
        b.app
            .add_connection(&Label::parse("parent").unwrap(), credentials(&sim, false))
            .await
            .unwrap();
        let stranger = "AC0000000000000000000000000000dead";
        let scope = app::metrics::parse_scope(stranger).unwrap();
        let err = b
            .app
            .add_library_metric_scoped("messages-sent", "parent", &scope)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("is not an account of connection 'parent'"),
            "{err}"
        );
        let def = serde_json::json!({
            "version": 1, "connection": "parent", "accounts": { "list": [stranger] },
            "request": { "host": "api.twilio.com", "path": "/2010-04-01/Accounts/{AccountSid}/Messages.json" },
            "extraction": { "expression": "messages.{ 'value': 1, 'date': date_sent }" },
            "description": { "name": "Chosen", "aggregation": "sum", "favourable": "up", "format": { "unit": "count" }, "interval": "day" }
        });
        let def = metric::MetricDefinition::from_value(def).unwrap();
        let refused = b.app.create_metric(&def, true).await.unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("is not an account of connection 'parent'"),
            "{refused}"
        );
    }
}
