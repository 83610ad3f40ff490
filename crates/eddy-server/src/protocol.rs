//! The `X-Amz-Target` header: which service and operation a request calls.

/// Target prefix of the DynamoDB API.
const DYNAMODB_PREFIX: &str = "DynamoDB_20120810.";
/// Target prefix of the DynamoDB Streams API.
const STREAMS_PREFIX: &str = "DynamoDBStreams_20120810.";

/// Every operation eddy answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// CreateTable.
    CreateTable,
    /// DescribeTable.
    DescribeTable,
    /// ListTables.
    ListTables,
    /// UpdateTable.
    UpdateTable,
    /// DeleteTable.
    DeleteTable,
    /// TagResource.
    TagResource,
    /// UntagResource.
    UntagResource,
    /// ListTagsOfResource.
    ListTagsOfResource,
    /// DescribeEndpoints.
    DescribeEndpoints,
    /// DescribeLimits.
    DescribeLimits,
    /// DescribeContinuousBackups.
    DescribeContinuousBackups,
    /// UpdateContinuousBackups.
    UpdateContinuousBackups,
    /// DescribeContributorInsights.
    DescribeContributorInsights,
    /// UpdateContributorInsights.
    UpdateContributorInsights,
    /// CreateBackup.
    CreateBackup,
    /// DescribeBackup.
    DescribeBackup,
    /// ListBackups.
    ListBackups,
    /// DeleteBackup.
    DeleteBackup,
    /// RestoreTableFromBackup.
    RestoreTableFromBackup,
    /// RestoreTableToPointInTime.
    RestoreTableToPointInTime,
    /// PutResourcePolicy.
    PutResourcePolicy,
    /// GetResourcePolicy.
    GetResourcePolicy,
    /// DeleteResourcePolicy.
    DeleteResourcePolicy,
    /// DescribeTableReplicaAutoScaling.
    DescribeTableReplicaAutoScaling,
    /// UpdateTableReplicaAutoScaling.
    UpdateTableReplicaAutoScaling,
    /// CreateGlobalTable.
    CreateGlobalTable,
    /// UpdateGlobalTable.
    UpdateGlobalTable,
    /// DescribeGlobalTable.
    DescribeGlobalTable,
    /// DescribeGlobalTableSettings.
    DescribeGlobalTableSettings,
    /// UpdateGlobalTableSettings.
    UpdateGlobalTableSettings,
    /// ListGlobalTables.
    ListGlobalTables,
    /// ExportTableToPointInTime.
    ExportTableToPointInTime,
    /// DescribeExport.
    DescribeExport,
    /// ListExports.
    ListExports,
    /// ImportTable.
    ImportTable,
    /// DescribeImport.
    DescribeImport,
    /// ListImports.
    ListImports,
    /// EnableKinesisStreamingDestination.
    EnableKinesisStreamingDestination,
    /// DisableKinesisStreamingDestination.
    DisableKinesisStreamingDestination,
    /// UpdateKinesisStreamingDestination.
    UpdateKinesisStreamingDestination,
    /// ListContributorInsights.
    ListContributorInsights,
    /// DescribeKinesisStreamingDestination.
    DescribeKinesisStreamingDestination,
    /// PutItem.
    PutItem,
    /// GetItem.
    GetItem,
    /// UpdateItem.
    UpdateItem,
    /// DeleteItem.
    DeleteItem,
    /// Query.
    Query,
    /// Scan.
    Scan,
    /// BatchGetItem.
    BatchGetItem,
    /// BatchWriteItem.
    BatchWriteItem,
    /// UpdateTimeToLive.
    UpdateTimeToLive,
    /// DescribeTimeToLive.
    DescribeTimeToLive,
    /// TransactWriteItems.
    TransactWriteItems,
    /// TransactGetItems.
    TransactGetItems,
    /// ExecuteStatement (PartiQL).
    ExecuteStatement,
    /// BatchExecuteStatement (PartiQL).
    BatchExecuteStatement,
    /// ExecuteTransaction (PartiQL).
    ExecuteTransaction,
    /// Streams: ListStreams.
    ListStreams,
    /// Streams: DescribeStream.
    DescribeStream,
    /// Streams: GetShardIterator.
    GetShardIterator,
    /// Streams: GetRecords.
    GetRecords,
}

impl Operation {
    /// The operation of this name in either API (`PutItem`, `GetRecords`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::from_target(&format!("{DYNAMODB_PREFIX}{name}"))
            .or_else(|| Self::from_target(&format!("{STREAMS_PREFIX}{name}")))
    }

    /// Parses an `X-Amz-Target` header value; None for an unknown service or operation.
    pub fn from_target(target: &str) -> Option<Self> {
        if let Some(op) = target.strip_prefix(STREAMS_PREFIX) {
            return Some(match op {
                "ListStreams" => Self::ListStreams,
                "DescribeStream" => Self::DescribeStream,
                "GetShardIterator" => Self::GetShardIterator,
                "GetRecords" => Self::GetRecords,
                _ => return None,
            });
        }
        let op = target.strip_prefix(DYNAMODB_PREFIX)?;
        Some(match op {
            "CreateTable" => Self::CreateTable,
            "DescribeTable" => Self::DescribeTable,
            "ListTables" => Self::ListTables,
            "UpdateTable" => Self::UpdateTable,
            "DeleteTable" => Self::DeleteTable,
            "TagResource" => Self::TagResource,
            "UntagResource" => Self::UntagResource,
            "ListTagsOfResource" => Self::ListTagsOfResource,
            "DescribeEndpoints" => Self::DescribeEndpoints,
            "DescribeLimits" => Self::DescribeLimits,
            "DescribeContinuousBackups" => Self::DescribeContinuousBackups,
            "UpdateContinuousBackups" => Self::UpdateContinuousBackups,
            "DescribeContributorInsights" => Self::DescribeContributorInsights,
            "UpdateContributorInsights" => Self::UpdateContributorInsights,
            "DescribeKinesisStreamingDestination" => Self::DescribeKinesisStreamingDestination,
            "PutResourcePolicy" => Self::PutResourcePolicy,
            "GetResourcePolicy" => Self::GetResourcePolicy,
            "DeleteResourcePolicy" => Self::DeleteResourcePolicy,
            "DescribeTableReplicaAutoScaling" => Self::DescribeTableReplicaAutoScaling,
            "UpdateTableReplicaAutoScaling" => Self::UpdateTableReplicaAutoScaling,
            "CreateGlobalTable" => Self::CreateGlobalTable,
            "UpdateGlobalTable" => Self::UpdateGlobalTable,
            "DescribeGlobalTable" => Self::DescribeGlobalTable,
            "DescribeGlobalTableSettings" => Self::DescribeGlobalTableSettings,
            "UpdateGlobalTableSettings" => Self::UpdateGlobalTableSettings,
            "ListGlobalTables" => Self::ListGlobalTables,
            "ExportTableToPointInTime" => Self::ExportTableToPointInTime,
            "DescribeExport" => Self::DescribeExport,
            "ListExports" => Self::ListExports,
            "ImportTable" => Self::ImportTable,
            "DescribeImport" => Self::DescribeImport,
            "ListImports" => Self::ListImports,
            "EnableKinesisStreamingDestination" => Self::EnableKinesisStreamingDestination,
            "DisableKinesisStreamingDestination" => Self::DisableKinesisStreamingDestination,
            "UpdateKinesisStreamingDestination" => Self::UpdateKinesisStreamingDestination,
            "ListContributorInsights" => Self::ListContributorInsights,
            "CreateBackup" => Self::CreateBackup,
            "DescribeBackup" => Self::DescribeBackup,
            "ListBackups" => Self::ListBackups,
            "DeleteBackup" => Self::DeleteBackup,
            "RestoreTableFromBackup" => Self::RestoreTableFromBackup,
            "RestoreTableToPointInTime" => Self::RestoreTableToPointInTime,
            "PutItem" => Self::PutItem,
            "GetItem" => Self::GetItem,
            "UpdateItem" => Self::UpdateItem,
            "DeleteItem" => Self::DeleteItem,
            "Query" => Self::Query,
            "Scan" => Self::Scan,
            "BatchGetItem" => Self::BatchGetItem,
            "BatchWriteItem" => Self::BatchWriteItem,
            "TransactWriteItems" => Self::TransactWriteItems,
            "UpdateTimeToLive" => Self::UpdateTimeToLive,
            "DescribeTimeToLive" => Self::DescribeTimeToLive,
            "TransactGetItems" => Self::TransactGetItems,
            "ExecuteStatement" => Self::ExecuteStatement,
            "BatchExecuteStatement" => Self::BatchExecuteStatement,
            "ExecuteTransaction" => Self::ExecuteTransaction,
            _ => return None,
        })
    }

    /// Whether the operation's engine work can take long enough (batches of up to 100 items,
    /// transactions, PartiQL statements that scan, table definitions) to hold up a runtime
    /// worker's other connections; such calls run on the blocking pool. Single-item calls,
    /// small descriptions, and one page of Query, Scan or GetRecords (1 MB at most) run in
    /// place: measured, handing a Query to the pool cost a third of its throughput (32.4k ->
    /// 21.5k ops/s in memory) and each pool thread's allocator arena.
    pub fn may_take_long(self) -> bool {
        !matches!(
            self,
            Self::GetItem
                | Self::Query
                | Self::Scan
                | Self::GetRecords
                | Self::ListStreams
                | Self::DescribeStream
                | Self::PutItem
                | Self::UpdateItem
                | Self::DeleteItem
                | Self::DescribeTable
                | Self::ListTables
                | Self::ListTagsOfResource
                | Self::DescribeEndpoints
                | Self::DescribeLimits
                | Self::DescribeTimeToLive
                | Self::DescribeContinuousBackups
                | Self::DescribeContributorInsights
                | Self::DescribeKinesisStreamingDestination
                | Self::DescribeBackup
                | Self::GetResourcePolicy
                | Self::DescribeTableReplicaAutoScaling
                | Self::DescribeGlobalTable
                | Self::DescribeGlobalTableSettings
                | Self::ListGlobalTables
                | Self::DescribeExport
                | Self::ListExports
                | Self::DescribeImport
                | Self::ListImports
                | Self::ListContributorInsights
                | Self::ListBackups
                | Self::GetShardIterator
        )
    }

    /// Whether the operation never writes: it then never waits for a disk sync.
    pub fn is_read_only(self) -> bool {
        matches!(
            self,
            Self::DescribeTable
                | Self::ListTables
                | Self::ListTagsOfResource
                | Self::DescribeEndpoints
                | Self::DescribeLimits
                | Self::GetItem
                | Self::Query
                | Self::Scan
                | Self::BatchGetItem
                | Self::TransactGetItems
                | Self::DescribeTimeToLive
                | Self::DescribeContinuousBackups
                | Self::DescribeContributorInsights
                | Self::DescribeKinesisStreamingDestination
                | Self::DescribeBackup
                | Self::GetResourcePolicy
                | Self::DescribeTableReplicaAutoScaling
                | Self::DescribeGlobalTable
                | Self::DescribeGlobalTableSettings
                | Self::ListGlobalTables
                | Self::DescribeExport
                | Self::ListExports
                | Self::DescribeImport
                | Self::ListImports
                | Self::ListContributorInsights
                | Self::ListBackups
                | Self::ListStreams
                | Self::DescribeStream
                | Self::GetShardIterator
                | Self::GetRecords
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_route_to_operations() {
        let cases = [
            ("DynamoDB_20120810.PutItem", Some(Operation::PutItem)),
            ("DynamoDB_20120810.Query", Some(Operation::Query)),
            (
                "DynamoDB_20120810.BatchWriteItem",
                Some(Operation::BatchWriteItem),
            ),
            (
                "DynamoDB_20120810.ExecuteStatement",
                Some(Operation::ExecuteStatement),
            ),
            (
                "DynamoDB_20120810.BatchExecuteStatement",
                Some(Operation::BatchExecuteStatement),
            ),
            (
                "DynamoDB_20120810.ExecuteTransaction",
                Some(Operation::ExecuteTransaction),
            ),
            ("DynamoDB_20120810.Nope", None),
            (
                "DynamoDBStreams_20120810.GetRecords",
                Some(Operation::GetRecords),
            ),
            (
                "DynamoDBStreams_20120810.ListStreams",
                Some(Operation::ListStreams),
            ),
            ("DynamoDBStreams_20120810.PutItem", None),
            ("DynamoDB_20120810.GetRecords", None),
            ("DynamoDB_20111205.PutItem", None),
            ("PutItem", None),
            ("", None),
        ];
        for (target, expected) in cases {
            assert_eq!(Operation::from_target(target), expected, "{target}");
        }
    }
}
