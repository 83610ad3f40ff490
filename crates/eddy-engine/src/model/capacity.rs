//! Capacity units, computed the way DynamoDB bills them: writes in 1 KB units per item, reads in
//! 4 KB units (halved for eventually consistent reads), at least one unit per request. Secondary
//! indexes are billed apart: a write pays for each index entry it puts or deletes (two when it
//! moves an entry to another key), sized by the projected entry, and a read of an index is the
//! index's.

/// Bytes per write capacity unit.
const WRITE_UNIT: usize = 1024;
/// Bytes per read capacity unit.
const READ_UNIT: usize = 4096;

/// Read and write units one request consumed on one table and its indexes.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Consumed {
    /// Read capacity units of the table itself.
    pub read: f64,
    /// Write capacity units of the table itself.
    pub write: f64,
    /// Units of each secondary index used, in the order first used.
    pub indexes: Vec<IndexConsumed>,
}

/// Units one request consumed on one secondary index.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IndexConsumed {
    /// IndexName.
    pub name: String,
    /// A global index (else local).
    pub global: bool,
    /// Read capacity units.
    pub read: f64,
    /// Write capacity units.
    pub write: f64,
}

/// Capacity per table, in the order the tables were first used (batches and transactions).
pub type PerTable = Vec<(String, Consumed)>;

impl Consumed {
    /// Read units for `bytes` read in one go (rounded up to 4 KB, minimum one unit).
    pub fn read(bytes: usize, consistent: bool) -> Self {
        let units = bytes.div_ceil(READ_UNIT).max(1) as f64;
        Self {
            read: if consistent { units } else { units / 2.0 },
            write: 0.0,
            indexes: Vec::new(),
        }
    }

    /// Write units for an item of `bytes` (rounded up to 1 KB, minimum one unit).
    pub fn write(bytes: usize) -> Self {
        Self {
            read: 0.0,
            write: write_units(bytes),
            indexes: Vec::new(),
        }
    }

    /// These units, billed to an index instead of the table.
    #[must_use]
    pub fn on_index(self, name: &str, global: bool) -> Self {
        Self {
            read: 0.0,
            write: 0.0,
            indexes: vec![IndexConsumed {
                name: name.to_owned(),
                global,
                read: self.read,
                write: self.write,
            }],
        }
    }

    /// Adds units consumed on an index.
    pub fn add_index(&mut self, units: IndexConsumed) {
        match self.indexes.iter_mut().find(|i| i.name == units.name) {
            Some(i) => {
                i.read += units.read;
                i.write += units.write;
            }
            None => self.indexes.push(units),
        }
    }

    /// Read units of the table and its indexes.
    pub fn total_read(&self) -> f64 {
        self.read + self.indexes.iter().map(|i| i.read).sum::<f64>()
    }

    /// Write units of the table and its indexes.
    pub fn total_write(&self) -> f64 {
        self.write + self.indexes.iter().map(|i| i.write).sum::<f64>()
    }

    /// The total units, as DynamoDB's `CapacityUnits`.
    pub fn total(&self) -> f64 {
        self.total_read() + self.total_write()
    }
}

/// Write units for `bytes` written (rounded up to 1 KB, minimum one unit).
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(WRITE_UNIT).max(1) as f64
}

impl std::ops::AddAssign for Consumed {
    fn add_assign(&mut self, rhs: Self) {
        self.read += rhs.read;
        self.write += rhs.write;
        for i in rhs.indexes {
            self.add_index(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_up() {
        assert_eq!(Consumed::write(0).write, 1.0);
        assert_eq!(Consumed::write(1024).write, 1.0);
        assert_eq!(Consumed::write(1025).write, 2.0);
        assert_eq!(Consumed::read(4096, true).read, 1.0);
        assert_eq!(Consumed::read(4097, true).read, 2.0);
        assert_eq!(Consumed::read(1, false).read, 0.5);
    }
}
