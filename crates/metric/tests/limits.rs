//! Every evaluation runs under limits; hitting one is a clear error, never a hang. Errors carry
//! the JSONata code, the message and the span.

use std::time::{Duration, Instant};

use metric::jsonata::{Expression, Limits};
use serde_json::json;

fn limits() -> Limits {
    Limits::default()
}

#[test]
fn a_runaway_expression_stops_within_its_time_limit() {
    let l = Limits {
        timeout: Duration::from_millis(200),
        max_steps: u64::MAX,
        ..limits()
    };
    // Endless tail recursion: no depth grows, only time passes.
    let e = Expression::compile("($f := function($n) { $f($n + 1) }; $f(0))", l).unwrap();
    let started = Instant::now();
    let err = e.evaluate(&json!({})).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.code, "D1012", "{err}");
    assert!(err.is_limit());
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn a_step_budget_stops_a_long_evaluation() {
    let l = Limits {
        max_steps: 10_000,
        ..limits()
    };
    let e = Expression::compile("$sum([1..1000000].($ * 2))", l).unwrap();
    let err = e.evaluate(&json!(null)).unwrap_err();
    assert_eq!(err.code, "U1006", "{err}");
    assert!(err.is_limit());
}

#[test]
fn deep_recursion_hits_the_depth_limit() {
    let l = Limits {
        max_depth: 200,
        ..limits()
    };
    let e = Expression::compile(
        "($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))",
        l,
    )
    .unwrap();
    let err = e.evaluate(&json!(null)).unwrap_err();
    assert_eq!(err.code, "D1011", "{err}");
}

#[test]
fn an_oversized_output_is_refused() {
    let l = Limits {
        max_output_bytes: 1_000,
        ..limits()
    };
    let e = Expression::compile("[1..10000]", l).unwrap();
    let err = e.evaluate(&json!(null)).unwrap_err();
    assert_eq!(err.code, "U1001", "{err}");
}

#[test]
fn a_syntax_error_carries_code_message_and_span() {
    let source = "messages[status = ].sid";
    let err = Expression::compile(source, limits()).unwrap_err();
    assert!(err.code.starts_with('S'), "{err:?}");
    assert!(!err.message.is_empty());
    let (start, end) = err.span.expect("a span");
    assert!(start <= end && end <= source.len(), "{err:?}");
    assert!(
        source[..end].contains(']'),
        "the span should reach the bad token: {err:?}"
    );
}

#[test]
fn a_type_error_points_at_the_operator() {
    let source = "\"a\" + 1";
    let err = Expression::compile(source, limits())
        .unwrap()
        .evaluate(&json!(null))
        .unwrap_err();
    assert_eq!(err.code, "T2001", "{err}");
    let (start, end) = err.span.expect("a span");
    assert!(
        source[start..end].contains('+') || source[start..end].contains('a'),
        "{err:?}"
    );
}

#[test]
fn the_default_limits_leave_room_for_a_full_twilio_page() {
    let page = json!({"messages": (0..1000).map(|i| json!({"status": "sent", "n": i})).collect::<Vec<_>>()});
    let e =
        Expression::compile("messages.{\"value\": 1, \"dimension\": status}", limits()).unwrap();
    let out = e.evaluate(&page).unwrap().unwrap();
    assert_eq!(out.as_array().map(Vec::len), Some(1000));
}

#[test]
fn the_span_converts_to_utf16_units_for_editors() {
    // "é" is 2 bytes but 1 UTF-16 unit; "𝄞" is 4 bytes and 2 units.
    let source = "\"é𝄞\" + 1";
    let err = Expression::compile(source, limits())
        .unwrap()
        .evaluate(&json!(null))
        .unwrap_err();
    let (start, end) = err.span.expect("a span");
    let (u_start, u_end) = err.utf16_span(source).expect("a span");
    let utf16 = |byte: usize| source[..byte].encode_utf16().count();
    assert_eq!((u_start, u_end), (utf16(start), utf16(end)));
    assert!(
        u_end < end,
        "the multi-byte characters come before the end of the span"
    );
}

// The process's allocator counts what an evaluation holds, as in the `switchboard` binary.
#[global_allocator]
static ALLOCATOR: metric::memory::BudgetAllocator = metric::memory::BudgetAllocator;

/// Issue 15, finding 7: few steps can build a lot; the memory budget stops such an evaluation
/// with a clear error instead of letting it take the machine's memory.
#[test]
fn an_expression_that_builds_more_than_its_memory_budget_is_stopped() {
    assert!(
        metric::memory::enforced(),
        "the budget allocator is installed"
    );
    let l = Limits {
        max_memory_bytes: 32 << 20,
        ..limits()
    };
    for source in ["[1..20].{\"a\": [1..999999]}", "[1..20000].([1..20000])"] {
        let e = Expression::compile(source, l).unwrap();
        let started = Instant::now();
        let err = e.evaluate(&json!(null)).unwrap_err();
        assert_eq!(err.code, "U1001", "{source}: {err}");
        assert!(err.is_limit());
        assert!(err.message.contains("32 MiB"), "{}", err.message);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{source} took {:?}",
            started.elapsed()
        );
    }
    // The same budget leaves ordinary work alone, on the same thread right after.
    let e = Expression::compile("$sum([1..100000])", l).unwrap();
    assert_eq!(
        e.evaluate(&json!(null)).unwrap(),
        Some(json!(5000050000u64))
    );
}
