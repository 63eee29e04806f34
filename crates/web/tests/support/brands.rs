//! A parent account and two subaccounts ("Brand B", and "Brand C", closed) listed for one
//! connection, as a discovery would record them: what the tests of multi-account blocks, alerts
//! and goals name accounts by.

#![allow(dead_code)]

use store::{
    AccountStatus, ConnectionId, ListedAccount, NewConnection, Store as _, TwilioAccountStore as _,
};

use super::TestApp;

pub const PARENT: &str = "AC00000000000000000000000000000a01";
pub const BRAND_B: &str = "AC00000000000000000000000000000b02";
pub const BRAND_C: &str = "AC00000000000000000000000000000c03";
/// Each account by the name the screens show it by.
pub const NAMES: [(&str, &str); 3] = [
    (PARENT, "Parent"),
    (BRAND_B, "Brand B"),
    (BRAND_C, "Brand C (closed)"),
];

/// The connection "Parent" with its three accounts listed.
pub async fn parent_with_brands(app: &TestApp) -> ConnectionId {
    let store = app.state.store();
    let now = jiff::Timestamp::now().as_millisecond();
    let connection = store
        .create_connection(
            &NewConnection {
                label: "Parent".into(),
                account_sid: PARENT.parse().unwrap(),
                api_key_sid: "SK00000000000000000000000000000001".parse().unwrap(),
                secret: domain::Secret::new("s"),
            },
            now,
        )
        .await
        .unwrap();
    let listed = |sid: &str, name: &str, status| ListedAccount {
        sid: sid.parse().unwrap(),
        friendly_name: name.into(),
        status,
        is_parent: sid == PARENT,
    };
    store
        .record_account_listing(
            connection.id,
            &[
                listed(PARENT, "Parent", AccountStatus::Active),
                listed(BRAND_B, "Brand B", AccountStatus::Active),
                listed(BRAND_C, "Brand C", AccountStatus::Closed),
            ],
            now,
        )
        .await
        .unwrap();
    connection.id
}
