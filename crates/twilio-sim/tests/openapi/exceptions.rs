//! Known places where the official examples contradict their own schema. Each is applied only
//! to the one property named, and the validator self-test proves every entry is still needed
//! (the raw schema fails exactly these, and each is exercised by some official example).

/// How a check is relaxed for one property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relaxation {
    /// `null` is accepted although the schema does not say `nullable`.
    Nullable,
    /// The schema says `number` but Twilio sends the number as a decimal string; a string
    /// holding a decimal is REQUIRED (a JSON number is refused), because a client tested only
    /// against numbers would break on the real API.
    DecimalString,
    /// The empty string is accepted although it fails `minLength`/`pattern`/`format`: Twilio
    /// sends `""` for an unset configuration field.
    EmptyString,
}

#[derive(Debug)]
pub struct Exception {
    pub spec: &'static str,
    /// The `components.schemas` name holding the property; it also covers the component's
    /// `NAME.*` variants (the Usage sub-resources each have their own copy of the record).
    pub component: &'static str,
    pub properties: &'static [&'static str],
    pub relaxation: Relaxation,
    pub reason: &'static str,
}

pub const KNOWN_EXCEPTIONS: &[Exception] = &[
    Exception {
        spec: "twilio_api_v2010",
        component: "api.v2010.account.usage.usage_record",
        properties: &["price"],
        relaxation: Relaxation::DecimalString,
        reason: "declared `type: number`, but every official Usage Records example (Records and \
                 all eight sub-resources) has a string (\"2192.84855\", \"0\"); facts §4.3: \
                 twilio-python parses it with deserialize.decimal. Twilio sends a string.",
    },
    Exception {
        spec: "twilio_api_v2010",
        component: "api.v2010.account.conference",
        properties: &["reason_conference_ended"],
        relaxation: Relaxation::Nullable,
        reason: "a $ref to a non-nullable enum, but every official Conferences example has \
                 null for a conference that has not ended (readFull, readNext, ...).",
    },
    Exception {
        spec: "twilio_api_v2010",
        component: "api.v2010.account.incoming_phone_number",
        properties: &[
            "sms_application_sid",
            "sms_fallback_url",
            "sms_url",
            "status_callback",
            "voice_application_sid",
            "voice_fallback_url",
            "voice_url",
        ],
        relaxation: Relaxation::EmptyString,
        reason: "the IncomingPhoneNumbers readFull example has \"\" for the unset \
                 sms_application_sid, sms_fallback_url, sms_url, status_callback and \
                 voice_application_sid (failing the AP pattern / uri format); voice_url and \
                 voice_fallback_url are the same kind of unset webhook field.",
    },
];

/// The exception for one property, if any.
pub fn lookup(spec: &str, component: &str, property: &str) -> Option<&'static Exception> {
    KNOWN_EXCEPTIONS.iter().find(|e| {
        e.spec == spec
            && component
                .strip_prefix(e.component)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            && e.properties.contains(&property)
    })
}
