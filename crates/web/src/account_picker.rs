//! The accounts a form may keep of a metric over several Twilio accounts (a board block, a
//! value alert, a goal): checkboxes by friendly name, never SIDs to type. Names come from
//! `app::twilio_accounts::AccountNames`, the one way every surface names an account.

use std::collections::HashMap;

use store::{Store as _, TwilioAccountStore as _};

use crate::error::WebError;
use crate::features::boards::render::esc;
use crate::state::AppState;

/// One account a form offers.
pub(crate) struct AccountChoice {
    pub(crate) sid: String,
    /// The name as shown ("Brand C (closed)").
    pub(crate) name: String,
    pub(crate) connection: i64,
}

/// The metrics over several accounts and every account known, read once per form.
#[derive(Default)]
pub(crate) struct AccountChoices {
    /// Each multi-account metric's connection; `None` for a metric saved without one, which
    /// reads whichever connection the sync picks, so every account is offered for it.
    multi: HashMap<i64, Option<i64>>,
    accounts: Vec<AccountChoice>,
    names: app::twilio_accounts::AccountNames,
}

impl AccountChoices {
    pub(crate) async fn load(state: &AppState) -> Result<Self, WebError> {
        let s = state.store();
        let metrics = s.list_metrics().await?;
        let multi_ids = app::boards::multi_account_metrics(&metrics);
        let multi: HashMap<i64, Option<i64>> = metrics
            .iter()
            .filter(|m| multi_ids.contains(&m.id.0))
            .map(|m| (m.id.0, m.connection_id.map(|c| c.0)))
            .collect();
        if multi.is_empty() {
            return Ok(Self::default());
        }
        let names = app::twilio_accounts::AccountNames::load(s).await?;
        let mut accounts = Vec::new();
        for c in s.list_connections().await? {
            for a in s.twilio_accounts(c.id).await? {
                let sid = a.sid.to_string();
                accounts.push(AccountChoice {
                    name: names.name(&sid),
                    sid,
                    connection: c.id.0,
                });
            }
        }
        Ok(Self {
            multi,
            accounts,
            names,
        })
    }

    pub(crate) fn is_multi(&self, metric: i64) -> bool {
        self.multi.contains_key(&metric)
    }

    pub(crate) fn any_multi(&self) -> bool {
        !self.multi.is_empty()
    }

    /// What a metric's `<option>` tells the page's script: which accounts to offer for it
    /// (`data-accounts="3"`, its connection, or `"any"`), nothing for a metric of one account.
    /// By reference, as the templates pass it.
    pub(crate) fn option_data(&self, metric: &i64) -> String {
        match self.multi.get(metric) {
            Some(Some(connection)) => format!(" data-accounts=\"{connection}\""),
            Some(None) => " data-accounts=\"any\"".to_owned(),
            None => String::new(),
        }
    }

    /// One checkbox per account, named `field`, ticked when `ticked` holds its SID, each marked
    /// with its connection so the script can offer only the chosen metric's. A ticked SID no
    /// listing knows is kept as a box of its own, so saving the form again does not drop it.
    pub(crate) fn checkboxes<'a>(
        &self,
        field: &str,
        ticked: impl IntoIterator<Item = &'a String> + Clone,
    ) -> String {
        let is_ticked = |sid: &str| ticked.clone().into_iter().any(|t| t == sid);
        let mut f = String::from("<div class=\"account-options\">");
        for a in &self.accounts {
            f.push_str(&checkbox(
                field,
                &a.sid,
                &a.name,
                Some(a.connection),
                is_ticked(&a.sid),
            ));
        }
        for sid in ticked {
            if !self.accounts.iter().any(|a| &a.sid == sid) {
                f.push_str(&checkbox(field, sid, &self.names.name(sid), None, true));
            }
        }
        if self.accounts.is_empty() {
            f.push_str("<p class=\"small muted\">No account discovered yet: the accounts page of a connection lists them.</p>");
        }
        f.push_str("</div>");
        f
    }
}

fn checkbox(field: &str, sid: &str, name: &str, connection: Option<i64>, ticked: bool) -> String {
    format!(
        "<label class=\"check account-option\"{}><input type=\"checkbox\" name=\"{}\" value=\"{}\"{}> {}</label>",
        connection
            .map(|c| format!(" data-connection=\"{c}\""))
            .unwrap_or_default(),
        esc(field),
        esc(sid),
        if ticked { " checked" } else { "" },
        esc(name)
    )
}

/// The SIDs a form's ticked boxes sent (`field` repeated); none ticked means every account.
pub(crate) fn ticked(pairs: &[(String, String)], field: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, v)| k == field && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_owned())
        .collect()
}
