//! The HTTP listener: a bound on open connections, a deadline for request heads, and a shutdown that ends in time.
//!
//! `axum::serve` sets no timer, so hyper's header-read timeout never runs there and a client that sends half a
//! request line holds its connection forever. This accept loop is axum's own (`serve::handle_connection`) with a
//! timer, the deadline, a connection cap and a bounded graceful shutdown added.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

use crate::config::Limits;

/// The answer to a connection beyond the cap, written before it is closed.
fn over_capacity_response() -> Vec<u8> {
    let body = r#"{"error":{"code":"SERVER.0503","message":"the server has as many connections open as it allows; retry shortly"}}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, lets open requests finish for at
/// most `limits.shutdown_grace`, and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    // Never more than the open-files limit leaves room for: beyond it the server could not even accept the
    // connection it would answer 503.
    let cap = crate::ops::connection_cap(limits.max_connections);
    if cap < limits.max_connections {
        tracing::warn!(configured = limits.max_connections, cap, "the open-files limit caps the connections");
    }
    let connections = Arc::new(Semaphore::new(cap));
    let (close_tx, close_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait instead of spinning, as axum does.
                    tracing::warn!(error = %error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request.map(axum::body::Body::new)
        });
        let header_read_timeout = limits.header_read_timeout;
        let mut close = close_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
            let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = close.changed() => connection.as_mut().graceful_shutdown(),
            }
            let _ = connection.await;
        });
    }
    drop(listener);
    drop(close_rx);
    let _ = close_tx.send(());
    // Every connection task holds a receiver: `closed` resolves when the last one has ended.
    if tokio::time::timeout(limits.shutdown_grace, close_tx.closed()).await.is_err() {
        tracing::warn!("requests still open after {} s; shutting down anyway", limits.shutdown_grace.as_secs());
    }
    Ok(())
}

/// Tells a connection beyond the cap why, and closes it.
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&over_capacity_response())).await;
    let _ = stream.shutdown().await;
}
