//! Users, sessions, API tokens and failed sign-ins, on both backends.

mod support;

use std::sync::Arc;

use store::{
    AccountStore, AttemptLimit, AttemptReservation, Revoked, StoreError, UserChange, UserRow,
};
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

const WINDOW: i64 = 1_000;

fn limit(key: &str, max: u32) -> AttemptLimit<'_> {
    AttemptLimit { key, max }
}

/// Issue 15, finding 5: the count and the reservation are one step, so many attempts on one key
/// at once get at most `max` through.
async fn login_attempts_at_once_reserve_at_most_the_limit<H: Harness>(h: &H)
where
    H::S: AccountStore,
{
    let s = Arc::new(h.open(support::key_a()).await.unwrap());
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                s.reserve_login_attempt(&[limit("ada@x", 5), limit("x", 100)], WINDOW, 10_000)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut reserved = 0;
    for t in tasks {
        match t.await.unwrap() {
            AttemptReservation::Reserved(ids) => {
                assert_eq!(ids.len(), 2, "one row per key");
                reserved += 1;
            }
            AttemptReservation::Blocked { until_ms } => assert_eq!(until_ms, 10_000 + WINDOW),
        }
    }
    assert_eq!(reserved, 5);
}

/// Attempts leave the window one by one; a success releases its own reservation and clears its
/// key; keys are independent; the tightest limit of an attempt decides.
async fn login_attempts_slide_out_of_the_window_and_are_released_or_cleared<H: Harness>(h: &H)
where
    H::S: AccountStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    let reserve = |key: &'static str, max: u32, at: i64| {
        let s = &s;
        async move {
            s.reserve_login_attempt(&[limit(key, max)], WINDOW, at)
                .await
                .unwrap()
        }
    };
    for at in [100, 200, 300] {
        assert!(matches!(
            reserve("k", 3, at).await,
            AttemptReservation::Reserved(_)
        ));
    }
    assert_eq!(
        reserve("k", 3, 400).await,
        AttemptReservation::Blocked { until_ms: 1_100 }
    );
    assert!(matches!(
        reserve("other", 3, 400).await,
        AttemptReservation::Reserved(_)
    ));
    // The attempt at 100 leaves the window at 1100.
    assert_eq!(
        reserve("k", 3, 1_099).await,
        AttemptReservation::Blocked { until_ms: 1_100 }
    );
    let AttemptReservation::Reserved(ids) = reserve("k", 3, 1_100).await else {
        panic!("the window slid");
    };
    assert!(matches!(
        reserve("k", 3, 1_150).await,
        AttemptReservation::Blocked { .. }
    ));
    s.release_login_attempts(&ids).await.unwrap();
    assert!(matches!(
        reserve("k", 3, 1_150).await,
        AttemptReservation::Reserved(_)
    ));
    assert!(matches!(
        reserve("k", 3, 1_160).await,
        AttemptReservation::Blocked { .. }
    ));
    s.clear_login_attempts("k", 1_160 - WINDOW).await.unwrap();
    assert!(matches!(
        reserve("k", 3, 1_170).await,
        AttemptReservation::Reserved(_)
    ));
    // Two keys: blocked by the tighter one, and nothing is kept under either.
    let both = s
        .reserve_login_attempt(&[limit("k", 3), limit("fresh", 3)], WINDOW, 1_180)
        .await
        .unwrap();
    assert!(matches!(both, AttemptReservation::Reserved(_)), "{both:?}");
    let both = s
        .reserve_login_attempt(&[limit("k", 3), limit("fresh", 3)], WINDOW, 1_190)
        .await
        .unwrap();
    assert!(matches!(both, AttemptReservation::Reserved(_)), "{both:?}");
    let blocked = s
        .reserve_login_attempt(&[limit("k", 3), limit("fresh", 3)], WINDOW, 1_200)
        .await
        .unwrap();
    assert_eq!(blocked, AttemptReservation::Blocked { until_ms: 2_170 });
    assert!(
        matches!(
            reserve("fresh", 3, 1_200).await,
            AttemptReservation::Reserved(_)
        ),
        "the blocked attempt kept nothing under the other key"
    );
}

/// Issue 15, finding 6: the first Admin is created only while no Admin exists, once however many
/// try at the same time.
async fn the_first_admin_is_created_once_and_never_after_an_admin_exists<H: Harness>(h: &H)
where
    H::S: AccountStore,
{
    let s = Arc::new(h.open(support::key_a()).await.unwrap());
    s.create_user("vera", "viewer", "h", 0).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                s.create_first_admin(&format!("admin{i}"), "h", 1)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        created += usize::from(t.await.unwrap().is_some());
    }
    assert_eq!(created, 1);
    assert_eq!(s.count_admins().await.unwrap(), 1);
    assert_eq!(s.count_users().await.unwrap(), 2);

    // Another process on the same database finds the Admin too.
    let other = h.open(support::key_a()).await.unwrap();
    assert!(
        other
            .create_first_admin("eve", "h", 1)
            .await
            .unwrap()
            .is_none()
    );
}

/// Issue 15, finding 6: an Admin added any other way (`switchboard user add`) ends setup too.
async fn no_first_admin_after_an_admin_was_added<H: Harness>(h: &H)
where
    H::S: AccountStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    s.create_user("root", "admin", "h", 0).await.unwrap();
    assert!(s.create_first_admin("eve", "h", 1).await.unwrap().is_none());
    assert_eq!(s.count_users().await.unwrap(), 1);
}

/// Issue 15, finding 14: the last enabled Admin is never disabled, demoted or deleted, also when
/// two Admins remove each other at once.
async fn the_last_enabled_admin_is_never_disabled_demoted_or_deleted<H: Harness>(h: &H)
where
    H::S: AccountStore,
{
    let s = Arc::new(h.open(support::key_a()).await.unwrap());
    let ada = s.create_user("ada", "admin", "h", 0).await.unwrap();
    let bob = s.create_user("bob", "viewer", "h", 0).await.unwrap();
    assert_eq!(
        s.set_user_disabled(ada.id, true).await.unwrap(),
        UserChange::LastAdmin
    );
    assert_eq!(
        s.set_user_role(ada.id, "editor").await.unwrap(),
        UserChange::LastAdmin
    );
    assert_eq!(s.delete_user(ada.id).await.unwrap(), UserChange::LastAdmin);
    assert_eq!(s.delete_user(9_999).await.unwrap(), UserChange::NoUser);
    let UserChange::Done(same) = s.set_user_role(ada.id, "admin").await.unwrap() else {
        panic!("an Admin may stay Admin");
    };
    assert_eq!(same.role, "admin");
    let UserChange::Done(promoted) = s.set_user_role(bob.id, "admin").await.unwrap() else {
        panic!("promote bob");
    };
    assert_eq!(promoted.role, "admin");
    let UserChange::Done(off) = s.set_user_disabled(bob.id, true).await.unwrap() else {
        panic!("disable bob while ada is enabled");
    };
    assert!(off.disabled);
    assert_eq!(
        s.delete_user(ada.id).await.unwrap(),
        UserChange::LastAdmin,
        "a disabled Admin does not count"
    );
    assert!(matches!(
        s.set_user_disabled(bob.id, false).await.unwrap(),
        UserChange::Done(UserRow {
            disabled: false,
            ..
        })
    ));
    // Both remove the other at once: one wins.
    let (a, b) = (Arc::clone(&s), Arc::clone(&s));
    let (ada_id, bob_id) = (ada.id, bob.id);
    let one = tokio::spawn(async move { a.delete_user(bob_id).await.unwrap() });
    let two = tokio::spawn(async move { b.delete_user(ada_id).await.unwrap() });
    let outcomes = [one.await.unwrap(), two.await.unwrap()];
    assert!(outcomes.contains(&UserChange::Done(())), "{outcomes:?}");
    assert!(outcomes.contains(&UserChange::LastAdmin), "{outcomes:?}");
    assert_eq!(s.count_admins().await.unwrap(), 1);
}

/// Issue 15, finding 14: disabling ends sessions and suspends tokens; a new password ends
/// sessions; revoking ends sessions and deletes tokens; deleting takes both with the person.
async fn disabling_resetting_revoking_and_deleting_end_a_persons_access<H: Harness>(h: &H)
where
    H::S: AccountStore,
{
    let s = h.open(support::key_a()).await.unwrap();
    s.create_user("ada", "admin", "h", 0).await.unwrap();
    let bob = s.create_user("bob", "editor", "old", 0).await.unwrap();
    s.create_session("s1", bob.id, "c", 10_000).await.unwrap();
    s.create_api_token(bob.id, "ci", "t1", 0).await.unwrap();
    let UserChange::Done(off) = s.set_user_disabled(bob.id, true).await.unwrap() else {
        panic!("disable bob");
    };
    assert!(off.disabled);
    assert!(s.user_by_name("bob").await.unwrap().unwrap().disabled);
    assert!(s.session("s1", 0).await.unwrap().is_none());
    assert!(s.user_by_api_token("t1").await.unwrap().is_none());
    s.create_session("s2", bob.id, "c", 10_000).await.unwrap();
    assert!(
        s.session("s2", 0).await.unwrap().is_none(),
        "not while disabled"
    );
    s.set_user_disabled(bob.id, false).await.unwrap();
    assert_eq!(s.user_by_api_token("t1").await.unwrap().unwrap().id, bob.id);
    assert!(
        s.session("s1", 0).await.unwrap().is_none(),
        "ended, not suspended"
    );

    s.create_session("s3", bob.id, "c", 10_000).await.unwrap();
    assert!(s.set_password_hash(bob.id, "new").await.unwrap());
    assert!(!s.set_password_hash(9_999, "new").await.unwrap());
    assert_eq!(
        s.user_by_id(bob.id).await.unwrap().unwrap().password_hash,
        "new"
    );
    assert!(s.session("s3", 0).await.unwrap().is_none());
    assert!(
        s.user_by_api_token("t1").await.unwrap().is_some(),
        "tokens stay"
    );

    s.create_session("s4", bob.id, "c", 10_000).await.unwrap();
    s.create_api_token(bob.id, "cron", "t2", 0).await.unwrap();
    assert_eq!(
        s.revoke_user_access(bob.id).await.unwrap(),
        Some(Revoked {
            sessions: 1,
            tokens: 2
        })
    );
    assert!(s.session("s4", 0).await.unwrap().is_none());
    assert!(s.list_api_tokens(bob.id).await.unwrap().is_empty());
    assert_eq!(s.revoke_user_access(9_999).await.unwrap(), None);

    s.create_session("s5", bob.id, "c", 10_000).await.unwrap();
    s.create_api_token(bob.id, "ci", "t3", 0).await.unwrap();
    assert_eq!(s.delete_user(bob.id).await.unwrap(), UserChange::Done(()));
    assert!(s.user_by_id(bob.id).await.unwrap().is_none());
    assert!(s.session("s5", 0).await.unwrap().is_none());
    assert!(s.user_by_api_token("t3").await.unwrap().is_none());
}

contract_tests!(
    users_are_unique_whatever_the_case_and_found_by_name,
    a_session_lasts_until_it_expires_or_is_deleted,
    api_tokens_name_their_user_and_are_revoked_only_by_their_owner,
    login_attempts_at_once_reserve_at_most_the_limit,
    login_attempts_slide_out_of_the_window_and_are_released_or_cleared,
    the_first_admin_is_created_once_and_never_after_an_admin_exists,
    no_first_admin_after_an_admin_was_added,
    the_last_enabled_admin_is_never_disabled_demoted_or_deleted,
    disabling_resetting_revoking_and_deleting_end_a_persons_access,
);
