//! A TCP forwarder from a chosen port to the local receiver's own (the library's
//! receiver always binds a free port): bytes are copied both ways untouched, so TLS
//! still ends at the receiver.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;

/// Listens on `127.0.0.1:port` and forwards every connection to `target`, on
/// background threads that live as long as the process. Returns the bound port.
pub fn forward(port: u16, target: SocketAddr) -> io::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let bound = listener.local_addr()?.port();
    thread::Builder::new()
        .name("arn-forward-accept".into())
        .spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(target) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                pipe(&client, &server);
                pipe(&server, &client);
            }
        })?;
    Ok(bound)
}

/// Copies `from` to `to` on a thread until EOF, then shuts `to`'s write side.
fn pipe(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    let _ = thread::Builder::new()
        .name("arn-forward-copy".into())
        .spawn(move || {
            let _ = io::copy(&mut from, &mut to);
            let _ = to.shutdown(Shutdown::Write);
        });
}
