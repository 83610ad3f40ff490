//! Several eddy processes serving one PostgreSQL database, each request sent to a node chosen
//! at random (a load balancer without affinity): conditional writes racing from every node
//! have one winner, transactions stay atomic, a stream consumer reading through any node sees
//! every write once in per-item order, and killing a node or the leader loses nothing
//! acknowledged while background duties move to a survivor.
//!
//! Needs `EDDY_TEST_POSTGRES_URL` (`scripts/test` starts a server); without it each test says
//! it skipped.

mod catalog;
mod cluster;
#[path = "../common/mod.rs"]
mod common;
mod failover;
mod streams;
mod writes;
