//! What the executor asks a SELECT: how to read (Query, Scan or a single item), in which
//! order, and how to shape each item it returns.

use eddy_expr::{Condition, Path, PathElement};
use eddy_types::Item;

use crate::ast::Select;
use crate::error::{KeyError, PartiqlError, Unsupported};
use crate::key::SingleItem;

/// Where a single-item SELECT runs; it names the error for one that is not by the whole key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SingleRead {
    /// A read in ExecuteTransaction.
    Transaction,
    /// A read in BatchExecuteStatement.
    Batch,
}

impl Select {
    /// The key of a SELECT that must read exactly one item (in a transaction or batch): the
    /// WHERE clause must be `=` on every key attribute and nothing else.
    ///
    /// # Errors
    /// [`KeyError::TransactionRead`] or [`KeyError::BatchRead`] otherwise; an index in a
    /// transaction is refused.
    pub fn single_item_key(
        &self,
        read: SingleRead,
        hash: &str,
        range: Option<&str>,
    ) -> Result<Item, PartiqlError> {
        if read == SingleRead::Transaction && self.index.is_some() {
            return Err(PartiqlError::unsupported(
                Unsupported::IndexReadInTransaction,
            ));
        }
        let refused = || {
            PartiqlError::Key(match read {
                SingleRead::Transaction => KeyError::TransactionRead,
                SingleRead::Batch => KeyError::BatchRead,
            })
        };
        match self.filter.as_ref().map(|w| w.single_item(hash, range)) {
            Some(Ok(SingleItem {
                key,
                condition: None,
            })) => Ok(key),
            _ => Err(refused()),
        }
    }

    /// The item and condition of an `EXISTS(SELECT ...)` condition check.
    ///
    /// # Errors
    /// [`KeyError::ConditionCheck`] unless the WHERE clause pins the whole key and states a
    /// condition beyond it.
    pub fn condition_check(
        &self,
        hash: &str,
        range: Option<&str>,
    ) -> Result<(Item, Condition), PartiqlError> {
        match &self.filter {
            Some(w) => w.condition_check(hash, range),
            None => Err(KeyError::ConditionCheck.into()),
        }
    }

    /// Whether a Query reads forward (`ScanIndexForward`), checking ORDER BY against the key
    /// of the table or index read: `hash` and `range` are that key's attributes.
    ///
    /// The direction is the sort key's item's, or the first item's when only the partition key
    /// is named.
    ///
    /// # Errors
    /// ORDER BY without an equality on the hash key in every OR branch of the WHERE clause,
    /// or naming an attribute outside the key.
    pub fn scan_forward(&self, hash: &str, range: Option<&str>) -> Result<bool, PartiqlError> {
        let Some(first) = self.order_by.first() else {
            return Ok(true);
        };
        if !self.filter.as_ref().is_some_and(|w| w.pins_hash(hash)) {
            return Err(PartiqlError::unsupported(
                Unsupported::OrderByWithoutHashKey,
            ));
        }
        if let Some(other) = self
            .order_by
            .iter()
            .find(|o| o.attribute != hash && Some(o.attribute.as_str()) != range)
        {
            return Err(PartiqlError::unsupported(Unsupported::OrderByNonKey(
                other.attribute.clone(),
            )));
        }
        let chosen = self
            .order_by
            .iter()
            .find(|o| Some(o.attribute.as_str()) == range)
            .unwrap_or(first);
        Ok(!chosen.descending)
    }

    /// The item as the statement returns it: everything for `*`, otherwise each selected path
    /// that exists, under its output name (see [`output_name`]).
    pub fn project(&self, item: &Item) -> Item {
        let Some(paths) = &self.projection else {
            return item.clone();
        };
        paths
            .iter()
            .filter_map(|p| p.get(item).map(|v| (output_name(p), v.clone())))
            .collect()
    }
}

/// The name a selected path's value is returned under: its last attribute name followed by
/// the list indexes after it (`m.k[1]` → `k[1]`, `l[0]` → `l[0]`, `"m.z"` → `m.z`).
pub fn output_name(path: &Path) -> String {
    let last_name = path
        .0
        .iter()
        .rposition(|e| matches!(e, PathElement::Attr(_)))
        .unwrap_or(0);
    let mut out = String::new();
    for element in path.0.iter().skip(last_name) {
        match element {
            PathElement::Attr(name) => out.push_str(name),
            PathElement::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}
