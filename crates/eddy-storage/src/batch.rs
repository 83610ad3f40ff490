//! The unit of atomic writes.

use std::collections::BTreeMap;

use crate::StorageError;

/// Longest key any engine accepts: fjall stores key lengths as `u16`.
pub(crate) const MAX_KEY_LEN: usize = u16::MAX as usize;

/// Puts and deletes applied together by [`Storage::commit`](crate::Storage::commit).
///
/// Operations keep their order; when several touch the same key, the last one wins.
#[derive(Default, Debug, Clone)]
pub struct WriteBatch {
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl WriteBatch {
    /// An empty batch.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push((key.into(), Some(value.into())));
    }

    /// Removes `key` (no error if it is absent).
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) {
        self.ops.push((key.into(), None));
    }

    /// Number of operations added, counting repeated keys each time.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether no operation was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The effective operations: one per key, the last one added, in ascending key order.
    /// `None` is a delete.
    ///
    /// Engines stamp every operation of a batch with one sequence number, so two versions of
    /// one key inside a batch would be ambiguous; resolving "last wins" here keeps that rule in
    /// one place.
    ///
    /// # Errors
    ///
    /// [`StorageError::InvalidKey`] if a key is empty or longer than [`MAX_KEY_LEN`], so every
    /// engine rejects the same keys and a bad batch applies nothing.
    pub(crate) fn into_final_ops(self) -> Result<BTreeMap<Vec<u8>, Option<Vec<u8>>>, StorageError> {
        let mut last = BTreeMap::new();
        for (key, value) in self.ops {
            if key.is_empty() || key.len() > MAX_KEY_LEN {
                return Err(StorageError::InvalidKey {
                    len: key.len(),
                    max: MAX_KEY_LEN,
                });
            }
            last.insert(key, value);
        }
        Ok(last)
    }
}
