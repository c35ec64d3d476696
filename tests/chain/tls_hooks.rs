//! An HTTPS webhook receiver for live-mode gateways, which deliver only to
//! `https://` URLs. It answers every request 200 at once and records each
//! delivery in arrival order, as the sandbox chaos run's plain receiver
//! does. Its certificate (for 127.0.0.1) is signed by a test CA in `tls/`
//! (`tls/build.sh` remakes them); a gateway trusts that CA when started
//! with `SSL_CERT_FILE` set to [`ca_file`]. Blocking threads over rustls:
//! one HTTP/1.1 request after another per connection (keep-alive), bodies
//! by `Content-Length`, which is how the gateway sends them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::chaos_harness::Delivery;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/chain/tls");

/// The CA a gateway must trust to reach the receiver.
pub fn ca_file() -> String {
    format!("{DIR}/ca.pem")
}

pub struct TlsHooks {
    pub url: String,
    port: u16,
    got: Arc<Mutex<Vec<Delivery>>>,
    stopped: Arc<AtomicBool>,
}

impl TlsHooks {
    pub fn start() -> TlsHooks {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(format!("{DIR}/receiver.pem"))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
        let key = PrivateKeyDer::from_pem_file(format!("{DIR}/receiver.key")).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let got: Arc<Mutex<Vec<Delivery>>> = Arc::default();
        let stopped = Arc::new(AtomicBool::new(false));
        let (shared, stop) = (got.clone(), stopped.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else {
                    continue;
                };
                let (config, got) = (config.clone(), shared.clone());
                std::thread::spawn(move || serve(config, stream, &got));
            }
        });
        TlsHooks {
            url: format!("https://127.0.0.1:{port}/hook"),
            port,
            got,
            stopped,
        }
    }

    pub fn all(&self) -> Vec<Delivery> {
        self.got.lock().unwrap().clone()
    }
}

impl Drop for TlsHooks {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Answers the requests of one connection until it closes or breaks.
fn serve(config: Arc<ServerConfig>, tcp: TcpStream, got: &Mutex<Vec<Delivery>>) {
    let Ok(connection) = ServerConnection::new(config) else {
        return;
    };
    let mut stream = BufReader::new(StreamOwned::new(connection, tcp));
    loop {
        let mut length = 0usize;
        let mut first = true;
        loop {
            let mut line = String::new();
            match stream.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" && !first {
                break;
            }
            first = false;
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if stream.read_exact(&mut body).is_err() {
            return;
        }
        got.lock().unwrap().push(Delivery::read(&body));
        let answered = stream
            .get_mut()
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .and_then(|()| stream.get_mut().flush());
        if answered.is_err() {
            return;
        }
    }
}
