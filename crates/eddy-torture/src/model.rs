//! What the torture knows: the two tables, every key's state as last verified or
//! acknowledged since, and the writes whose fate a kill left open.

use std::collections::BTreeMap;

/// The table with a global index.
pub const TABLE_A: &str = "torture_a";
/// The table with a sort key and a local index.
pub const TABLE_B: &str = "torture_b";

/// Which table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    A,
    B,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Self::A => TABLE_A,
            Self::B => TABLE_B,
        }
    }
}

/// An item's key: table, partition key, sort key (empty in table A).
pub type Key = (Table, String, String);

/// The indexed attribute of a version: `g` in table A, `l` in table B.
pub fn indexed(v: u64) -> String {
    format!("i{}", v % 7)
}

/// A write's effect on one item: its version after, or None when deleted.
#[derive(Clone, Debug)]
pub struct Effect {
    pub key: Key,
    pub value: Option<u64>,
}

/// A request whose answer never came: it may or may not have been applied.
#[derive(Clone, Debug)]
pub struct InFlight {
    pub effects: Vec<Effect>,
    /// All of its effects or none of them (TransactWriteItems).
    pub transaction: bool,
}

/// What one cycle's load did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Requests acknowledged.
    pub acknowledged: u64,
    /// Effects of acknowledged requests, in each key's order.
    pub acked: Vec<Effect>,
    pub in_flight: Vec<InFlight>,
}

/// Every key's expected state.
pub struct Model {
    pub writers: usize,
    /// The state a key must be in, unless an in-flight write changed it.
    pub state: BTreeMap<Key, Option<u64>>,
    pub pending: Vec<InFlight>,
    /// Versions acknowledged since the last verification: each needs exactly one record.
    pub acked_versions: Vec<(Table, u64)>,
}

impl Model {
    pub fn new(writers: usize) -> Self {
        Self {
            writers,
            state: BTreeMap::new(),
            pending: Vec::new(),
            acked_versions: Vec::new(),
        }
    }

    /// Takes in a cycle's load.
    pub fn apply(&mut self, outcome: Outcome) {
        for e in outcome.acked {
            if let Some(v) = e.value {
                self.acked_versions.push((e.key.0, v));
            }
            self.state.insert(e.key, e.value);
        }
        self.pending = outcome.in_flight;
    }

    /// The keys writer `w` owns.
    pub fn keys_of(&self, w: usize) -> (Vec<Key>, Vec<Key>) {
        let a = (0..8)
            .map(|i| (Table::A, format!("w{w}-k{i}"), String::new()))
            .collect();
        let b = (0..4)
            .flat_map(|i| (0..2).map(move |j| (Table::B, format!("w{w}-k{i}"), format!("s{j}"))))
            .collect();
        (a, b)
    }
}
