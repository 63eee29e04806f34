//! Every endpoint the simulator serves, with where its official schema and examples live.

/// How a 200 body is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// The 2010 API list envelope: the list key beside `first_page_uri`, `page`, ... with
    /// relative `/2010-04-01/...` URIs.
    Flat(&'static str),
    /// The product API envelope: the list key beside `meta` with absolute URLs.
    Meta(&'static str),
    /// A single resource.
    Instance,
}

#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// The Host header the simulator routes on.
    pub host: &'static str,
    /// The spec file name under `oai/json/` without `.json`.
    pub spec: &'static str,
    /// The path template exactly as in the spec's `paths`.
    pub template: &'static str,
    pub envelope: Envelope,
}

const API: &str = "api.twilio.com";
const V2010: &str = "twilio_api_v2010";

const fn flat(template: &'static str, key: &'static str) -> Endpoint {
    Endpoint {
        host: API,
        spec: V2010,
        template,
        envelope: Envelope::Flat(key),
    }
}

pub const ACCOUNTS: Endpoint = flat("/2010-04-01/Accounts.json", "accounts");
pub const ACCOUNT: Endpoint = Endpoint {
    envelope: Envelope::Instance,
    ..flat("/2010-04-01/Accounts/{Sid}.json", "")
};
pub const BALANCE: Endpoint = Endpoint {
    envelope: Envelope::Instance,
    ..flat("/2010-04-01/Accounts/{AccountSid}/Balance.json", "")
};
pub const MESSAGES: Endpoint = flat(
    "/2010-04-01/Accounts/{AccountSid}/Messages.json",
    "messages",
);
pub const MESSAGE: Endpoint = Endpoint {
    envelope: Envelope::Instance,
    ..flat("/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json", "")
};
pub const CALLS: Endpoint = flat("/2010-04-01/Accounts/{AccountSid}/Calls.json", "calls");
pub const CONFERENCES: Endpoint = flat(
    "/2010-04-01/Accounts/{AccountSid}/Conferences.json",
    "conferences",
);
pub const RECORDINGS: Endpoint = flat(
    "/2010-04-01/Accounts/{AccountSid}/Recordings.json",
    "recordings",
);
pub const INCOMING_PHONE_NUMBERS: Endpoint = flat(
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
    "incoming_phone_numbers",
);
pub const USAGE_RECORDS: Endpoint = flat(
    "/2010-04-01/Accounts/{AccountSid}/Usage/Records.json",
    "usage_records",
);

/// The Usage Records sub-resources, by the last path segment before `.json`.
pub const USAGE_SUBRESOURCES: [&str; 8] = [
    "Daily",
    "Monthly",
    "Yearly",
    "AllTime",
    "Today",
    "Yesterday",
    "ThisMonth",
    "LastMonth",
];

pub fn usage(sub: &str) -> Endpoint {
    let template: &'static str = Box::leak(
        format!("/2010-04-01/Accounts/{{AccountSid}}/Usage/Records/{sub}.json").into_boxed_str(),
    );
    flat(template, "usage_records")
}

pub const MESSAGING_SERVICES: Endpoint = Endpoint {
    host: "messaging.twilio.com",
    spec: "twilio_messaging_v1",
    template: "/v1/Services",
    envelope: Envelope::Meta("services"),
};
pub const ALERTS: Endpoint = Endpoint {
    host: "monitor.twilio.com",
    spec: "twilio_monitor_v1",
    template: "/v1/Alerts",
    envelope: Envelope::Meta("alerts"),
};
pub const VERIFY_ATTEMPTS: Endpoint = Endpoint {
    host: "verify.twilio.com",
    spec: "twilio_verify_v2",
    template: "/v2/Attempts",
    envelope: Envelope::Meta("attempts"),
};
pub const VERIFY_ATTEMPTS_SUMMARY: Endpoint = Endpoint {
    host: "verify.twilio.com",
    spec: "twilio_verify_v2",
    template: "/v2/Attempts/Summary",
    envelope: Envelope::Instance,
};
pub const VOICE_SUMMARIES: Endpoint = Endpoint {
    host: "insights.twilio.com",
    spec: "twilio_insights_v1",
    template: "/v1/Voice/Summaries",
    envelope: Envelope::Meta("call_summaries"),
};

/// Every simulated endpoint.
pub fn all() -> Vec<Endpoint> {
    let mut all = vec![
        ACCOUNTS,
        ACCOUNT,
        BALANCE,
        MESSAGES,
        MESSAGE,
        CALLS,
        CONFERENCES,
        RECORDINGS,
        INCOMING_PHONE_NUMBERS,
        USAGE_RECORDS,
    ];
    all.extend(USAGE_SUBRESOURCES.iter().map(|s| usage(s)));
    all.extend([
        MESSAGING_SERVICES,
        ALERTS,
        VERIFY_ATTEMPTS,
        VERIFY_ATTEMPTS_SUMMARY,
        VOICE_SUMMARIES,
    ]);
    all
}

impl Endpoint {
    /// The concrete path for an account (and a record SID where the template has `{Sid}`
    /// below the account).
    pub fn path(&self, account_sid: &str, sid: Option<&str>) -> String {
        let path = self.template.replace("{AccountSid}", account_sid);
        if self.template.contains("{AccountSid}") {
            path.replace("{Sid}", sid.unwrap_or("{Sid}"))
        } else {
            path.replace("{Sid}", sid.unwrap_or(account_sid))
        }
    }

    /// The spec's 200 examples for this endpoint's GET, as `(name, file under examples/)`.
    pub fn examples(&self) -> Vec<(String, String)> {
        super::example_index()
            .iter()
            .filter(|e| {
                e.spec == self.spec
                    && e.method == "GET"
                    && e.status == 200
                    && e.path == self.template
            })
            .map(|e| (e.example.clone(), e.file.clone()))
            .collect()
    }
}

/// The simulated endpoint a host and a (decoded) path name, if any; a query is ignored.
pub fn find(host: &str, path: &str) -> Option<Endpoint> {
    let path = path.split('?').next().unwrap_or("");
    all()
        .into_iter()
        .find(|ep| ep.host == host && template_matches(ep.template, path))
}

/// Whether `path` fits `template`, each `{Name}` standing for one non-empty segment part.
pub fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| match t.split_once('{') {
            None => t == p,
            Some((prefix, rest)) => {
                let suffix = rest.split_once('}').map(|(_, s)| s).unwrap_or("");
                p.len() > prefix.len() + suffix.len()
                    && p.starts_with(prefix)
                    && p.ends_with(suffix)
            }
        })
}
