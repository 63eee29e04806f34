//! The compiled-in host list must be exactly the `servers` hosts of the official specs.

use std::collections::BTreeSet;

fn collect_servers(value: &serde_json::Value, hosts: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Array(servers)) = map.get("servers") {
                for server in servers {
                    if let Some(url) = server.get("url").and_then(|u| u.as_str()) {
                        hosts.insert(
                            url.trim_start_matches("https://")
                                .trim_end_matches('/')
                                .to_owned(),
                        );
                    }
                }
            }
            map.values().for_each(|v| collect_servers(v, hosts));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_servers(v, hosts)),
        _ => {}
    }
}

#[test]
fn host_list_matches_every_server_in_the_official_specs() {
    let Some(specs) = test_support::shared_fixture("twilio/oai/json") else {
        return;
    };
    let dir = std::fs::read_dir(&specs).expect("the specs folder is readable");
    let mut from_specs = BTreeSet::new();
    for entry in dir.flatten() {
        let text = std::fs::read_to_string(entry.path()).expect("spec readable");
        let spec: serde_json::Value = serde_json::from_str(&text).expect("spec is JSON");
        collect_servers(&spec, &mut from_specs);
    }
    let compiled: BTreeSet<String> = twilio_request::TWILIO_HOSTS
        .iter()
        .map(|h| h.to_string())
        .collect();
    assert_eq!(compiled, from_specs);
    assert!(
        compiled.len() >= 30,
        "expected dozens of product hosts, got {}",
        compiled.len()
    );
}

#[test]
fn host_list_is_sorted_so_lookup_can_binary_search() {
    let hosts = twilio_request::TWILIO_HOSTS;
    assert!(hosts.windows(2).all(|w| w[0] < w[1]));
    assert!(hosts.iter().all(|h| twilio_request::is_twilio_host(h)));
    assert!(!twilio_request::is_twilio_host("API.twilio.com"));
    assert!(!twilio_request::is_twilio_host("api.twilio.com.evil.com"));
    assert!(!twilio_request::is_twilio_host("twilio.com"));
}
