//! One typed handler per operation, reached through one exhaustive `match`.

mod backups;
mod batch;
mod items;
mod other_services;
mod partiql;
mod policies;
mod query;
mod restore;
mod streams;
mod tables;
mod transactions;
mod ttl;

use crate::error::ApiError;
use crate::input::{Constraints, Input};
use crate::protocol::Operation;
use crate::render::ReturnConsumed;
use crate::reply::{Out, Reply};

use eddy_engine::{Consumed, Engine};

/// Runs one operation on its decoded body; `host` is the request's Host header.
pub fn dispatch(
    engine: &Engine,
    op: Operation,
    input: &Input<'_>,
    host: Option<&str>,
) -> Result<Reply, ApiError> {
    match op {
        Operation::CreateTable => tables::create_table(engine, input),
        Operation::DescribeTable => tables::describe_table(engine, input),
        Operation::ListTables => tables::list_tables(engine, input),
        Operation::UpdateTable => tables::update_table(engine, input),
        Operation::DeleteTable => tables::delete_table(engine, input),
        Operation::TagResource => tables::tag_resource(engine, input),
        Operation::UntagResource => tables::untag_resource(engine, input),
        Operation::ListTagsOfResource => tables::list_tags_of_resource(engine, input),
        Operation::DescribeEndpoints => Ok(tables::describe_endpoints(engine, host)),
        Operation::DescribeLimits => Ok(tables::describe_limits()),
        Operation::DescribeContinuousBackups => backups::describe_continuous_backups(engine, input),
        Operation::UpdateContinuousBackups => backups::update_continuous_backups(engine, input),
        Operation::DescribeContributorInsights => {
            backups::describe_contributor_insights(engine, input)
        }
        Operation::UpdateContributorInsights => backups::update_contributor_insights(engine, input),
        Operation::DescribeKinesisStreamingDestination => {
            backups::describe_kinesis_streaming_destination(engine, input)
        }
        Operation::PutResourcePolicy => policies::put_resource_policy(engine, input),
        Operation::GetResourcePolicy => policies::get_resource_policy(engine, input),
        Operation::DeleteResourcePolicy => policies::delete_resource_policy(engine, input),
        Operation::DescribeTableReplicaAutoScaling | Operation::UpdateTableReplicaAutoScaling => {
            other_services::replica_auto_scaling(input)
        }
        Operation::CreateGlobalTable | Operation::UpdateGlobalTable => {
            Err(other_services::legacy_global_table())
        }
        Operation::DescribeGlobalTable
        | Operation::DescribeGlobalTableSettings
        | Operation::UpdateGlobalTableSettings => other_services::global_table_not_found(input),
        Operation::ListGlobalTables => Ok(other_services::list_global_tables()),
        Operation::ExportTableToPointInTime => other_services::export_table(engine, input),
        Operation::DescribeExport => other_services::describe_export(input),
        Operation::ListExports => Ok(other_services::list_exports()),
        Operation::ImportTable => Err(other_services::import_table()),
        Operation::DescribeImport => other_services::describe_import(input),
        Operation::ListImports => Ok(other_services::list_imports()),
        Operation::EnableKinesisStreamingDestination => {
            other_services::enable_kinesis(engine, input)
        }
        Operation::DisableKinesisStreamingDestination => {
            other_services::disable_kinesis(engine, input)
        }
        Operation::UpdateKinesisStreamingDestination => {
            other_services::update_kinesis(engine, input)
        }
        Operation::ListContributorInsights => Ok(other_services::list_contributor_insights(engine)),
        Operation::CreateBackup => restore::create_backup(engine, input),
        Operation::DescribeBackup => restore::describe_backup(engine, input),
        Operation::ListBackups => restore::list_backups(engine, input),
        Operation::DeleteBackup => restore::delete_backup(engine, input),
        Operation::RestoreTableFromBackup => restore::restore_table_from_backup(engine, input),
        Operation::RestoreTableToPointInTime => {
            restore::restore_table_to_point_in_time(engine, input)
        }
        Operation::PutItem => items::put_item(engine, input),
        Operation::GetItem => items::get_item(engine, input),
        Operation::UpdateItem => items::update_item(engine, input),
        Operation::DeleteItem => items::delete_item(engine, input),
        Operation::Query => query::query(engine, input),
        Operation::Scan => query::scan(engine, input),
        Operation::BatchGetItem => batch::batch_get_item(engine, input),
        Operation::BatchWriteItem => batch::batch_write_item(engine, input),
        Operation::UpdateTimeToLive => ttl::update_time_to_live(engine, input),
        Operation::DescribeTimeToLive => ttl::describe_time_to_live(engine, input),
        Operation::TransactWriteItems => transactions::transact_write_items(engine, input),
        Operation::TransactGetItems => transactions::transact_get_items(engine, input),
        Operation::ExecuteStatement => partiql::execute_statement(engine, input),
        Operation::BatchExecuteStatement => partiql::batch_execute_statement(engine, input),
        Operation::ExecuteTransaction => partiql::execute_transaction(engine, input),
        Operation::ListStreams => streams::list_streams(engine, input),
        Operation::DescribeStream => streams::describe_stream(engine, input),
        Operation::GetShardIterator => streams::get_shard_iterator(engine, input),
        Operation::GetRecords => streams::get_records(engine, input),
    }
}

/// ReturnConsumedCapacity, checked against its enum.
fn return_consumed(input: &Input<'_>, c: &mut Constraints) -> Result<ReturnConsumed, ApiError> {
    let v = input.string("ReturnConsumedCapacity")?;
    c.one_of(v, "returnConsumedCapacity", &["INDEXES", "TOTAL", "NONE"]);
    Ok(match v {
        Some("TOTAL") => ReturnConsumed::Total,
        Some("INDEXES") => ReturnConsumed::Indexes,
        _ => ReturnConsumed::None,
    })
}

impl Out {
    /// ItemCollectionMetrics of a batch or a transaction: for each written item of a table with
    /// local secondary indexes, its collection (once per collection), by table.
    pub(crate) fn set_collection_metrics<'a>(
        &mut self,
        engine: &Engine,
        written: impl IntoIterator<Item = (&'a str, &'a eddy_types::Item)>,
    ) -> Result<(), ApiError> {
        let mut by_table: Vec<(&str, Vec<eddy_engine::ItemCollection>)> = Vec::new();
        for (table, item) in written {
            let Some(collection) = engine.item_collection(table, item)? else {
                continue;
            };
            let at = match by_table.iter().position(|(t, _)| *t == table) {
                Some(at) => at,
                None => {
                    by_table.push((table, Vec::new()));
                    by_table.len() - 1
                }
            };
            if let Some((_, list)) = by_table.get_mut(at)
                && !list.iter().any(|c| c.key == collection.key)
            {
                list.push(collection);
            }
        }
        if !by_table.is_empty() {
            self.set_object("ItemCollectionMetrics", |m| {
                for (table, list) in &by_table {
                    m.set_objects(table, list, collection_metrics);
                }
            });
        }
        Ok(())
    }

    /// ConsumedCapacity as a list, one entry per table (batches and transactions), when asked;
    /// `split` adds read and write units, as transactions answer.
    fn set_consumed_list(
        &mut self,
        rc: ReturnConsumed,
        per_table: &[(String, Consumed)],
        split: bool,
    ) {
        let list: Vec<_> = per_table
            .iter()
            .filter_map(|(t, units)| crate::render::capacity_entry(rc, t, units, split))
            .collect();
        if !list.is_empty() {
            self.set("ConsumedCapacity", list);
        }
    }
}

/// One ItemCollectionMetrics entry.
pub(crate) fn collection_metrics(o: &mut Out, c: &eddy_engine::ItemCollection) {
    o.set_item("ItemCollectionKey", &c.key);
    o.set("SizeEstimateRangeGB", c.size_estimate_range_gb());
}
