//! Secondary index administration: resolving and checking index definitions (CreateTable,
//! UpdateTable) and building a new global index from the table's existing items, on a
//! backfill thread (`state::backfills`).

use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use eddy_storage::{Direction, WriteBatch};

use crate::keys;
use crate::model::error::{EngineError, Result};
use crate::model::indexes::{
    IndexDef, IndexInput, IndexKey, IndexKind, IndexStatus, ProjectionType,
};
use crate::model::invalid::Invalid;
use crate::model::schema::{AttributeDefinition, BillingMode, KeySchema, check_billing};
use crate::state::catalog::{Table, persist_def};
use crate::state::engine::Engine;
use crate::write::index_entries;

/// Most global secondary indexes per table.
pub(crate) const MAX_GSIS: usize = 20;
/// Most local secondary indexes per table.
const MAX_LSIS: usize = 5;

/// Resolves and checks CreateTable's local and global indexes over its attribute
/// definitions `defs`; ids are assigned in order.
pub(crate) fn build_indexes(
    local: &[IndexInput],
    global: &[IndexInput],
    defs: &[AttributeDefinition],
    table: &KeySchema,
    billing: BillingMode,
) -> Result<Vec<IndexDef>> {
    if !local.is_empty() && table.range.is_none() {
        return Err(Invalid::LsiWithoutTableRange.into());
    }
    if local.len() > MAX_LSIS {
        return Err(Invalid::TooManyLsis { max: MAX_LSIS }.into());
    }
    if global.len() > MAX_GSIS {
        return Err(Invalid::TooManyGsis { max: MAX_GSIS }.into());
    }
    let mut out: Vec<IndexDef> = Vec::new();
    let all = local
        .iter()
        .map(|i| (i, IndexKind::Local))
        .chain(global.iter().map(|i| (i, IndexKind::Global)));
    for (index, kind) in all {
        if out.iter().any(|i| i.name == index.name) {
            return Err(Invalid::DuplicateIndexName {
                index: index.name.clone(),
            }
            .into());
        }
        let mut built = build_index(index, kind, defs, table, billing)?;
        built.id = out.len() as u32;
        built.status = IndexStatus::Active;
        out.push(built);
    }
    Ok(out)
}

/// Resolves one index definition.
pub(crate) fn build_index(
    index: &IndexInput,
    kind: IndexKind,
    defs: &[AttributeDefinition],
    table: &KeySchema,
    billing: BillingMode,
) -> Result<IndexDef> {
    let undefined = |e| match e {
        EngineError::Invalid(Invalid::KeyAttributeUndefined) => {
            Invalid::IndexKeyAttributeUndefined {
                keys: index
                    .key_schema
                    .iter()
                    .map(|k| k.attribute_name.clone())
                    .collect(),
                definitions: defs.iter().map(|d| d.attribute_name.clone()).collect(),
            }
            .into()
        }
        other => other,
    };
    if let [first, second] = index.key_schema.as_slice()
        && first.attribute_name == second.attribute_name
    {
        return Err(Invalid::IndexKeySameName.into());
    }
    let key_schema = match kind {
        IndexKind::Global => {
            IndexKey::resolve_global(&index.key_schema, defs).map_err(undefined)?
        }
        IndexKind::Local => {
            let key = KeySchema::resolve(&index.key_schema, defs).map_err(undefined)?;
            if key.hash != table.hash {
                return Err(Invalid::LsiHashKeyDiffers {
                    index: index.name.clone(),
                    index_hash: key.hash.name.clone(),
                    table_hash: table.hash.name.clone(),
                }
                .into());
            }
            if key.range.is_none() {
                return Err(Invalid::LsiWithoutRange {
                    index: index.name.clone(),
                }
                .into());
            }
            IndexKey::from(&key)
        }
    };
    let p = &index.projection;
    if let Some(repeated) = p
        .non_key_attributes
        .iter()
        .enumerate()
        .find(|(i, a)| p.non_key_attributes[..*i].contains(a))
    {
        return Err(Invalid::DuplicateNonKeyAttribute {
            attribute: repeated.1.clone(),
        }
        .into());
    }
    match p.projection_type {
        ProjectionType::Include if p.non_key_attributes.is_empty() => {
            return Err(Invalid::IncludeWithoutAttributes.into());
        }
        ProjectionType::All | ProjectionType::KeysOnly if !p.non_key_attributes.is_empty() => {
            return Err(Invalid::AttributesWithoutInclude {
                projection_type: p.projection_type.as_str(),
            }
            .into());
        }
        _ => {}
    }
    let throughput = match (kind, billing, index.throughput) {
        (IndexKind::Local, _, _) => None,
        (IndexKind::Global, BillingMode::Provisioned, None) => {
            return Err(Invalid::IndexThroughputMissing {
                index: index.name.clone(),
            }
            .into());
        }
        (IndexKind::Global, BillingMode::Provisioned, Some(t)) => {
            Some(check_billing(BillingMode::Provisioned, Some(t))?)
        }
        (IndexKind::Global, BillingMode::PayPerRequest, Some(t)) if t.read != 0 || t.write != 0 => {
            return Err(Invalid::IndexThroughputForbidden {
                index: index.name.clone(),
            }
            .into());
        }
        (IndexKind::Global, BillingMode::PayPerRequest, _) => None,
    };
    Ok(IndexDef {
        id: 0,
        name: index.name.clone(),
        kind,
        key_schema,
        projection: index.projection.clone(),
        throughput,
        status: IndexStatus::Creating,
    })
}

/// Every AttributeDefinition must be used by the table's or an index's key.
pub(crate) fn check_definitions_used(
    defs: &[AttributeDefinition],
    table: &KeySchema,
    indexes: &[IndexDef],
) -> Result<()> {
    let mut used: Vec<&str> = Vec::new();
    let table_attrs = std::iter::once(&table.hash).chain(table.range.as_ref());
    for attr in table_attrs.chain(indexes.iter().flat_map(|i| i.key_schema.attributes())) {
        if !used.contains(&attr.name.as_str()) {
            used.push(&attr.name);
        }
    }
    if defs.len() != used.len() {
        if indexes.is_empty() {
            return Err(Invalid::KeySchemaDefinitionCount.into());
        }
        return Err(Invalid::UnusedAttributeDefinitions {
            definitions: defs.iter().map(|d| d.attribute_name.clone()).collect(),
            used: used.iter().map(|u| (*u).to_owned()).collect(),
        }
        .into());
    }
    Ok(())
}

/// The table's AttributeDefinitions with UpdateTable's added (new names only).
pub(crate) fn merged_definitions(
    current: &[AttributeDefinition],
    added: &[AttributeDefinition],
) -> Vec<AttributeDefinition> {
    let mut out = current.to_vec();
    for d in added {
        if !out.iter().any(|c| c.attribute_name == d.attribute_name) {
            out.push(d.clone());
        }
    }
    out
}

impl Engine {
    /// Starts building the new global indexes `names` of `table` from its existing items on a
    /// backfill thread of its own; they turn ACTIVE once built.
    pub(crate) fn start_backfill(&self, table: Arc<Table>, names: Vec<String>) {
        let engine = self.clone();
        self.backfills().spawn(move |stop| {
            if let Err(e) = engine.backfill(&table, &names, stop) {
                tracing::error!(error = %e, indexes = ?names, "backfilling failed; the indexes stay CREATING until a restart");
            }
        });
    }
}

/// Builds the CREATING indexes `names` of `table` in chunks, each under the table's write lock
/// (so no write races the chunk it reads), then marks them ACTIVE. Writes between chunks index
/// their own items, since the definition already holds the new indexes; an entry such a write
/// made is left alone. Those writes count their index changes against entries the backfill
/// had not made yet, so the counts are taken again from the finished index. Returns false if
/// stopped before the end.
impl Engine {
    fn backfill(&self, table: &Table, names: &[String], stop: &AtomicBool) -> Result<bool> {
        let storage = self.storage();
        const CHUNK: usize = 512;
        let mut after: Option<Vec<u8>> = None;
        loop {
            if stop.load(Ordering::SeqCst) {
                return Ok(false);
            }
            let _guard = self.lock_table(table)?;
            let def = table.def();
            let targets: Vec<&IndexDef> = def
                .indexes
                .iter()
                .filter(|i| names.contains(&i.name) && i.status == IndexStatus::Creating)
                .collect();
            // Dropped meanwhile, with its table or alone: nothing left to build.
            if targets.is_empty() || table.is_dropped() {
                return Ok(true);
            }
            let snap = storage.snapshot();
            let end = keys::table_end(def.id);
            let start = keys::table_prefix(def.id);
            let from = match &after {
                Some(last) => Bound::Excluded(&last[..]),
                None => Bound::Included(&start[..]),
            };
            let mut batch = WriteBatch::new();
            let mut last = None;
            for entry in snap
                .range(from, Bound::Excluded(&end[..]), Direction::Forward)
                .take(CHUNK)
            {
                let (key, bytes) = entry?;
                let item = eddy_types::decode_item(&bytes)
                    .map_err(|e| EngineError::Corrupt(e.to_string()))?;
                for index in &targets {
                    if let Some(entry_key) =
                        keys::index_entry_key(index, def.id, &def.key_schema, &item)
                        && snap.get(&entry_key)?.is_some()
                    {
                        continue;
                    }
                    index_entries::maintain(
                        &mut batch,
                        def.id,
                        &def.key_schema,
                        std::slice::from_ref(*index),
                        None,
                        Some(&item),
                    );
                }
                last = Some(key);
            }
            if !batch.is_empty() {
                storage.commit(batch)?;
            }
            match last {
                Some(key) => after = Some(key),
                None => {
                    for index in &targets {
                        let (count, bytes) = count_entries(snap.as_ref(), def.id, index.id)?;
                        table.set_index_counts(index.id, count, bytes);
                    }
                    let mut def = (*def).clone();
                    for index in def.indexes.iter_mut().filter(|i| names.contains(&i.name)) {
                        index.status = IndexStatus::Active;
                    }
                    persist_def(storage, table, def, WriteBatch::new())?;
                    return Ok(true);
                }
            }
        }
    }
}

/// The number of entries of an index and their size, read from a snapshot.
fn count_entries(
    snap: &dyn eddy_storage::Snapshot,
    table_id: u64,
    index_id: u32,
) -> Result<(i64, i64)> {
    let prefix = keys::index_prefix(table_id, index_id);
    let end = keys::prefix_end(&prefix);
    let (mut count, mut bytes) = (0i64, 0i64);
    for entry in snap.range(
        Bound::Included(&prefix[..]),
        Bound::Excluded(&end[..]),
        Direction::Forward,
    ) {
        let (_, value) = entry?;
        let projected =
            eddy_types::decode_item(&value).map_err(|e| EngineError::Corrupt(e.to_string()))?;
        count += 1;
        bytes += eddy_types::item_size(&projected) as i64;
    }
    Ok((count, bytes))
}
