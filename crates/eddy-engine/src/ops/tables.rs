//! The control plane: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable and tags.

use std::sync::Arc;

use eddy_storage::WriteBatch;
use eddy_streams::StreamViewType;

use crate::keys::index_prefix;
use crate::model::arn::ResourceArn;
use crate::model::backup::RestoreSummary;
use crate::model::description::{TableDescription, TableStatus};
use crate::model::error::{EngineError, Result};
use crate::model::indexes::{IndexInput, IndexKind};
use crate::model::invalid::Invalid;
use crate::model::schema::{
    AttributeDefinition, BillingMode, KeySchema, KeySchemaElement, ResourcePolicy, TableDef, Tag,
    Throughput, check_billing,
};
use crate::ops::index_admin::{
    MAX_GSIS, build_index, build_indexes, check_definitions_used, merged_definitions,
};
use crate::state::catalog::Table;
use crate::state::engine::Engine;
use crate::state::janitor::DropRange;

/// The most tags a resource can carry.
const MAX_TAGS: usize = 50;

/// CreateTable's input, after the server checked shapes and enums.
#[derive(Clone, Debug, Default)]
pub struct CreateTableInput {
    /// Table name.
    pub table_name: String,
    /// KeySchema.
    pub key_schema: Vec<KeySchemaElement>,
    /// AttributeDefinitions.
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// BillingMode; PROVISIONED when absent.
    pub billing_mode: Option<BillingMode>,
    /// ProvisionedThroughput.
    pub throughput: Option<Throughput>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// DeletionProtectionEnabled.
    pub deletion_protection: bool,
    /// TableClass.
    pub table_class: Option<String>,
    /// StreamSpecification with StreamEnabled: the view type of the stream to enable.
    pub stream: Option<StreamViewType>,
    /// GlobalSecondaryIndexes.
    pub global_indexes: Vec<IndexInput>,
    /// LocalSecondaryIndexes.
    pub local_indexes: Vec<IndexInput>,
    /// ResourcePolicy: a policy document for the table.
    pub resource_policy: Option<String>,
    /// WarmThroughput: (read, write) units per second.
    pub warm_throughput: Option<(i64, i64)>,
}

/// One entry of UpdateTable's GlobalSecondaryIndexUpdates.
#[derive(Clone, Debug)]
pub enum IndexUpdate {
    /// Create a GSI and backfill it.
    Create(IndexInput),
    /// Change a GSI's provisioned throughput.
    Update {
        /// IndexName.
        name: String,
        /// New throughput.
        throughput: Throughput,
    },
    /// Drop a GSI.
    Delete {
        /// IndexName.
        name: String,
    },
}

impl IndexUpdate {
    /// The index the update is about.
    pub fn index_name(&self) -> &str {
        match self {
            Self::Create(index) => &index.name,
            Self::Update { name, .. } | Self::Delete { name } => name,
        }
    }
}

/// Refuses an UpdateTable that updates or deletes a local index as if it were global.
fn global_index_named(def: &TableDef, name: &str, action: &'static str) -> Result<()> {
    match def.index(name) {
        Some(index) if index.kind == IndexKind::Local => Err(Invalid::NotAGlobalIndex {
            action,
            index: name.to_owned(),
        }
        .into()),
        _ => Ok(()),
    }
}

/// UpdateTable's input.
#[derive(Clone, Debug, Default)]
pub struct UpdateTableInput {
    /// Table name.
    pub table_name: String,
    /// New billing mode.
    pub billing_mode: Option<BillingMode>,
    /// New throughput.
    pub throughput: Option<Throughput>,
    /// New AttributeDefinitions (accepted; used by index changes).
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// DeletionProtectionEnabled.
    pub deletion_protection: Option<bool>,
    /// TableClass.
    pub table_class: Option<String>,
    /// GlobalSecondaryIndexUpdates.
    pub index_updates: Vec<IndexUpdate>,
    /// StreamSpecification: enable with a view type, or disable.
    pub stream: Option<StreamChange>,
}

/// UpdateTable's StreamSpecification.
#[derive(Clone, Copy, Debug)]
pub enum StreamChange {
    /// StreamEnabled true with this view type.
    Enable(StreamViewType),
    /// StreamEnabled false.
    Disable,
}

impl Engine {
    pub(crate) fn describe(&self, table: &Table, status: TableStatus) -> TableDescription {
        let def = self.visible_def(table);
        TableDescription {
            arn: self.table_arn(&def.name),
            index_counts: def
                .indexes
                .iter()
                .map(|i| table.index_counts(i.id))
                .collect(),
            def,
            status,
            item_count: table.item_count(),
            size_bytes: table.size_bytes(),
        }
    }

    /// CreateTable.
    ///
    /// # Errors
    /// ValidationException for an invalid schema or billing; ResourceInUseException when the
    /// table exists.
    pub fn create_table(&self, input: CreateTableInput) -> Result<TableDescription> {
        let table = self.create_table_from(input, None)?;
        let status = match self.settles_at() {
            Some(until) => {
                table.settle_at(until);
                TableStatus::Creating
            }
            None => TableStatus::Active,
        };
        Ok(self.describe(&table, status))
    }

    /// A table that still reports CREATING cannot be changed yet, as on AWS.
    fn refuse_while_creating(&self, table: &Table, name: &str) -> Result<()> {
        if table.is_creating(self.clock().now_ms()) {
            return Err(EngineError::ResourceInUse(format!(
                "Attempt to change a resource which is still in use: Table is being created: {name}"
            )));
        }
        Ok(())
    }

    /// Creates a table as CreateTable does, remembering where a restored one came from.
    pub(crate) fn create_table_from(
        &self,
        input: CreateTableInput,
        restore: Option<RestoreSummary>,
    ) -> Result<Arc<Table>> {
        let key_schema = KeySchema::resolve(&input.key_schema, &input.attribute_definitions)?;
        let billing_mode = input.billing_mode.unwrap_or(BillingMode::Provisioned);
        let indexes = build_indexes(
            &input.local_indexes,
            &input.global_indexes,
            &input.attribute_definitions,
            &key_schema,
            billing_mode,
        )?;
        let defs = &input.attribute_definitions;
        if let Some(repeated) = defs.iter().enumerate().find(|(i, d)| {
            defs[..*i]
                .iter()
                .any(|e| e.attribute_name == d.attribute_name)
        }) {
            return Err(Invalid::DuplicateAttributeDefinition {
                attribute: repeated.1.attribute_name.clone(),
            }
            .into());
        }
        check_definitions_used(&input.attribute_definitions, &key_schema, &indexes)?;
        let throughput = check_billing(billing_mode, input.throughput)?;
        if input.tags.len() > MAX_TAGS {
            return Err(Invalid::TooManyTags.into());
        }
        if let Some(document) = &input.resource_policy {
            crate::ops::policies::check_document(document)?;
        }
        let now = self.clock().now_ms();
        let policies = input
            .resource_policy
            .map(|document| ResourcePolicy {
                arn: self.table_arn(&input.table_name),
                document,
                revision_id: now.to_string(),
            })
            .into_iter()
            .collect();
        let def = TableDef {
            revision: 0,
            scope: self.scope().clone(),
            id: 0,
            name: input.table_name,
            table_uuid: uuid::Uuid::new_v4().to_string(),
            key_schema,
            attribute_definitions: input.attribute_definitions,
            billing_mode,
            throughput,
            created_ms: now,
            pay_per_request_since_ms: (billing_mode == BillingMode::PayPerRequest).then_some(now),
            last_increase_ms: None,
            last_decrease_ms: None,
            tags: input.tags,
            deletion_protection: input.deletion_protection,
            table_class: input.table_class,
            next_index_id: indexes.len() as u32,
            indexes,
            stream_view_type: None,
            latest_stream_arn: None,
            latest_stream_label: None,
            last_stream_ms: None,
            ttl_attribute: None,
            ttl_changed_ms: None,
            point_in_time_recovery: None,
            contributor_insights: false,
            restore,
            policies,
            warm_throughput: input.warm_throughput,
        };
        let ids = self.lock_catalog()?;
        self.catalog()
            .create(&ids, self.storage(), def, |def, batch| {
                input
                    .stream
                    .map(|view_type| self.enable_stream(&ids, batch, def, view_type))
                    .transpose()
            })
    }

    /// DescribeTable.
    ///
    /// # Errors
    /// ResourceNotFoundException.
    pub fn describe_table(&self, name: &str) -> Result<TableDescription> {
        let name = self.table_name(name)?;
        let Some(table) = self.table_named(name)? else {
            return self.still_deleting(name).ok_or_else(|| not_found(name));
        };
        let status = if table.is_creating(self.clock().now_ms()) {
            TableStatus::Creating
        } else {
            TableStatus::Active
        };
        Ok(self.describe(&table, status))
    }

    /// ListTables: names after `exclusive_start`, at most `limit`; the second value is the
    /// LastEvaluatedTableName when more follow.
    ///
    /// # Errors
    /// Storage errors (shared storage, where the list is read again first).
    pub fn list_tables(
        &self,
        exclusive_start: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<String>, Option<String>)> {
        self.refresh()?;
        let (names, more) = self
            .catalog()
            .names_after(self.scope(), exclusive_start, limit);
        let last = if more { names.last().cloned() } else { None };
        Ok((names, last))
    }

    /// UpdateTable: billing mode, throughput, deletion protection, table class.
    ///
    /// # Errors
    /// ResourceNotFoundException; ValidationException for an invalid change.
    pub fn update_table(&self, input: UpdateTableInput) -> Result<TableDescription> {
        let name = self.table_name(&input.table_name)?;
        let table = self.table_named(name)?.ok_or_else(|| not_found(name))?;
        self.refuse_while_creating(&table, name)?;
        let _guard = self.lock_table(&table)?;
        let mut def = (*table.def()).clone();
        let now = self.clock().now_ms();
        let mut changed = false;
        if let Some(mode) = input.billing_mode {
            let throughput = match (mode, input.throughput) {
                (BillingMode::Provisioned, None)
                    if def.billing_mode == BillingMode::Provisioned =>
                {
                    Some(def.throughput)
                }
                (_, t) => t,
            };
            let throughput = check_billing(mode, throughput)?;
            if mode == BillingMode::Provisioned
                && def.billing_mode == BillingMode::Provisioned
                && throughput == def.throughput
            {
                return Err(unchanged_throughput(def.throughput, throughput));
            }
            if mode != def.billing_mode {
                if mode == BillingMode::PayPerRequest {
                    def.pay_per_request_since_ms = Some(now);
                }
                def.billing_mode = mode;
                changed = true;
            }
            if throughput != def.throughput {
                note_throughput_change(&mut def, throughput, now);
                changed = true;
            }
        } else if let Some(t) = input.throughput {
            if def.billing_mode == BillingMode::PayPerRequest {
                return Err(Invalid::ThroughputWithPayPerRequest.into());
            }
            let t = check_billing(BillingMode::Provisioned, Some(t))?;
            if t == def.throughput {
                return Err(unchanged_throughput(def.throughput, t));
            }
            note_throughput_change(&mut def, t, now);
            changed = true;
        }
        if let Some(p) = input.deletion_protection {
            changed |= p != def.deletion_protection;
            def.deletion_protection = p;
        }
        if let Some(class) = input.table_class {
            changed = true;
            def.table_class = Some(class);
        }
        match input.stream {
            Some(StreamChange::Enable(_)) => {
                if table.stream().is_some() {
                    return Err(Invalid::StreamAlreadyEnabled {
                        table: def.name.clone(),
                    }
                    .into());
                }
                changed = true;
            }
            Some(StreamChange::Disable) => {
                if table.stream().is_none() {
                    return Err(Invalid::NoStreamToDisable {
                        table: def.name.clone(),
                    }
                    .into());
                }
                changed = true;
            }
            None => {}
        }
        let mut created = Vec::new();
        let mut dropped = Vec::new();
        for update in input.index_updates {
            changed = true;
            match update {
                IndexUpdate::Create(index) => {
                    if input.attribute_definitions.is_empty() {
                        return Err(Invalid::IndexDefinitionsMissing {
                            index: index.name.clone(),
                        }
                        .into());
                    }
                    // A definition the new index uses may not change an existing one's type.
                    for element in &index.key_schema {
                        let name = &element.attribute_name;
                        let given = input
                            .attribute_definitions
                            .iter()
                            .find(|d| &d.attribute_name == name);
                        let existing = def
                            .attribute_definitions
                            .iter()
                            .find(|d| &d.attribute_name == name);
                        if let (Some(given), Some(existing)) = (given, existing)
                            && given.attribute_type != existing.attribute_type
                        {
                            return Err(Invalid::AttributeRedefined {
                                attribute: name.clone(),
                                existing: existing.attribute_type.as_str(),
                                new: given.attribute_type.as_str(),
                            }
                            .into());
                        }
                    }
                    let attr_defs = merged_definitions(
                        &def.attribute_definitions,
                        &input.attribute_definitions,
                    );
                    let built = build_index(
                        &index,
                        IndexKind::Global,
                        &attr_defs,
                        &def.key_schema,
                        def.billing_mode,
                    )?;
                    if def.index(&built.name).is_some() {
                        return Err(Invalid::IndexExists.into());
                    }
                    if def
                        .indexes
                        .iter()
                        .filter(|i| i.kind == IndexKind::Global)
                        .count()
                        >= MAX_GSIS
                    {
                        return Err(EngineError::LimitExceeded(format!(
                            "Subscriber limit exceeded: The number of global secondary indexes on table {} exceeds the limit of {MAX_GSIS}",
                            def.name
                        )));
                    }
                    let mut built = built;
                    built.id = def.next_index_id;
                    def.next_index_id += 1;
                    def.attribute_definitions = attr_defs;
                    created.push(built.name.clone());
                    def.indexes.push(built);
                }
                IndexUpdate::Update { name, throughput } => {
                    global_index_named(&def, &name, "update")?;
                    if def.billing_mode == BillingMode::PayPerRequest {
                        return Err(Invalid::IndexThroughputOnDemand { index: name }.into());
                    }
                    let index = def
                        .indexes
                        .iter_mut()
                        .find(|i| i.name == name && i.kind == IndexKind::Global)
                        .ok_or_else(|| {
                            EngineError::ResourceNotFound(format!(
                                "Requested resource not found: Index: {name} not found"
                            ))
                        })?;
                    index.throughput =
                        Some(check_billing(BillingMode::Provisioned, Some(throughput))?);
                }
                IndexUpdate::Delete { name } => {
                    global_index_named(&def, &name, "delete")?;
                    let pos = def
                        .indexes
                        .iter()
                        .position(|i| i.name == name && i.kind == IndexKind::Global)
                        .ok_or_else(|| {
                            EngineError::ResourceNotFound(format!(
                                "Requested resource not found: Index: {name} not found"
                            ))
                        })?;
                    let index = def.indexes.remove(pos);
                    dropped.push(DropRange::prefix(index_prefix(def.id, index.id)));
                    table.forget_index(index.id);
                    // Definitions only the dropped index used go with it.
                    let key_schema = &def.key_schema;
                    let indexes = &def.indexes;
                    def.attribute_definitions.retain(|d| {
                        let name = d.attribute_name.as_str();
                        key_schema.is_key(name) || indexes.iter().any(|i| i.key_schema.is_key(name))
                    });
                }
            }
        }
        // The stream changes once the rest of the request is known to be valid: a refused
        // UpdateTable must not leave a stream enabled or disabled.
        // The stream's records commit in the same batch as the table's new definition.
        let mut stream_batch = WriteBatch::new();
        // A dropped index's entries are deleted behind the answer; their markers commit
        // with the definition that no longer has the index.
        for range in &dropped {
            range.stage(&mut stream_batch);
        }
        // A new stream's id is drawn under the catalog lock, held until the id's commit.
        let ids = match input.stream {
            Some(StreamChange::Enable(_)) => Some(self.lock_catalog()?),
            _ => None,
        };
        let new_stream =
            match (input.stream, &ids) {
                (Some(StreamChange::Enable(view_type)), Some(ids)) => Some(Some(
                    self.enable_stream(ids, &mut stream_batch, &mut def, view_type)?,
                )),
                (Some(StreamChange::Disable), _) => {
                    self.disable_stream(&mut stream_batch, &table, &mut def)?;
                    Some(None)
                }
                _ => None,
            };
        let commit_def = |def: TableDef, batch: WriteBatch| -> Result<()> {
            self.catalog()
                .update_with(self.storage(), &table, def, batch)?;
            if let Some(stream) = new_stream.clone() {
                table.set_stream(stream);
            }
            self.janitor().enqueue(dropped.clone());
            Ok(())
        };
        if !created.is_empty() {
            // The new indexes are CREATING in the committed definition, so every write from
            // now on maintains them; the backfill builds the rest behind the answer, once
            // this request lets go of the table's write lock.
            commit_def(def, stream_batch)?;
            if let Some(until) = self.settles_at() {
                for index in &created {
                    table.settle_index_at(index, until);
                }
            }
            self.start_backfill(Arc::clone(&table), created);
            return Ok(self.describe(&table, TableStatus::Active));
        }
        let asked = input.billing_mode.is_some()
            || input.throughput.is_some()
            || input.deletion_protection.is_some()
            || !input.attribute_definitions.is_empty();
        if !changed && !asked {
            return Err(Invalid::NothingToUpdate.into());
        }
        commit_def(def, stream_batch)?;
        Ok(self.describe(&table, TableStatus::Active))
    }

    /// DeleteTable: removes the table and its items; answers with status DELETING.
    ///
    /// # Errors
    /// ResourceNotFoundException; ValidationException when deletion protection is on.
    pub fn delete_table(&self, name: &str) -> Result<TableDescription> {
        let name = self.table_name(name)?;
        let Some(table) = self.table_named(name)? else {
            // "If table is already in the DELETING state, no error is returned."
            return self.still_deleting(name).ok_or_else(|| not_found(name));
        };
        self.refuse_while_creating(&table, name)?;
        if table.def().deletion_protection {
            return Err(Invalid::DeletionProtected {
                arn: self.table_arn(name),
            }
            .into());
        }
        let description = {
            let _guard = self.lock_table(&table)?;
            let mut def = (*table.def()).clone();
            let mut batch = WriteBatch::new();
            self.disable_stream(&mut batch, &table, &mut def)?;
            let description = self.describe(&table, TableStatus::Deleting);
            // The items and index entries are deleted behind the answer (DELETING); their
            // markers commit with the catalog record's removal.
            let dropped = vec![
                DropRange::prefix(crate::keys::table_prefix(def.id)),
                DropRange::prefix(crate::keys::table_index_prefix(def.id)),
            ];
            for range in &dropped {
                range.stage(&mut batch);
            }
            self.catalog()
                .remove(self.storage(), self.scope(), name, batch)?;
            table.mark_dropped();
            self.janitor().enqueue(dropped);
            table.set_stream(None);
            description
        };
        if let Some(until) = self.settles_at() {
            self.note_deleting(name, description.clone(), until);
        }
        Ok(description)
    }

    /// The table a tag call's ARN names (a stream's ARN stands for its table).
    fn table_by_arn(&self, arn: &str, action: &str) -> Result<Arc<Table>> {
        let parsed = ResourceArn::parse(arn)?;
        // DynamoDB authorises tag calls against the resource before it looks the table up, so
        // an ARN that names no table is denied rather than not found.
        let denied = || {
            EngineError::AccessDenied(format!(
                "User: arn:aws:iam::{}:user/eddy is not authorized to perform: dynamodb:{action} on resource: {arn} because no identity-based policy allows the dynamodb:{action} action",
                self.scope().account_id
            ))
        };
        if !parsed.in_scope(self.scope()) {
            return Err(denied());
        }
        self.table_named(parsed.table())?.ok_or_else(denied)
    }

    /// TagResource: adds or replaces tags.
    ///
    /// # Errors
    /// AccessDeniedException for an ARN that names no table.
    pub fn tag_resource(&self, arn: &str, tags: Vec<Tag>) -> Result<()> {
        let table = self.table_by_arn(arn, "TagResource")?;
        let _guard = self.lock_table(&table)?;
        let mut def = (*table.def()).clone();
        for tag in tags {
            match def.tags.iter_mut().find(|t| t.key == tag.key) {
                Some(existing) => existing.value = tag.value,
                None => def.tags.push(tag),
            }
        }
        if def.tags.len() > MAX_TAGS {
            return Err(Invalid::TooManyTags.into());
        }
        self.catalog().update(self.storage(), &table, def)
    }

    /// UntagResource.
    ///
    /// # Errors
    /// AccessDeniedException for an ARN that names no table.
    pub fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<()> {
        let table = self.table_by_arn(arn, "UntagResource")?;
        let _guard = self.lock_table(&table)?;
        let mut def = (*table.def()).clone();
        def.tags.retain(|t| !keys.contains(&t.key));
        self.catalog().update(self.storage(), &table, def)
    }

    /// ListTagsOfResource.
    ///
    /// # Errors
    /// AccessDeniedException for an ARN that names no table.
    pub fn list_tags(&self, arn: &str) -> Result<Vec<Tag>> {
        Ok(self
            .table_by_arn(arn, "ListTagsOfResource")?
            .def()
            .tags
            .clone())
    }
}

fn not_found(name: &str) -> EngineError {
    EngineError::ResourceNotFound(format!(
        "Requested resource not found: Table: {name} not found"
    ))
}

fn unchanged_throughput(current: Throughput, requested: Throughput) -> EngineError {
    Invalid::ThroughputUnchanged {
        current_read: current.read,
        read: requested.read,
        current_write: current.write,
        write: requested.write,
    }
    .into()
}

fn note_throughput_change(def: &mut TableDef, t: Throughput, now: u64) {
    if t.read > def.throughput.read || t.write > def.throughput.write {
        def.last_increase_ms = Some(now);
    }
    if t.read < def.throughput.read || t.write < def.throughput.write {
        def.last_decrease_ms = Some(now);
    }
    def.throughput = t;
}
