//! One typed handler per operation, reached through one exhaustive `match`.

mod backups;
mod batch;
mod items;
mod partiql;
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
            .filter_map(|(t, units)| crate::render::capacity_entry(rc, t, *units, split))
            .collect();
        if !list.is_empty() {
            self.set("ConsumedCapacity", list);
        }
    }
}
