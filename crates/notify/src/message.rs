use serde::{Deserialize, Serialize};

/// What a message is about; the `event` of a webhook body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    #[serde(rename = "alert.fired")]
    AlertFired,
    #[serde(rename = "alert.resolved")]
    AlertResolved,
    #[serde(rename = "scorecard")]
    Scorecard,
    #[serde(rename = "test")]
    Test,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::AlertFired => "alert.fired",
            EventKind::AlertResolved => "alert.resolved",
            EventKind::Scorecard => "scorecard",
            EventKind::Test => "test",
        }
    }
}

/// A rendered message, as stored in a delivery: one text for every channel, an HTML part for
/// email, and the structured values for webhooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub event: EventKind,
    pub title: String,
    /// Plain text: the email's text part, Slack's fallback and section text.
    pub text: String,
    #[serde(default)]
    pub html: Option<String>,
    /// The values behind the message (alert values and ranges, scorecard rows).
    #[serde(default)]
    pub data: serde_json::Value,
    /// Charts the HTML part shows as `<img src="cid:...">`: email sends each as an inline PNG
    /// (mail clients do not draw inline SVG); other channels ignore them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<InlineImage>,
}

/// A chart of a message, kept as SVG and rasterised when an email is built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InlineImage {
    /// The Content-ID the HTML refers to (`cid:<this>`).
    pub cid: String,
    pub svg: String,
}

impl Message {
    /// A Slack Block Kit payload; `text` is the fallback for notifications and old clients.
    pub fn slack_blocks(&self) -> serde_json::Value {
        serde_json::json!({
            "text": format!("{}\n{}", self.title, self.text),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": truncate(&self.title, 150)}},
                {"type": "section", "text": {"type": "mrkdwn", "text": truncate(&slack_escape(&self.text), 3000)}},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": format!("Switchboard · {}", self.event.as_str())}]}
            ]
        })
    }
}

/// Slack's mrkdwn treats `<`, `>` and `&` as control characters.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Block Kit refuses texts over its limits; cut on a character boundary.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}
