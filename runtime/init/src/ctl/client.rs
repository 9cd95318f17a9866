//! How upctl reaches an init: the [`Transport`] its commands call (tests
//! put a fake behind it), and the real one, a connection of upc-proto's
//! [`client`](upc_proto::client) per call.

use std::path::Path;

pub use upc_proto::client::{ClientError, Connection};

use crate::proto::{Failure, Output, Request};

/// Sends requests to an init and returns its replies.
pub trait Transport {
    fn call(
        &mut self,
        socket: &Path,
        request: &Request,
    ) -> Result<Result<Output, Failure>, ClientError>;
}

/// The real transport: one Unix stream connection per call.
pub struct UnixTransport;

impl Transport for UnixTransport {
    fn call(
        &mut self,
        socket: &Path,
        request: &Request,
    ) -> Result<Result<Output, Failure>, ClientError> {
        Connection::open(socket, "upctl")?.call(request)
    }
}
