//! The write layer: the rules every write obeys, and the one place an item change becomes
//! storage mutations (the item, its index entries, its stream record). Uses the model, `keys`,
//! the state and other write files.

pub(crate) mod index_entries;
pub(crate) mod rules;
pub(crate) mod stage;
