//! Secondary index administration: resolving and checking index definitions (CreateTable,
//! UpdateTable) and building a new global index from the table's existing items.

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::indexes::{IndexDef, IndexInput, IndexKind, IndexStatus, ProjectionType};
use crate::schema::{AttributeDefinition, BillingMode, KeySchema};
use crate::tables::{CreateTableInput, MAX_GSIS, MAX_LSIS, check_billing};

/// Resolves and checks CreateTable's indexes; ids are assigned in order.
pub(crate) fn build_indexes(
    input: &CreateTableInput,
    table: &KeySchema,
    billing: BillingMode,
) -> Result<Vec<IndexDef>> {
    if !input.local_indexes.is_empty() && table.range.is_none() {
        return Err(EngineError::invalid_parameter(
            "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
        ));
    }
    if input.local_indexes.len() > MAX_LSIS {
        return Err(EngineError::invalid_parameter(format!(
            "Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}"
        )));
    }
    if input.global_indexes.len() > MAX_GSIS {
        return Err(EngineError::invalid_parameter(format!(
            "GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}"
        )));
    }
    let mut out: Vec<IndexDef> = Vec::new();
    let all = input
        .local_indexes
        .iter()
        .map(|i| (i, IndexKind::Local))
        .chain(input.global_indexes.iter().map(|i| (i, IndexKind::Global)));
    for (index, kind) in all {
        if out.iter().any(|i| i.name == index.name) {
            return Err(EngineError::invalid_parameter(format!(
                "Duplicate index name: {}",
                index.name
            )));
        }
        let mut built = build_index(index, kind, &input.attribute_definitions, table, billing)?;
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
    let key_schema = KeySchema::resolve(&index.key_schema, defs).map_err(|e| match e {
        EngineError::Validation(m) if m.starts_with("Invalid KeySchema: Some index key") => {
            EngineError::invalid_parameter(format!(
                "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                index.key_schema.iter().map(|k| k.attribute_name.as_str()).collect::<Vec<_>>().join(", "),
                defs.iter().map(|d| d.attribute_name.as_str()).collect::<Vec<_>>().join(", ")
            ))
        }
        other => other,
    })?;
    if kind == IndexKind::Local {
        if key_schema.hash != table.hash {
            return Err(EngineError::invalid_parameter(format!(
                "Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {}, table hash key: {}",
                index.name, key_schema.hash.name, table.hash.name
            )));
        }
        if key_schema.range.is_none() {
            return Err(EngineError::invalid_parameter(format!(
                "Index KeySchema for local secondary index {} must have a range key",
                index.name
            )));
        }
    }
    let p = &index.projection;
    match p.projection_type {
        ProjectionType::Include if p.non_key_attributes.is_empty() => {
            return Err(EngineError::invalid_parameter(
                "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
            ));
        }
        ProjectionType::All | ProjectionType::KeysOnly if !p.non_key_attributes.is_empty() => {
            return Err(EngineError::invalid_parameter(format!(
                "ProjectionType is {}, but NonKeyAttributes is specified",
                p.projection_type.as_str()
            )));
        }
        _ => {}
    }
    let throughput = match (kind, billing, index.throughput) {
        (IndexKind::Local, _, _) => None,
        (IndexKind::Global, BillingMode::Provisioned, None) => {
            return Err(EngineError::invalid_parameter(format!(
                "ProvisionedThroughput must be specified for index: {}",
                index.name
            )));
        }
        (IndexKind::Global, BillingMode::Provisioned, Some(t)) => {
            Some(check_billing(BillingMode::Provisioned, Some(t))?)
        }
        (IndexKind::Global, BillingMode::PayPerRequest, Some(t)) if t.read != 0 || t.write != 0 => {
            return Err(EngineError::invalid_parameter(
                "ProvisionedThroughput should not be specified for index: ".to_owned()
                    + &index.name
                    + " when BillingMode is PAY_PER_REQUEST",
            ));
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
    for schema in std::iter::once(table).chain(indexes.iter().map(|i| &i.key_schema)) {
        for attr in std::iter::once(&schema.hash).chain(schema.range.as_ref()) {
            if !used.contains(&attr.name.as_str()) {
                used.push(&attr.name);
            }
        }
    }
    if defs.len() != used.len() {
        if indexes.is_empty() {
            return Err(EngineError::invalid_parameter(
                "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
            ));
        }
        return Err(EngineError::invalid_parameter(format!(
            "Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
            defs.iter()
                .map(|d| d.attribute_name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            used.join(", ")
        )));
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
    /// Builds new indexes from the table's existing items. The caller holds the table's write
    /// lock, so no write races the backfill.
    pub(crate) fn backfill(&self, table: &crate::catalog::Table, names: &[String]) -> Result<()> {
        const CHUNK: usize = 512;
        let def = table.def();
        let targets: Vec<IndexDef> = def
            .indexes
            .iter()
            .filter(|i| names.contains(&i.name))
            .cloned()
            .collect();
        let snap = self.storage().snapshot();
        let start = crate::keys::table_prefix(def.id);
        let end = crate::keys::table_end(def.id);
        let mut batch = eddy_storage::WriteBatch::new();
        let mut counts = Vec::new();
        for entry in snap.range(
            std::ops::Bound::Included(&start[..]),
            std::ops::Bound::Excluded(&end[..]),
            eddy_storage::Direction::Forward,
        ) {
            let (_, bytes) = entry?;
            let item =
                eddy_types::decode_item(&bytes).map_err(|e| EngineError::Corrupt(e.to_string()))?;
            let changes = crate::indexes::maintain(
                &mut batch,
                def.id,
                &def.key_schema,
                &targets,
                None,
                Some(&item),
            );
            counts.extend(
                targets
                    .iter()
                    .zip(changes)
                    .filter_map(|(i, c)| c.map(|c| (i.id, c))),
            );
            if batch.len() >= CHUNK {
                self.storage().commit(std::mem::take(&mut batch))?;
            }
        }
        if !batch.is_empty() {
            self.storage().commit(batch)?;
        }
        for (id, (old, new)) in counts {
            table.account_index(id, old, new);
        }
        Ok(())
    }
}
