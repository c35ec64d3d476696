//! A JSON-RPC "node" that gives one canned answer to every request, for the
//! provider errors Anvil never produces (refused log ranges in each
//! provider's wording, rate limits, HTML error pages).

use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the fake node answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// HTTP `status` with a JSON-RPC error object (the request's id echoed).
    RpcError {
        status: u16,
        code: i64,
        message: String,
    },
    /// HTTP `status` with this body as is.
    Raw { status: u16, body: String },
}

pub struct FakeNode {
    address: SocketAddr,
    server: JoinHandle<()>,
}

impl FakeNode {
    pub async fn start(answer: Answer) -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, answer.clone()));
            }
        });
        FakeNode { address, server }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for FakeNode {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Answers one request, then closes the connection.
async fn serve(mut socket: TcpStream, answer: Answer) {
    let Some(request) = read_request(&mut socket).await else {
        return;
    };
    let id = serde_json::from_slice::<Value>(&request)
        .ok()
        .and_then(|r| r.get("id").cloned())
        .unwrap_or(Value::Null);
    let (status, body) = match answer {
        Answer::RpcError {
            status,
            code,
            message,
        } => {
            let error = serde_json::json!({"code": code, "message": message});
            let body = serde_json::json!({"jsonrpc": "2.0", "id": id, "error": error});
            (status, body.to_string())
        }
        Answer::Raw { status, body } => (status, body),
    };
    let response = format!(
        "HTTP/1.1 {status} Fake\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}

/// The body of one HTTP/1.1 request (by its content-length).
async fn read_request(socket: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if buffer.len() >= end + 4 + length {
            return Some(buffer[end + 4..end + 4 + length].to_vec());
        }
    }
}
