//! What DescribeTable and the table operations answer about a table.

use std::sync::Arc;

use crate::model::schema::TableDef;

/// A table's lifecycle state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableStatus {
    /// Being created: a restore's answer, and a new table's under a table status delay.
    Creating,
    /// Usable.
    Active,
    /// Being deleted (DeleteTable's answer).
    Deleting,
}

impl TableStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "CREATING",
            Self::Active => "ACTIVE",
            Self::Deleting => "DELETING",
        }
    }
}

/// What DescribeTable reports.
#[derive(Clone, Debug)]
pub struct TableDescription {
    /// The definition.
    pub def: Arc<TableDef>,
    /// Status.
    pub status: TableStatus,
    /// ItemCount.
    pub item_count: i64,
    /// TableSizeBytes.
    pub size_bytes: i64,
    /// TableArn.
    pub arn: String,
    /// (ItemCount, IndexSizeBytes) per index, in the order of `def.indexes`.
    pub index_counts: Vec<(i64, i64)>,
}
