//! Time to live: UpdateTimeToLive, DescribeTimeToLive, and the sweep that deletes expired
//! items. Each expiry is a delete like any other (index entries, stream record) whose stream
//! record carries DynamoDB's service identity.

use std::ops::Bound;

use eddy_storage::{Direction, WriteBatch};
use eddy_types::{AttributeValue, Item, decode_item};

use crate::keys;
use crate::model::error::{EngineError, Result};
use crate::model::invalid::Invalid;
use crate::state::engine::Engine;
use crate::write::stage::{Cause, account};

/// Items whose TTL lies more than five years in the past are left alone, as DynamoDB does
/// (such a value is more likely a mistake than an expiry).
const MAX_PAST_SECONDS: i64 = 5 * 365 * 24 * 3600;

/// TimeToLiveDescription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeToLiveDescription {
    /// ENABLED or DISABLED.
    pub status: &'static str,
    /// The attribute, when enabled.
    pub attribute_name: Option<String>,
}

/// Whether `item` has expired at `now_secs` by its `attr`: a Number of epoch seconds in the
/// past, but not more than five years.
fn expired(item: &Item, attr: &str, now_secs: i64) -> bool {
    match item.get(attr) {
        Some(AttributeValue::N(n)) => n
            .to_i64_floor()
            .is_some_and(|t| t <= now_secs && t >= now_secs.saturating_sub(MAX_PAST_SECONDS)),
        _ => false,
    }
}

/// How long after a change of a table's time to live another one is refused: DynamoDB takes up
/// to an hour to apply one, and refuses further UpdateTimeToLive calls meanwhile.
const TTL_CHANGE_INTERVAL_MS: u64 = 60 * 60 * 1000;

impl Engine {
    /// UpdateTimeToLive: enables TTL on `attribute` or disables it.
    ///
    /// # Errors
    /// ResourceNotFoundException; ValidationException when nothing would change, or within an
    /// hour (by the engine's clock) of the previous change.
    pub fn update_time_to_live(
        &self,
        table_name: &str,
        enabled: bool,
        attribute: &str,
    ) -> Result<()> {
        let table_name = self.table_name(table_name)?;
        let table = self.table_named(table_name)?.ok_or_else(|| {
            EngineError::ResourceNotFound(format!(
                "Requested resource not found: Table: {table_name} not found"
            ))
        })?;
        let _guard = self.lock_table(&table)?;
        let mut def = (*table.def()).clone();
        match (&def.ttl_attribute, enabled) {
            (Some(current), true) if current != attribute => {
                return Err(Invalid::TtlOnOtherAttribute {
                    current: current.clone(),
                }
                .into());
            }
            (Some(_), true) => {
                return Err(Invalid::TtlAlreadyEnabled.into());
            }
            (None, false) => {
                return Err(Invalid::TtlAlreadyDisabled.into());
            }
            // Disabling names the attribute TTL is on.
            (Some(current), false) if current != attribute => {
                return Err(Invalid::TtlOnOtherAttribute {
                    current: current.clone(),
                }
                .into());
            }
            _ => {}
        }
        let now = self.clock().now_ms();
        if def
            .ttl_changed_ms
            .is_some_and(|at| now < at.saturating_add(TTL_CHANGE_INTERVAL_MS))
        {
            return Err(Invalid::TtlChangedTooOften.into());
        }
        def.ttl_attribute = enabled.then(|| attribute.to_owned());
        def.ttl_changed_ms = Some(now);
        self.catalog().update(self.storage(), &table, def)
    }

    /// DescribeTimeToLive.
    ///
    /// # Errors
    /// ResourceNotFoundException.
    pub fn describe_time_to_live(&self, table_name: &str) -> Result<TimeToLiveDescription> {
        let table_name = self.table_name(table_name)?;
        let table = self.table_named(table_name)?.ok_or_else(|| {
            EngineError::ResourceNotFound(format!(
                "Requested resource not found: Table: {table_name} not found"
            ))
        })?;
        let def = table.def();
        Ok(TimeToLiveDescription {
            status: if def.ttl_attribute.is_some() {
                "ENABLED"
            } else {
                "DISABLED"
            },
            attribute_name: def.ttl_attribute.clone(),
        })
    }

    /// Runs the TTL sweep when `force` or when the sweep interval has passed since the last.
    pub(crate) fn sweep_ttl_if_due(&self, force: bool) -> Result<()> {
        let now = self.clock().now_ms();
        let last = self.sweep_clock().last_ms();
        if !force && now.saturating_sub(last) < self.config().ttl_sweep_interval_ms {
            return Ok(());
        }
        self.sweep_clock().set(now);
        let now_secs = i64::try_from(now / 1000).unwrap_or(i64::MAX);
        for table in self.catalog().all() {
            let def = table.def();
            let Some(attr) = def.ttl_attribute.clone() else {
                continue;
            };
            let snap = self.storage().snapshot();
            let start = keys::table_prefix(def.id);
            let end = keys::table_end(def.id);
            let mut due = Vec::new();
            for entry in snap.range(
                Bound::Included(&start[..]),
                Bound::Excluded(&end[..]),
                Direction::Forward,
            ) {
                let (key, bytes) = entry?;
                let item = decode_item(&bytes).map_err(|e| EngineError::Corrupt(e.to_string()))?;
                if expired(&item, &attr, now_secs) {
                    due.push(key);
                }
            }
            drop(snap);
            for skey in due {
                let guard = self.lock_table(&table)?;
                // Read again under the lock: a write since the scan may have renewed the item.
                let Some(old) = self.read_item(&skey)? else {
                    continue;
                };
                if !expired(&old, &attr, now_secs) {
                    continue;
                }
                let mut batch = WriteBatch::new();
                if let Some(staged) =
                    self.stage_change(&guard, &mut batch, skey, Some(&old), None, Cause::Ttl)?
                {
                    self.storage().commit(batch)?;
                    account(&table, &staged);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eddy_types::Number;

    fn item(v: AttributeValue) -> Item {
        Item::from([("ttl".to_owned(), v)])
    }

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap_or_else(|_| Number::from_i64(0)))
    }

    #[test]
    fn expiry_rules() {
        let now = 2_000_000_000;
        assert!(expired(&item(n("1999999999")), "ttl", now));
        assert!(expired(&item(n("2000000000")), "ttl", now));
        assert!(expired(&item(n("1999999999.9")), "ttl", now));
        assert!(!expired(&item(n("2000000001")), "ttl", now));
        assert!(
            !expired(&item(n("100")), "ttl", now),
            "more than five years ago"
        );
        assert!(!expired(&item(AttributeValue::S("1".into())), "ttl", now));
        assert!(!expired(&Item::new(), "ttl", now));
    }
}
