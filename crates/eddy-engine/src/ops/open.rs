//! Opening a database: loading its state, then restarting the index backfills a stopped run
//! left unfinished.

use std::sync::Arc;

use eddy_storage::Storage;

use crate::model::error::Result;
use crate::model::indexes::IndexStatus;
use crate::state::engine::{Engine, EngineConfig};

impl Engine {
    /// Opens the database kept in `storage`, loading its catalog.
    ///
    /// # Errors
    /// A storage error, or a corrupt catalog record.
    pub fn open(storage: Arc<dyn Storage>, config: EngineConfig) -> Result<Self> {
        let engine = Self::load(storage, config)?;
        // On shared storage the leader does it, once elected (`Engine::tick`).
        if !engine.is_shared() {
            engine.restart_backfills();
        }
        Ok(engine)
    }

    /// Builds again, from the start, the indexes left CREATING by a process that stopped;
    /// the entries it made are found and kept.
    pub(crate) fn restart_backfills(&self) {
        for table in self.catalog().all() {
            let creating: Vec<String> = table
                .def()
                .indexes
                .iter()
                .filter(|i| i.status == IndexStatus::Creating)
                .map(|i| i.name.clone())
                .collect();
            if !creating.is_empty() {
                self.start_backfill(table, creating);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use eddy_storage::{MemoryStorage, WriteBatch};

    use super::*;
    use crate::keys;
    use crate::model::schema::{AttributeDefinition, KeySchemaElement, KeyType, ScalarType};
    use crate::ops::tables::CreateTableInput;
    use crate::state::engine::EngineConfig;

    #[test]
    fn records_written_before_scopes_join_the_default_scope() {
        let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
        let engine = Engine::open(Arc::clone(&storage), EngineConfig::default()).expect("open");
        engine
            .create_table(CreateTableInput {
                table_name: "old".into(),
                key_schema: vec![KeySchemaElement {
                    attribute_name: "pk".into(),
                    key_type: KeyType::Hash,
                }],
                attribute_definitions: vec![AttributeDefinition {
                    attribute_name: "pk".into(),
                    attribute_type: ScalarType::S,
                }],
                billing_mode: Some(crate::model::schema::BillingMode::PayPerRequest),
                ..CreateTableInput::default()
            })
            .expect("create");
        engine.close().expect("close");
        // Rewrite the record as a catalog without scopes held it: `C` + name, no scope.
        let scoped_key = keys::catalog_key(engine.scope(), "old");
        let mut record: serde_json::Value = serde_json::from_slice(
            &storage
                .snapshot()
                .get(&scoped_key)
                .expect("read")
                .expect("record"),
        )
        .expect("json");
        record.as_object_mut().expect("object").remove("scope");
        let mut legacy = WriteBatch::new();
        legacy.delete(scoped_key.clone());
        legacy.put(
            [&[keys::CATALOG][..], b"old"].concat(),
            serde_json::to_vec(&record).expect("json"),
        );
        storage.commit(legacy).expect("commit");

        let config = EngineConfig {
            region: "eu-west-1".into(),
            ..EngineConfig::default()
        };
        let reopened = Engine::open(Arc::clone(&storage), config).expect("reopen");
        let scope = reopened.scope().clone();
        assert_eq!(scope.region, "eu-west-1");
        assert!(reopened.table_named("old").expect("read").is_some());
        let snap = storage.snapshot();
        assert!(
            snap.get(&keys::catalog_key(&scope, "old"))
                .expect("read")
                .is_some()
        );
        assert!(
            snap.get(&[&[keys::CATALOG][..], b"old"].concat())
                .expect("read")
                .is_none()
        );
    }
}
