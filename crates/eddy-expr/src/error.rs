//! The crate's one error type. Each `Display` is the complete message a DynamoDB client reads
//! (without the `1 validation error detected: ` envelope, which the server adds where DynamoDB
//! does). Every variant is a `ValidationException` on the wire.

use std::fmt;

use eddy_types::NumberError;

/// Which request parameter an expression came from; it prefixes parse-time messages:
/// `Invalid <Param>: ...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExprParam {
    /// `ConditionExpression` (PutItem, UpdateItem, DeleteItem, transactions).
    ConditionExpression,
    /// `UpdateExpression` (UpdateItem).
    UpdateExpression,
    /// `KeyConditionExpression` (Query).
    KeyConditionExpression,
    /// `FilterExpression` (Query, Scan).
    FilterExpression,
    /// `ProjectionExpression` (GetItem, Query, Scan, BatchGetItem, TransactGetItems).
    ProjectionExpression,
}

impl ExprParam {
    /// The parameter's name as DynamoDB spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExprParam::ConditionExpression => "ConditionExpression",
            ExprParam::UpdateExpression => "UpdateExpression",
            ExprParam::KeyConditionExpression => "KeyConditionExpression",
            ExprParam::FilterExpression => "FilterExpression",
            ExprParam::ProjectionExpression => "ProjectionExpression",
        }
    }
}

impl fmt::Display for ExprParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is wrong with one expression; printed after `Invalid <Param>: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The text does not follow the grammar. `near` runs from the token before the offending
    /// one to the token after it.
    #[error("Syntax error; token: \"{token}\", near: \"{near}\"")]
    Syntax {
        /// The token where reading stopped, or `<EOF>`.
        token: String,
        /// The surrounding text.
        near: String,
    },
    /// An empty string.
    #[error("The expression can not be empty;")]
    Empty,
    /// More than 4096 bytes; DynamoDB reports the size only for some parameters.
    #[error("Expression size has exceeded the maximum allowed size;{}", size_suffix(*.size))]
    TooLarge {
        /// The size in bytes, when the message states it.
        size: Option<usize>,
    },
    /// More than 300 operators and functions.
    #[error("The expression contains too many operators; operator count: {0}")]
    TooManyOperators(usize),
    /// Parentheses nested deeper than the parser follows. DynamoDB has no such message; an
    /// expression this deep cannot stay within its operator limit without redundant
    /// parentheses, so no valid expression gets it.
    #[error("The expression has too many nesting levels; nesting levels: {0}")]
    TooDeep(usize),
    /// `((...))`.
    #[error("The expression has redundant parentheses;")]
    RedundantParentheses,
    /// A function DynamoDB does not know.
    #[error("Invalid function name; function: {0}")]
    InvalidFunction(String),
    /// A condition function (or `size`) in an update expression.
    #[error("The function is not allowed in an update expression; function: {0}")]
    FunctionNotAllowedInUpdate(String),
    /// An update function in a condition expression.
    #[error("The function is not allowed in a condition expression; function: {0}")]
    FunctionNotAllowedInCondition(String),
    /// A boolean function used as an operand, or `size` used as a condition.
    #[error("The function is not allowed to be used this way in an expression; function: {0}")]
    MisusedFunction(String),
    /// A literal attribute name that is a reserved word.
    #[error("Attribute name is a reserved keyword; reserved keyword: {0}")]
    ReservedKeyword(String),
    /// A list index above 2^31 - 1.
    #[error("List index is not within the allowable range; index: [{0}]")]
    ListIndexOutOfRange(String),
    /// A clause keyword used twice in an update expression.
    #[error("The \"{0}\" section can only be used once in an update expression;")]
    SectionRepeated(&'static str),
    /// A `#name` missing from ExpressionAttributeNames.
    #[error(
        "An expression attribute name used in the document path is not defined; attribute name: {0}"
    )]
    UndefinedName(String),
    /// A `:value` missing from ExpressionAttributeValues.
    #[error(
        "An expression attribute value used in expression is not defined; attribute value: {0}"
    )]
    UndefinedValue(String),
    /// A document path deeper than 32 levels.
    #[error("The document path has too many nesting levels; nesting levels: {0}")]
    PathTooDeep(usize),
    /// A function called with the wrong number of arguments.
    #[error(
        "Incorrect number of operands for operator or function; operator or function: {function}, number of operands: {count}"
    )]
    OperandCount {
        /// The function name as written.
        function: String,
        /// How many arguments it got.
        count: usize,
    },
    /// A function whose first argument must be a document path.
    #[error("Operator or function requires a document path; operator or function: {0}")]
    RequiresPath(String),
    /// The same path on both sides of a comparison or function.
    #[error(
        "The first operand must be distinct from the remaining operands for this operator or function; operator: {operator}, first operand: {path}"
    )]
    NotDistinct {
        /// The operator or function.
        operator: String,
        /// The path, printed as `[a, [1], b]`.
        path: String,
    },
    /// A literal operand whose type the operator or function does not take.
    #[error(
        "Incorrect operand type for operator or function; operator or function: {function}, operand type: {ty}"
    )]
    OperandType {
        /// The operator or function.
        function: String,
        /// The operand's type (`S`, `BOOL`, ...).
        ty: String,
    },
    /// An ADD or DELETE value of a type the action does not take.
    #[error(
        "Incorrect operand type for operator or function; operator: {action}, operand type: {ty}, typeSet: ALLOWED_FOR_{action}_OPERAND"
    )]
    ActionOperandType {
        /// `ADD` or `DELETE`.
        action: &'static str,
        /// The type's long name (`STRING`, `NUMBER`, ...).
        ty: &'static str,
    },
    /// attribute_type's type name is not a DynamoDB type.
    #[error(
        "Invalid attribute type name found; type: {0}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
    )]
    InvalidAttributeType(String),
    /// BETWEEN bounds of different types.
    #[error(
        "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: {low}, upper bound operand: {high}"
    )]
    BetweenTypes {
        /// The lower bound, printed as `AttributeValue: {N:1}`.
        low: String,
        /// The upper bound.
        high: String,
    },
    /// BETWEEN bounds in the wrong order.
    #[error(
        "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: {low}, upper bound operand: {high}"
    )]
    BetweenOrder {
        /// The lower bound, printed as `AttributeValue: {N:1}`.
        low: String,
        /// The upper bound.
        high: String,
    },
    /// IN with more than 100 candidates.
    #[error("The IN operator is provided with too many operands; number of operands: {0}")]
    TooManyInOperands(usize),
    /// One path is a prefix of (or equal to) another.
    #[error(
        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
    )]
    PathsOverlap {
        /// The earlier path, printed as `[a, [1], b]`.
        one: String,
        /// The later path.
        two: String,
    },
    /// Two paths use the same step once as a map key and once as a list index.
    #[error(
        "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
    )]
    PathsConflict {
        /// The earlier path, printed as `[a, [1], b]`.
        one: String,
        /// The later path.
        two: String,
    },
}

fn size_suffix(size: Option<usize>) -> String {
    size.map(|n| format!(" expression size: {n}"))
        .unwrap_or_default()
}

/// Every error of this crate. `Display` is the text the client reads.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExprError {
    /// An expression failed to parse or validate: `Invalid <Param>: <problem>`.
    #[error("Invalid {param}: {problem}")]
    Invalid {
        /// The parameter the expression came from.
        param: ExprParam,
        /// What is wrong with it.
        problem: Problem,
    },
    /// ExpressionAttributeNames entries no expression used (sorted).
    #[error("Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}", .0.join(", "))]
    UnusedNames(Vec<String>),
    /// ExpressionAttributeValues entries no expression used (sorted).
    #[error("Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}", .0.join(", "))]
    UnusedValues(Vec<String>),

    /// A Query without a condition on this key attribute (or with one on a non-key attribute).
    #[error("Query condition missed key schema element: {0}")]
    MissedKeySchemaElement(String),
    /// An operator or function a key condition cannot use (`OR`, `NOT`, `IN`, `<>`,
    /// `attribute_exists`, ...).
    #[error("Invalid operator used in KeyConditionExpression: {0}")]
    InvalidKeyConditionOperator(String),
    /// `size()` in a key condition.
    #[error("KeyConditionExpressions cannot contain nested operations")]
    KeyConditionNestedOperations,
    /// BETWEEN or begins_with whose first operand is not the key attribute.
    #[error(
        "Invalid condition in KeyConditionExpression: {0} operator must have the key attribute as its first operand"
    )]
    KeyAttributeNotFirst(String),
    /// A key condition comparing two attributes.
    #[error(
        "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"
    )]
    MultipleKeyAttributes,
    /// A key condition comparing two values.
    #[error("Invalid condition in KeyConditionExpression: No key attribute specified")]
    NoKeyAttribute,
    /// Two conditions on the same key attribute.
    #[error("KeyConditionExpressions must only contain one condition per key")]
    OneConditionPerKey,
    /// A key condition on a nested path.
    #[error("KeyConditionExpressions cannot have conditions on nested attributes")]
    NestedKeyAttribute,
    /// A key condition the table's key schema cannot serve (a range operator on the partition
    /// key, or two conditions on a table without a sort key).
    #[error("Query key condition not supported")]
    KeyConditionNotSupported,
    /// Zero or more than two key conditions.
    #[error("Conditions can be of length 1 or 2 only")]
    ConditionsLength,
    /// A condition on a later sort-key attribute of a multi-attribute key while an earlier one
    /// has no equality condition.
    #[error(
        "RANGE key attributes {earlier} must have equality conditions specified in the query because a condition is present on key attribute {later}"
    )]
    SortKeyGap {
        /// The earlier sort-key attribute, without an equality.
        earlier: String,
        /// The later sort-key attribute, conditioned.
        later: String,
    },
    /// A legacy KeyConditions operator that cannot use the key order (`NE`, `IN`, `NULL`, ...).
    #[error("Attempted conditional constraint is not an indexable operation")]
    NotIndexable,

    /// A legacy ComparisonOperator with the wrong number of values.
    #[error(
        "One or more parameter values were invalid: Invalid number of argument(s) for the {0} ComparisonOperator"
    )]
    LegacyArgumentCount(String),
    /// A legacy ComparisonOperator given a value type it does not take.
    #[error(
        "One or more parameter values were invalid: ComparisonOperator {operator} is not valid for {ty} AttributeValue type"
    )]
    LegacyOperandType {
        /// The ComparisonOperator.
        operator: String,
        /// The value's type.
        ty: &'static str,
    },
    /// A legacy AttributeValueList mixing types.
    #[error(
        "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"
    )]
    LegacyMixedTypes,
    /// A legacy BETWEEN whose bounds are in the wrong order.
    #[error(
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
    )]
    LegacyBetweenOrder,
    /// A ComparisonOperator, ConditionalOperator or Action outside its enum.
    #[error(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{allowed}]"
    )]
    LegacyEnum {
        /// The value sent.
        value: String,
        /// The member name (`comparisonOperator`, `conditionalOperator`, `action`).
        field: &'static str,
        /// The allowed values, comma-separated.
        allowed: &'static str,
    },
    /// Expected: Exists together with ComparisonOperator.
    #[error(
        "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: {0}"
    )]
    ExpectedExistsWithOperator(String),
    /// Expected: Value together with AttributeValueList.
    #[error(
        "One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: {0}"
    )]
    ExpectedValueWithList(String),
    /// Expected: AttributeValueList without ComparisonOperator.
    #[error(
        "One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: {0}"
    )]
    ExpectedListWithoutOperator(String),
    /// Expected: a ComparisonOperator that needs values but has none.
    #[error(
        "One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: {operator} for Attribute: {attribute}"
    )]
    ExpectedOperatorWithoutValue {
        /// The ComparisonOperator.
        operator: String,
        /// The attribute.
        attribute: String,
    },
    /// Expected: Exists true (or absent) without Value.
    #[error(
        "One or more parameter values were invalid: Value must be provided when Exists is {} for Attribute: {attribute}",
        exists_text(*.exists)
    )]
    ExpectedValueMissing {
        /// Exists as sent (`None` prints `null`).
        exists: Option<bool>,
        /// The attribute.
        attribute: String,
    },
    /// Expected: Exists false with a Value.
    #[error(
        "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: {0}"
    )]
    ExpectedValueWithNotExists(String),
    /// AttributeUpdates: PUT or ADD without a Value.
    #[error(
        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
    )]
    UpdateValueMissing,
    /// AttributeUpdates: DELETE with a value that is not a set.
    #[error(
        "One or more parameter values were invalid: DELETE action with value is not supported for the type {0}"
    )]
    UpdateDeleteType(&'static str),
    /// AttributeUpdates: ADD with a value that is not a number, set or list.
    #[error(
        "One or more parameter values were invalid: ADD action is not supported for the type {0}"
    )]
    UpdateAddType(&'static str),

    /// Runtime: an update operand path that is missing from the item.
    #[error("The provided expression refers to an attribute that does not exist in the item")]
    MissingAttribute,
    /// Runtime: a stored value of the wrong type for `+`, `-`, list_append, ADD or DELETE.
    #[error("An operand in the update expression has an incorrect data type")]
    IncorrectOperandType,
    /// Runtime: an update target whose parent map or list is missing or of another type.
    #[error("The document path provided in the update expression is invalid for update")]
    InvalidUpdatePath,
    /// Runtime: a legacy AttributeUpdates ADD or DELETE on a stored value of another type.
    #[error("Type mismatch for attribute to update")]
    LegacyTypeMismatch,
    /// Runtime: arithmetic left DynamoDB's number range.
    #[error("{0}")]
    Number(NumberError),
}

fn exists_text(exists: Option<bool>) -> &'static str {
    match exists {
        None => "null",
        Some(true) => "true",
        Some(false) => "false",
    }
}

impl ExprError {
    /// True for errors raised while applying an update to a stored item, as opposed to errors
    /// in the request's text (useful for transactions, where the former cancel one action).
    pub fn is_runtime(&self) -> bool {
        matches!(
            self,
            ExprError::MissingAttribute
                | ExprError::IncorrectOperandType
                | ExprError::InvalidUpdatePath
                | ExprError::LegacyTypeMismatch
                | ExprError::Number(_)
        )
    }
}

impl From<NumberError> for ExprError {
    fn from(e: NumberError) -> Self {
        ExprError::Number(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(param: ExprParam, problem: Problem) -> String {
        ExprError::Invalid { param, problem }.to_string()
    }

    #[test]
    fn messages_match_dynamodb() {
        assert_eq!(
            invalid(ExprParam::UpdateExpression, Problem::Empty),
            "Invalid UpdateExpression: The expression can not be empty;"
        );
        assert_eq!(
            invalid(
                ExprParam::UpdateExpression,
                Problem::TooLarge { size: None }
            ),
            "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;"
        );
        assert_eq!(
            invalid(
                ExprParam::FilterExpression,
                Problem::TooLarge { size: Some(5872) }
            ),
            "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 5872"
        );
        assert_eq!(
            invalid(
                ExprParam::UpdateExpression,
                Problem::ActionOperandType {
                    action: "ADD",
                    ty: "STRING"
                }
            ),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"
        );
        assert_eq!(
            invalid(
                ExprParam::ConditionExpression,
                Problem::InvalidAttributeType("X".into())
            ),
            "Invalid ConditionExpression: Invalid attribute type name found; type: X, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
        );
        assert_eq!(
            ExprError::UnusedNames(vec!["#a".into(), "#b".into()]).to_string(),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"
        );
        assert_eq!(
            ExprError::UnusedValues(vec![":unused".into()]).to_string(),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
        );
        assert_eq!(
            ExprError::ExpectedValueMissing {
                exists: None,
                attribute: "a".into()
            }
            .to_string(),
            "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a"
        );
        assert!(ExprError::InvalidUpdatePath.is_runtime());
        assert!(!ExprError::ConditionsLength.is_runtime());
    }
}
