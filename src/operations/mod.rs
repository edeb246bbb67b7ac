//! What an operator watches: the Prometheus metrics at `/metrics`.

pub mod endpoint;
pub mod metrics;
