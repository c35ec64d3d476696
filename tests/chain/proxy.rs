//! A TCP proxy between a client under test and a node, to break the network
//! on purpose: `cut()` drops every open connection and closes each new one
//! at once (connection reset), `stall()` accepts and holds connections but
//! never answers (a silent node), `restore()` forwards again.

use std::net::SocketAddr;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Forward,
    Cut,
    Stall,
}

pub struct Proxy {
    address: SocketAddr,
    mode: watch::Sender<Mode>,
    acceptor: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream_port`.
    pub async fn start(upstream_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let upstream = SocketAddr::from(([127, 0, 0, 1], upstream_port));
        let (mode, watching) = watch::channel(Mode::Forward);
        let acceptor = tokio::spawn(accept(listener, upstream, watching));
        Proxy {
            address,
            mode,
            acceptor,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Drops every connection and refuses new ones until `restore`.
    pub fn cut(&self) {
        self.mode.send_replace(Mode::Cut);
    }

    /// Drops every connection; new ones are accepted but never answered.
    pub fn stall(&self) {
        self.mode.send_replace(Mode::Stall);
    }

    pub fn restore(&self) {
        self.mode.send_replace(Mode::Forward);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.mode.send_replace(Mode::Cut);
        self.acceptor.abort();
    }
}

async fn accept(listener: TcpListener, upstream: SocketAddr, mode: watch::Receiver<Mode>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let current = *mode.borrow();
        match current {
            Mode::Forward => {
                tokio::spawn(forward(client, upstream, mode.clone()));
            }
            Mode::Cut => refuse(client),
            Mode::Stall => {
                tokio::spawn(hold(client, mode.clone()));
            }
        }
    }
}

/// Closes at once with a reset (linger 0), as a refused connection looks
/// to an HTTP client.
fn refuse(client: TcpStream) {
    let _ = client.set_zero_linger();
    drop(client);
}

/// Copies both ways until either side closes or the mode leaves `Forward`.
async fn forward(mut client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        refuse(client);
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {
            let _ = client.shutdown().await;
        }
        () = left(&mut mode, Mode::Forward) => refuse(client),
    }
}

/// Reads nothing and answers nothing until the mode changes.
async fn hold(client: TcpStream, mut mode: watch::Receiver<Mode>) {
    left(&mut mode, Mode::Stall).await;
    refuse(client);
}

/// Resolves once the mode is no longer `from` (or the proxy is gone).
async fn left(mode: &mut watch::Receiver<Mode>, from: Mode) {
    let _changed = mode.wait_for(|m| *m != from).await.is_ok();
}
