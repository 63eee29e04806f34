//! Captures every log line (tracing and the `log` crate, at TRACE) of runs that use a known
//! secret, successful and failing, and finds the secret nowhere: not in clear, not in the Basic
//! header's base64.

mod support;

use base64::Engine;
use connector::{ConnectionCheck, Credentials};
use domain::Secret;
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::*;
use twilio_sim::{Faults, KeyType};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn forbidden_forms(creds: &Credentials) -> Vec<String> {
    let secret = creds.secret.expose().to_owned();
    let basic = format!("{}:{}", creds.api_key_sid, secret);
    vec![
        secret.clone(),
        base64::engine::general_purpose::STANDARD.encode(&basic),
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(&basic),
    ]
}

#[tokio::test]
async fn no_log_line_of_a_run_contains_the_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("this test binary installs the only global subscriber");

    let (sim, _) = sim(3, 30).await;
    let connector = connector_to(&sim.base_url(), |_| {});
    let good = sim_creds(&sim, KeyType::Main);
    let bad = Credentials::parse(
        good.account_sid.as_str(),
        good.api_key_sid.as_str(),
        Secret::new(SECRET),
    )
    .unwrap();
    let spec = with_params(spec("api.twilio.com", MESSAGES), &[("PageSize", "20")]);

    assert!(connector.check(&good).await.is_connected());
    assert!(matches!(
        connector.check(&bad).await,
        ConnectionCheck::Refused { status: 401, .. }
    ));
    let (_, ok) = fetch_all(&connector, &good, &spec).await;
    assert!(ok.is_ok());
    let (_, refused) = fetch_all(&connector, &bad, &spec).await;
    let refused = refused.unwrap_err();
    sim.set_faults(Faults {
        rate_429: 0.3,
        rate_500: 0.1,
        ..Faults::default()
    });
    let (_, retried) = fetch_all(&connector, &good, &spec).await;
    let retried = retried.unwrap_or_else(|failed| failed.ledger);
    assert!(
        retried.retries > 0,
        "the run should include retries, whose warnings are logged"
    );

    // What a caller might print is checked too.
    let printed = format!(
        "{good:?} {bad:?} {refused} {refused:?} {:?}",
        connector.check(&bad).await
    );

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("fetch") && logs.contains("retrying"),
        "the capture should hold the run's logs:\n{logs}"
    );
    assert!(logs.lines().count() > 10);
    for creds in [&good, &bad] {
        for form in forbidden_forms(creds) {
            assert!(
                !logs.contains(&form),
                "a log line holds a secret form {form:?}"
            );
            assert!(
                !printed.contains(&form),
                "printed output holds a secret form"
            );
        }
    }
    assert!(!logs.to_ascii_lowercase().contains("authorization: basic"));
}
