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

/// Every DynamoDB operation, in the order `from_target` tries them.
const DYNAMODB_OPERATIONS: &[Operation] = &[
    Operation::CreateTable,
    Operation::DescribeTable,
    Operation::ListTables,
    Operation::UpdateTable,
    Operation::DeleteTable,
    Operation::TagResource,
    Operation::UntagResource,
    Operation::ListTagsOfResource,
    Operation::DescribeEndpoints,
    Operation::DescribeLimits,
    Operation::DescribeContinuousBackups,
    Operation::UpdateContinuousBackups,
    Operation::DescribeContributorInsights,
    Operation::UpdateContributorInsights,
    Operation::DescribeKinesisStreamingDestination,
    Operation::PutResourcePolicy,
    Operation::GetResourcePolicy,
    Operation::DeleteResourcePolicy,
    Operation::DescribeTableReplicaAutoScaling,
    Operation::UpdateTableReplicaAutoScaling,
    Operation::CreateGlobalTable,
    Operation::UpdateGlobalTable,
    Operation::DescribeGlobalTable,
    Operation::DescribeGlobalTableSettings,
    Operation::UpdateGlobalTableSettings,
    Operation::ListGlobalTables,
    Operation::ExportTableToPointInTime,
    Operation::DescribeExport,
    Operation::ListExports,
    Operation::ImportTable,
    Operation::DescribeImport,
    Operation::ListImports,
    Operation::EnableKinesisStreamingDestination,
    Operation::DisableKinesisStreamingDestination,
    Operation::UpdateKinesisStreamingDestination,
    Operation::ListContributorInsights,
    Operation::CreateBackup,
    Operation::DescribeBackup,
    Operation::ListBackups,
    Operation::DeleteBackup,
    Operation::RestoreTableFromBackup,
    Operation::RestoreTableToPointInTime,
    Operation::PutItem,
    Operation::GetItem,
    Operation::UpdateItem,
    Operation::DeleteItem,
    Operation::Query,
    Operation::Scan,
    Operation::BatchGetItem,
    Operation::BatchWriteItem,
    Operation::TransactWriteItems,
    Operation::UpdateTimeToLive,
    Operation::DescribeTimeToLive,
    Operation::TransactGetItems,
    Operation::ExecuteStatement,
    Operation::BatchExecuteStatement,
    Operation::ExecuteTransaction,
];

/// Every DynamoDB Streams operation.
const STREAMS_OPERATIONS: &[Operation] = &[
    Operation::ListStreams,
    Operation::DescribeStream,
    Operation::GetShardIterator,
    Operation::GetRecords,
];

/// Each operation's name, in the enum's order (`Operation::name` indexes it); the test below
/// checks it against the variants' own names.
const NAMES: [&str; 61] = [
    "CreateTable",
    "DescribeTable",
    "ListTables",
    "UpdateTable",
    "DeleteTable",
    "TagResource",
    "UntagResource",
    "ListTagsOfResource",
    "DescribeEndpoints",
    "DescribeLimits",
    "DescribeContinuousBackups",
    "UpdateContinuousBackups",
    "DescribeContributorInsights",
    "UpdateContributorInsights",
    "CreateBackup",
    "DescribeBackup",
    "ListBackups",
    "DeleteBackup",
    "RestoreTableFromBackup",
    "RestoreTableToPointInTime",
    "PutResourcePolicy",
    "GetResourcePolicy",
    "DeleteResourcePolicy",
    "DescribeTableReplicaAutoScaling",
    "UpdateTableReplicaAutoScaling",
    "CreateGlobalTable",
    "UpdateGlobalTable",
    "DescribeGlobalTable",
    "DescribeGlobalTableSettings",
    "UpdateGlobalTableSettings",
    "ListGlobalTables",
    "ExportTableToPointInTime",
    "DescribeExport",
    "ListExports",
    "ImportTable",
    "DescribeImport",
    "ListImports",
    "EnableKinesisStreamingDestination",
    "DisableKinesisStreamingDestination",
    "UpdateKinesisStreamingDestination",
    "ListContributorInsights",
    "DescribeKinesisStreamingDestination",
    "PutItem",
    "GetItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "UpdateTimeToLive",
    "DescribeTimeToLive",
    "TransactWriteItems",
    "TransactGetItems",
    "ExecuteStatement",
    "BatchExecuteStatement",
    "ExecuteTransaction",
    "ListStreams",
    "DescribeStream",
    "GetShardIterator",
    "GetRecords",
];

impl Operation {
    /// Parses an `X-Amz-Target` header value; None for an unknown service or operation.
    pub fn from_target(target: &str) -> Option<Self> {
        if let Some(op) = target.strip_prefix(STREAMS_PREFIX) {
            return STREAMS_OPERATIONS.iter().copied().find(|o| o.name() == op);
        }
        let op = target.strip_prefix(DYNAMODB_PREFIX)?;
        DYNAMODB_OPERATIONS.iter().copied().find(|o| o.name() == op)
    }

    /// The operation of this name in either API (`PutItem`, `GetRecords`).
    pub fn from_name(name: &str) -> Option<Self> {
        DYNAMODB_OPERATIONS
            .iter()
            .chain(STREAMS_OPERATIONS)
            .copied()
            .find(|o| o.name() == name)
    }

    /// The operation's name, as its target and CloudWatch spell it.
    pub fn name(self) -> &'static str {
        NAMES[self as usize]
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

    #[test]
    fn every_operation_has_its_own_name() {
        let all: Vec<Operation> = DYNAMODB_OPERATIONS
            .iter()
            .chain(STREAMS_OPERATIONS)
            .copied()
            .collect();
        assert_eq!(all.len(), NAMES.len());
        for op in all {
            assert_eq!(op.name(), format!("{op:?}"));
            assert_eq!(Operation::from_name(op.name()), Some(op));
        }
    }
}
