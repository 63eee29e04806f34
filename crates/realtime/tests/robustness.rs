//! Whatever a stranger POSTs, parsing and verifying answer with a value or an error, never a
//! panic, and no signature passes under a token other than the one it was made with.

use proptest::prelude::*;
use realtime::event::{parse_call_callback, parse_event_stream, parse_message_callback};
use realtime::signature::{compute, default_port_variant, verify_form, verify_json};

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (
            prop_oneof![
                Just("MessageSid".to_owned()),
                Just("MessageStatus".to_owned()),
                Just("CallSid".to_owned()),
                Just("CallStatus".to_owned()),
                Just("AccountSid".to_owned()),
                Just("Timestamp".to_owned()),
                Just("SequenceNumber".to_owned()),
                ".{0,12}",
            ],
            ".{0,40}",
        ),
        0..8,
    )
}

proptest! {
    #[test]
    fn callbacks_never_panic(params in params()) {
        let _ = parse_message_callback(&params);
        let _ = parse_call_callback(&params);
    }

    #[test]
    fn event_stream_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_event_stream(&body);
    }

    #[test]
    fn event_stream_json_never_panics(
        id in ".{0,10}",
        kind in prop_oneof![
            Just("com.twilio.messaging.message.".to_owned()),
            Just("com.twilio.voice.status-callback.call.".to_owned()),
        ],
        suffix in ".{0,12}",
        time in ".{0,25}",
        sid in ".{0,40}",
    ) {
        let body = serde_json::json!([{
            "specversion": "1.0", "id": id, "type": format!("{kind}{suffix}"), "time": time,
            "data": {"messageSid": sid, "CallSid": sid, "accountSid": sid, "CallStatus": suffix},
        }]);
        let _ = parse_event_stream(body.to_string().as_bytes());
    }

    #[test]
    fn verifying_never_panics(
        url in ".{0,60}",
        params in params(),
        header in proptest::option::of(".{0,40}"),
        body in prop::collection::vec(any::<u8>(), 0..60),
    ) {
        let _ = verify_form(&url, &params, "token", header.as_deref());
        let _ = verify_json(&url, &body, "token", header.as_deref());
        let _ = default_port_variant(&url);
    }

    #[test]
    fn signature_under_another_token_never_passes(
        url in "https?://[a-z.]{1,12}(:[0-9]{1,5})?/[a-z/]{0,12}",
        params in params(),
        token in "[a-f0-9]{32}",
        other in "[a-f0-9]{32}",
    ) {
        prop_assume!(token != other);
        let header = compute(&url, &params, &other);
        prop_assert!(verify_form(&url, &params, &token, Some(&header)).is_err());
    }
}
