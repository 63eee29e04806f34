//! Users, sessions, API tokens and failed sign-ins, on both backends.

mod support;

use store::{AccountStore, StoreError};
use support::Harness;

async fn users_are_unique_whatever_the_case_and_found_by_name<H: Harness>(h: &H)
where
    H::S: AccountStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    assert_eq!(s.count_users().await.unwrap(), 0);
    let ada = s
        .create_user("Ada", "admin", "$argon2id$x", 10)
        .await
        .unwrap();
    assert_eq!(ada.name, "Ada");
    let dup = s.create_user("ada", "viewer", "h", 11).await.unwrap_err();
    assert!(
        matches!(dup, StoreError::Duplicate { what: "user", .. }),
        "{dup}"
    );
    let found = s.user_by_name(" ADA ").await.unwrap().unwrap();
    assert_eq!(found, ada);
    assert!(s.user_by_name("bob").await.unwrap().is_none());
    s.create_user("bob", "viewer", "h2", 12).await.unwrap();
    let names: Vec<String> = s
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names, ["Ada", "bob"]);
    assert_eq!(s.count_users().await.unwrap(), 2);
}

async fn a_session_lasts_until_it_expires_or_is_deleted<H: Harness>(h: &H)
where
    H::S: AccountStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    let u = s.create_user("ada", "editor", "h", 0).await.unwrap();
    s.create_session("hash1", u.id, "csrf1", 1_000)
        .await
        .unwrap();
    let live = s.session("hash1", 999).await.unwrap().unwrap();
    assert_eq!(
        (live.user.id, live.csrf.as_str(), live.expires_ms),
        (u.id, "csrf1", 1_000)
    );
    assert!(
        s.session("hash1", 1_000).await.unwrap().is_none(),
        "expired at its instant"
    );
    s.create_session("hash2", u.id, "csrf2", 5_000)
        .await
        .unwrap();
    s.delete_session("hash2").await.unwrap();
    assert!(s.session("hash2", 0).await.unwrap().is_none());
    let bad = s.create_session("hash3", u.id + 100, "c", 5_000).await;
    assert!(bad.is_err(), "a session needs an existing user");
}

async fn api_tokens_name_their_user_and_are_revoked_only_by_their_owner<H: Harness>(h: &H)
where
    H::S: AccountStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    let ada = s.create_user("ada", "admin", "h", 0).await.unwrap();
    let bob = s.create_user("bob", "viewer", "h", 0).await.unwrap();
    let t = s.create_api_token(ada.id, "ci", "th1", 5).await.unwrap();
    assert_eq!(
        s.user_by_api_token("th1").await.unwrap().unwrap().id,
        ada.id
    );
    assert!(s.user_by_api_token("nope").await.unwrap().is_none());
    assert_eq!(s.list_api_tokens(ada.id).await.unwrap(), vec![t.clone()]);
    assert!(s.list_api_tokens(bob.id).await.unwrap().is_empty());
    assert!(!s.delete_api_token(bob.id, t.id).await.unwrap());
    assert!(s.delete_api_token(ada.id, t.id).await.unwrap());
    assert!(s.user_by_api_token("th1").await.unwrap().is_none());
}

async fn failed_sign_ins_are_counted_per_key_within_the_window<H: Harness>(h: &H)
where
    H::S: AccountStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    for at in [100, 200, 300] {
        s.record_login_failure("user:ada", at).await.unwrap();
    }
    s.record_login_failure("user:bob", 250).await.unwrap();
    assert_eq!(s.login_failures("user:ada", 150).await.unwrap(), [200, 300]);
    assert_eq!(
        s.login_failures("user:ada", 0).await.unwrap(),
        [200, 300],
        "older ones were dropped"
    );
    s.clear_login_failures("user:ada").await.unwrap();
    assert!(s.login_failures("user:ada", 0).await.unwrap().is_empty());
    assert_eq!(s.login_failures("user:bob", 0).await.unwrap(), [250]);
}

contract_tests!(
    users_are_unique_whatever_the_case_and_found_by_name,
    a_session_lasts_until_it_expires_or_is_deleted,
    api_tokens_name_their_user_and_are_revoked_only_by_their_owner,
    failed_sign_ins_are_counted_per_key_within_the_window,
);
