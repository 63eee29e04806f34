//! `switchboard library list|add` through the binary.

mod support;

use support::{add_main_connection, ok, scratch_dir, small_sim, switchboard, text};

#[tokio::test(flavor = "multi_thread")]
async fn library_add_puts_the_metric_on_the_metrics_screen_once() {
    let sim = small_sim().await;
    let dir = scratch_dir("library");
    tokio::task::block_in_place(|| add_main_connection(&dir, &sim, &[]));
    let listed = tokio::task::block_in_place(|| {
        ok(&dir, &sim, &["library", "list", "--category", "messaging"])
    });
    assert!(listed.contains("message-delivery-rate"), "{listed}");

    tokio::task::block_in_place(|| {
        ok(
            &dir,
            &sim,
            &[
                "library",
                "add",
                "message-delivery-rate",
                "--connection",
                "prod",
            ],
        )
    });
    let metrics = tokio::task::block_in_place(|| ok(&dir, &sim, &["metric", "list"]));
    assert!(
        metrics.contains("Message delivery rate") && metrics.contains("metrics-screen"),
        "{metrics}"
    );

    let again = tokio::task::block_in_place(|| {
        switchboard(
            &dir,
            &sim,
            &[
                "library",
                "add",
                "message-delivery-rate",
                "--connection",
                "prod",
            ],
            "",
        )
    });
    assert!(
        !again.status.success(),
        "adding twice must be refused: {}",
        text(&again)
    );
}
