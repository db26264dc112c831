//! A TCP forwarder to put between a server and its database, to make the database unreachable
//! (and reachable again) without stopping the shared database service.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;

pub struct TcpProxy {
    addr: SocketAddr,
    target: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl TcpProxy {
    /// Listens on a free port of 127.0.0.1 and forwards every connection to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let mut proxy = Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            target,
            tasks: Default::default(),
        };
        proxy.addr = proxy.listen(proxy.addr);
        proxy
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    fn listen(&self, addr: SocketAddr) -> SocketAddr {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        socket.bind(addr).expect("the proxy's port is free");
        let listener = socket.listen(128).expect("listen");
        let bound = listener.local_addr().expect("local address");
        let target = self.target;
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let conn = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(conn);
            }
        });
        self.tasks.lock().unwrap().push(accept);
        bound
    }

    /// The database goes away: the port is closed (connections are refused) and every open
    /// connection is cut.
    pub fn stop(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }

    /// The database is back, on the same port.
    pub async fn resume(&self) {
        // The aborted accept task drops its listener at its next poll.
        for _ in 0..50 {
            let free = TcpSocket::new_v4()
                .and_then(|s| {
                    s.set_reuseaddr(true)?;
                    s.bind(self.addr)
                })
                .is_ok();
            if free {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        self.listen(self.addr);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.stop();
    }
}
