//! Why the engine refuses a request (every ValidationException it raises), one variant per
//! reason. `Display` is DynamoDB's message, word for word; callers branch on the variant, never
//! on the text.

use eddy_types::AttrType;

use crate::model::schema::ScalarType;

/// DynamoDB's prefix for most parameter checks.
const PARAM: &str = "One or more parameter values were invalid:";

/// `string` or `binary`, as the empty-key messages name a key's type.
fn empty_kind(ty: ScalarType) -> &'static str {
    if ty == ScalarType::S {
        "string"
    } else {
        "binary"
    }
}

/// A request the engine refuses (ValidationException).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    // Keys of items and Key parameters.
    /// A Key (or ExclusiveStartKey) lacks a key attribute, has another, or has one of the wrong
    /// type.
    #[error("The provided key element does not match the schema")]
    KeyMismatch,
    /// A full item lacks a key attribute.
    #[error("{PARAM} Missing the key {attribute} in the item")]
    MissingKey {
        /// The key attribute.
        attribute: String,
    },
    /// A full item's key attribute has the wrong type.
    #[error("{PARAM} Type mismatch for key {attribute} expected: {} actual: {}", expected.as_str(), actual.as_str())]
    KeyType {
        /// The key attribute.
        attribute: String,
        /// The schema's type.
        expected: ScalarType,
        /// The item's type.
        actual: AttrType,
    },
    /// A full item's key attribute is an empty string or binary (PutItem's wording).
    #[error("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {} value. Key: {attribute}", empty_kind(*ty))]
    EmptyItemKey {
        /// The key attribute.
        attribute: String,
        /// Its type.
        ty: ScalarType,
    },
    /// A Key parameter's attribute is an empty string or binary.
    #[error("{PARAM} The AttributeValue for a key attribute cannot contain an empty {} value. Key: {attribute}", empty_kind(*ty))]
    EmptyKey {
        /// The key attribute.
        attribute: String,
        /// Its type.
        ty: ScalarType,
    },
    /// A partition key value over 2048 bytes.
    #[error("{PARAM} Size of hashkey has exceeded the maximum size limit of{max} bytes")]
    HashKeyTooLarge {
        /// The limit.
        max: usize,
    },
    /// A sort key value over 1024 bytes.
    #[error("{PARAM} Aggregated size of all range keys has exceeded the size limit of {max} bytes")]
    RangeKeyTooLarge {
        /// The limit.
        max: usize,
    },

    // Items and updates.
    /// An item over 400 KB.
    #[error("Item size has exceeded the maximum allowed size")]
    ItemTooLarge,
    /// An update whose result would be over 400 KB.
    #[error("Item size to update has exceeded the maximum allowed size")]
    UpdatedItemTooLarge,
    /// An update expression reaches into a key attribute with a document path.
    #[error(
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: {attribute}"
    )]
    NestedKeyPath {
        /// The key attribute.
        attribute: String,
    },
    /// An update changes a key attribute.
    #[error("{PARAM} Cannot update attribute {attribute}. This attribute is part of the key")]
    KeyAttributeUpdated {
        /// The key attribute.
        attribute: String,
    },
    /// A batch names one key twice.
    #[error("Provided list of item keys contains duplicates")]
    DuplicateBatchKeys,
    /// The items a transaction puts are over 4 MB together.
    #[error("Transaction request size exceeded the maximum allowed size of 4 MB")]
    TransactionTooLarge,
    /// A PartiQL EXISTS outside ExecuteTransaction.
    #[error("EXISTS can only be used in ExecuteTransaction write requests.")]
    ExistsOutsideTransaction,
    /// A transaction acts on one item twice.
    #[error("Transaction request cannot include multiple operations on one item")]
    TransactionItemRepeated,

    // Secondary index keys of written items.
    /// An item's index key attribute has the wrong type.
    #[error("{PARAM} Type mismatch for Index Key {attribute} Expected: {} Actual: {} IndexName: {index}", expected.as_str(), actual.as_str())]
    IndexKeyType {
        /// The key attribute.
        attribute: String,
        /// The index's type.
        expected: ScalarType,
        /// The item's type.
        actual: AttrType,
        /// The index.
        index: String,
    },
    /// An item's index key attribute is an empty string or binary.
    #[error("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {index}, IndexKey: {attribute}", empty_kind(*ty))]
    EmptyIndexKey {
        /// The key attribute.
        attribute: String,
        /// Its type.
        ty: ScalarType,
        /// The index.
        index: String,
    },
    /// An item's index key value is over its limit.
    #[error(
        "{PARAM} Size limit exceeded for Index Key {attribute} Actual Size: {actual} bytes Max Size: {max} bytes IndexName: {index}"
    )]
    IndexKeyTooLarge {
        /// The key attribute.
        attribute: String,
        /// The index.
        index: String,
        /// The value's size.
        actual: usize,
        /// The limit.
        max: usize,
    },

    // Reads.
    /// IndexName names no index of the table.
    #[error("The table does not have the specified index: {index}")]
    NoSuchIndex {
        /// The name asked for.
        index: String,
    },
    /// A read of a GSI still backfilling.
    #[error("Cannot read from backfilling global secondary index")]
    IndexBackfilling,
    /// ConsistentRead on a GSI.
    #[error("Consistent reads are not supported on global secondary indexes")]
    ConsistentReadOnGsi,
    /// Select ALL_ATTRIBUTES on a GSI that does not project everything.
    #[error(
        "{PARAM} Select type ALL_ATTRIBUTES is not supported for global secondary index {index} because its projection type is not ALL"
    )]
    AllAttributesOnPartialGsi {
        /// The index.
        index: String,
    },
    /// A read of a global index asks for attributes the index does not hold.
    #[error("{PARAM} Global secondary index {index} does not project [{}]", attributes.join(", "))]
    NotProjected {
        /// The index.
        index: String,
        /// The attributes asked for and missing.
        attributes: Vec<String>,
    },
    /// A key condition's value has another type than the key.
    #[error("{PARAM} Condition parameter type does not match schema type")]
    KeyConditionType,
    /// A Query's ExclusiveStartKey is in another partition.
    #[error("The provided starting key is outside query boundaries based on provided conditions")]
    StartKeyOutsideQuery,
    /// A Query's ExclusiveStartKey has a sort key its range condition excludes.
    #[error("The provided starting key does not match the range key predicate")]
    StartKeyOutsideRange,
    /// A Query of a table without a sort key was given an ExclusiveStartKey.
    #[error("The provided exclusive start key is invalid: ExclusiveStartKey: {key}")]
    StartKeyWithoutSortKey {
        /// The key, as DynamoDB prints it.
        key: String,
    },
    /// A parallel Scan's ExclusiveStartKey belongs to another segment.
    #[error(
        "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: {total} Segment: {segment}"
    )]
    StartKeyWrongSegment {
        /// TotalSegments.
        total: u32,
        /// Segment.
        segment: u32,
    },
    /// An ExclusiveStartKey that is not a key of the source, with the reason when DynamoDB
    /// gives one.
    #[error("The provided starting key is invalid{}", reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    StartKey {
        /// Why, when the message says.
        reason: Option<Box<Invalid>>,
    },

    // Table definitions.
    /// KeySchema is empty or does not start with the HASH key.
    #[error("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")]
    FirstKeyNotHash,
    /// KeySchema's second element is not the RANGE key.
    #[error("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")]
    SecondKeyNotRange,
    /// UpdateTable gives a new index's key attribute another type than the table defines.
    #[error(
        "{PARAM} Attributes cannot be redefined. Please check that your attribute has the same type as previously defined. Existing schema: {{{attribute}={existing}}} New schema: {{{attribute}={new}}}"
    )]
    AttributeRedefined {
        /// The attribute.
        attribute: String,
        /// Its defined type.
        existing: &'static str,
        /// The type given now.
        new: &'static str,
    },
    /// UpdateTable creates a global index without AttributeDefinitions.
    #[error("{PARAM} AttributeDefinitions is not specified for index: {index}")]
    IndexDefinitionsMissing {
        /// The index.
        index: String,
    },
    /// UpdateTable updates a global index's throughput on an on-demand table.
    #[error(
        "{PARAM} The only Updates for index: {index} when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput"
    )]
    IndexThroughputOnDemand {
        /// The index.
        index: String,
    },
    /// UpdateTable updates or deletes a local index.
    #[error("Cannot {action} an index that is not a GlobalSecondaryIndex: {index}")]
    NotAGlobalIndex {
        /// update or delete.
        action: &'static str,
        /// The index.
        index: String,
    },
    /// UpdateTimeToLive within an hour of the previous change.
    #[error("Time to live has been modified multiple times within a fixed interval")]
    TtlChangedTooOften,
    /// A restore's index override names an index the source table did not have.
    #[error(
        "Invalid Request: Index {index} does not match a secondary index that existed in the source table and cannot be created during the restore operation"
    )]
    RestoreUnknownIndex {
        /// The index.
        index: String,
    },
    /// A multi-attribute KeySchema names a RANGE element before a HASH element.
    #[error("{PARAM} All HASH key attributes must precede RANGE key attributes in the KeySchema")]
    HashAfterRange,
    /// A multi-attribute KeySchema names more than four HASH or four RANGE elements.
    #[error(
        "{PARAM} The KeySchema exceeds the maximum allowed number of {key_type} key attributes"
    )]
    TooManyKeyAttributes {
        /// HASH or RANGE.
        key_type: &'static str,
    },
    /// A multi-attribute KeySchema names one attribute twice.
    #[error("The KeySchema contains multiple key attributes with the same name")]
    RepeatedKeyAttribute,
    /// A KeySchema names an attribute that AttributeDefinitions does not define.
    #[error("Invalid KeySchema: Some index key attribute have no definition")]
    KeyAttributeUndefined,
    /// An index's KeySchema names an attribute that AttributeDefinitions does not define.
    #[error("{PARAM} Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]", keys.join(", "), definitions.join(", "))]
    IndexKeyAttributeUndefined {
        /// The index's key attributes.
        keys: Vec<String>,
        /// The defined attributes.
        definitions: Vec<String>,
    },
    /// AttributeDefinitions names one attribute twice.
    #[error("Attribute Name is duplicated: {attribute}")]
    DuplicateAttributeDefinition {
        /// The attribute named again.
        attribute: String,
    },
    /// A table without indexes defines attributes its key does not use.
    #[error(
        "{PARAM} Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"
    )]
    KeySchemaDefinitionCount,
    /// A table with indexes defines attributes no key uses.
    #[error("{PARAM} Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]", definitions.join(", "), used.join(", "))]
    UnusedAttributeDefinitions {
        /// The defined attributes.
        definitions: Vec<String>,
        /// The attributes keys use.
        used: Vec<String>,
    },
    /// More tags than a table may carry.
    #[error("Number of Tags exceed the current limit for the provided ResourceArn")]
    TooManyTags,

    // Secondary index definitions.
    /// An LSI on a table without a sort key.
    #[error(
        "{PARAM} Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"
    )]
    LsiWithoutTableRange,
    /// More LSIs than a table may have.
    #[error("{PARAM} Number of LocalSecondaryIndexes exceeds per-table limit of {max}")]
    TooManyLsis {
        /// The limit.
        max: usize,
    },
    /// More GSIs than a table may have.
    #[error("{PARAM} GlobalSecondaryIndex count exceeds the per-table limit of {max}")]
    TooManyGsis {
        /// The limit.
        max: usize,
    },
    /// Two indexes of one CreateTable share a name.
    #[error("{PARAM} Duplicate index name: {index}")]
    DuplicateIndexName {
        /// The name.
        index: String,
    },
    /// UpdateTable creates an index that exists.
    #[error("Attempting to create an index which already exists")]
    IndexExists,
    /// An LSI whose partition key is not the table's.
    #[error(
        "{PARAM} Index KeySchema does not have the same leading hash key as table KeySchema for index: {index}. index hash key: {index_hash}, table hash key: {table_hash}"
    )]
    LsiHashKeyDiffers {
        /// The index.
        index: String,
        /// Its partition key.
        index_hash: String,
        /// The table's.
        table_hash: String,
    },
    /// An LSI without a sort key.
    #[error("{PARAM} Index KeySchema for local secondary index {index} must have a range key")]
    LsiWithoutRange {
        /// The index.
        index: String,
    },
    /// NonKeyAttributes names an attribute twice.
    #[error("{PARAM} Duplicate element in NonKeyAttributes: {attribute}")]
    DuplicateNonKeyAttribute {
        /// The attribute.
        attribute: String,
    },
    /// An index KeySchema names one attribute as both its partition and sort key.
    #[error("Both the Hash Key and the Range Key element in the KeySchema have the same name")]
    IndexKeySameName,
    /// INCLUDE without NonKeyAttributes.
    #[error("{PARAM} ProjectionType is INCLUDE, but NonKeyAttributes is not specified")]
    IncludeWithoutAttributes,
    /// NonKeyAttributes with ALL or KEYS_ONLY.
    #[error("{PARAM} ProjectionType is {projection_type}, but NonKeyAttributes is specified")]
    AttributesWithoutInclude {
        /// ALL or KEYS_ONLY.
        projection_type: &'static str,
    },
    /// A provisioned table's GSI without ProvisionedThroughput.
    #[error("{PARAM} ProvisionedThroughput must be specified for index: {index}")]
    IndexThroughputMissing {
        /// The index.
        index: String,
    },
    /// An on-demand table's GSI with ProvisionedThroughput.
    #[error(
        "{PARAM} ProvisionedThroughput should not be specified for index: {index} when BillingMode is PAY_PER_REQUEST"
    )]
    IndexThroughputForbidden {
        /// The index.
        index: String,
    },

    // Capacity and table updates.
    /// Capacity given with PAY_PER_REQUEST.
    #[error(
        "{PARAM} Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
    )]
    ThroughputWithPayPerRequest,
    /// PROVISIONED without capacity.
    #[error(
        "{PARAM} ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
    )]
    ThroughputMissing,
    /// A capacity below 1.
    #[error("{PARAM} {unit} must be greater than 0.")]
    ThroughputNotPositive {
        /// ReadCapacityUnits or WriteCapacityUnits.
        unit: &'static str,
    },
    /// UpdateTable asks for the capacity the table has.
    #[error(
        "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {current_read}. Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned for the table: {current_write}. Requested WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."
    )]
    ThroughputUnchanged {
        /// Current read capacity.
        current_read: i64,
        /// Requested read capacity.
        read: i64,
        /// Current write capacity.
        current_write: i64,
        /// Requested write capacity.
        write: i64,
    },
    /// UpdateTable with nothing to change.
    #[error(
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required"
    )]
    NothingToUpdate,
    /// Enabling a stream on a table that has one.
    #[error("Table already has an enabled stream: TableName: {table}")]
    StreamAlreadyEnabled {
        /// The table.
        table: String,
    },
    /// Disabling a stream on a table without one.
    #[error("Table has no stream to disable: TableName: {table}")]
    NoStreamToDisable {
        /// The table.
        table: String,
    },
    /// DeleteTable of a protected table.
    #[error(
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first. Table: {arn}"
    )]
    DeletionProtected {
        /// The table's ARN.
        arn: String,
    },
    /// A resource call's ARN does not start with `arn:`.
    #[error("{PARAM} ARNs must start with 'arn:': {arn}")]
    NotAnArn {
        /// What was given.
        arn: String,
    },
    /// A resource call's ARN is not a DynamoDB resource's.
    #[error("{PARAM} Provided Arn is not a DynamoDB resource arn: {arn}")]
    NotADynamoDbArn {
        /// What was given.
        arn: String,
    },
    /// A resource call's ARN names an index (or another part of a table).
    #[error(
        "{PARAM} Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}"
    )]
    NotTableOrStreamArn {
        /// What was given.
        arn: String,
    },
    /// A policy document over the size limit.
    #[error("{PARAM} Maximum policy size of {max} bytes exceeded")]
    PolicyTooLarge {
        /// The limit.
        max: usize,
    },
    /// A policy document DynamoDB cannot read.
    #[error("{PARAM} Invalid policy document: {problem}")]
    PolicyDocument {
        /// Why.
        problem: &'static str,
    },
    /// A resource-policy call's ARN is of another region or partition.
    #[error("{PARAM} Invalid resource Arn: {arn}")]
    ForeignResourceArn {
        /// What was given.
        arn: String,
    },
    /// A tag call's ARN is not an ARN.
    #[error("Invalid TableArn: Invalid ResourceArn provided as input {arn}")]
    InvalidTableArn {
        /// What was given.
        arn: String,
    },

    // Time to live.
    /// Enabling TTL on another attribute than the active one.
    #[error(
        "TimeToLive is active on a different AttributeName: current AttributeName is {current}"
    )]
    TtlOnOtherAttribute {
        /// The active attribute.
        current: String,
    },
    /// Enabling TTL that is enabled.
    #[error("TimeToLive is already enabled")]
    TtlAlreadyEnabled,
    /// Disabling TTL that is disabled.
    #[error("TimeToLive is already disabled")]
    TtlAlreadyDisabled,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_dynamodbs() {
        assert_eq!(
            Invalid::KeyType {
                attribute: "pk".into(),
                expected: ScalarType::S,
                actual: AttrType::N,
            }
            .to_string(),
            "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
        );
        assert_eq!(
            Invalid::HashKeyTooLarge { max: 2048 }.to_string(),
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
        );
        assert_eq!(
            Invalid::StartKey { reason: None }.to_string(),
            "The provided starting key is invalid"
        );
        assert_eq!(
            Invalid::StartKey {
                reason: Some(Box::new(Invalid::KeyMismatch))
            }
            .to_string(),
            "The provided starting key is invalid: The provided key element does not match the schema"
        );
        assert_eq!(
            Invalid::EmptyIndexKey {
                attribute: "g".into(),
                ty: ScalarType::B,
                index: "i".into(),
            }
            .to_string(),
            "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty binary value. IndexName: i, IndexKey: g"
        );
    }
}
