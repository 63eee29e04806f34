//! An HTTP receiver on loopback for webhook tests (axum): it keeps every request and answers
//! with the statuses a test scripts, then 200.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    script: VecDeque<u16>,
    always: Option<u16>,
}

pub struct WebhookReceiver {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    State(shared): State<Arc<Mutex<Shared>>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut s = shared.lock().expect("receiver state");
    s.received.push(Received {
        path: uri.path().to_owned(),
        headers,
        body,
    });
    let code = s.script.pop_front().or(s.always).unwrap_or(200);
    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
}

impl WebhookReceiver {
    pub async fn start() -> WebhookReceiver {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = axum::Router::new()
            .fallback(axum::routing::any(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("receiver address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        WebhookReceiver { addr, shared, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next requests get these statuses, in order.
    pub fn script(&self, statuses: &[u16]) {
        self.shared
            .lock()
            .expect("receiver state")
            .script
            .extend(statuses);
    }

    /// Every request after the script gets this status.
    pub fn always(&self, status: u16) {
        self.shared.lock().expect("receiver state").always = Some(status);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().expect("receiver state").received.clone()
    }
}
