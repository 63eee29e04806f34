//! The Twilio product hosts Switchboard may contact.
//!
//! Generated once from every `servers` URL of the official OpenAPI specs (twilio-oai); a test
//! re-reads the specs and fails if this list drifts from them. The program never reads the specs.

/// Every Twilio product host named by the official specs, sorted.
pub const TWILIO_HOSTS: &[&str] = &[
    "accounts.twilio.com",
    "api.twilio.com",
    "assistants.twilio.com",
    "bulkexports.twilio.com",
    "chat.twilio.com",
    "content.twilio.com",
    "conversations.twilio.com",
    "events.twilio.com",
    "flex-api.twilio.com",
    "frontline-api.twilio.com",
    "iam.twilio.com",
    "insights.twilio.com",
    "intelligence.twilio.com",
    "ip-messaging.twilio.com",
    "knowledge.twilio.com",
    "lookups.twilio.com",
    "marketplace.twilio.com",
    "messaging.twilio.com",
    "monitor.twilio.com",
    "notify.twilio.com",
    "numbers.twilio.com",
    "oauth.twilio.com",
    "preview-iam.twilio.com",
    "preview.twilio.com",
    "pricing.twilio.com",
    "proxy.twilio.com",
    "routes.twilio.com",
    "serverless.twilio.com",
    "studio.twilio.com",
    "supersim.twilio.com",
    "sync.twilio.com",
    "taskrouter.twilio.com",
    "trunking.twilio.com",
    "trusthub.twilio.com",
    "verify.twilio.com",
    "video.twilio.com",
    "voice.twilio.com",
    "wireless.twilio.com",
];

/// Whether `host` is one of [`TWILIO_HOSTS`] (exact, lower-case match: no port, no user info).
pub fn is_twilio_host(host: &str) -> bool {
    TWILIO_HOSTS.binary_search(&host).is_ok()
}
