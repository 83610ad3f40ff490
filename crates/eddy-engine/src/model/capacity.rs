//! Capacity units, computed the way DynamoDB bills them: writes in 1 KB units per item, reads in
//! 4 KB units (halved for eventually consistent reads), at least one unit per request.

/// Bytes per write capacity unit.
const WRITE_UNIT: usize = 1024;
/// Bytes per read capacity unit.
const READ_UNIT: usize = 4096;

/// Read and write units one request consumed on one table.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Consumed {
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
        }
    }

    /// Write units for an item of `bytes` (rounded up to 1 KB, minimum one unit).
    pub fn write(bytes: usize) -> Self {
        Self {
            read: 0.0,
            write: bytes.div_ceil(WRITE_UNIT).max(1) as f64,
        }
    }

    /// The total units, as DynamoDB's `CapacityUnits`.
    pub fn total(&self) -> f64 {
        self.read + self.write
    }
}

impl std::ops::AddAssign for Consumed {
    fn add_assign(&mut self, rhs: Self) {
        self.read += rhs.read;
        self.write += rhs.write;
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
