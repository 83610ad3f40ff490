//! The crate's one error type. Each `Display` is the complete message a DynamoDB client reads;
//! every variant is a `ValidationException` on the wire (the server maps them).
//!
//! Wording comes from DynamoDB's PartiQL front end as observed from the service and DynamoDB
//! Local; variants whose text is a guess say so.

use std::fmt;

use eddy_expr::ExprError;
use eddy_types::NumberError;

/// Where a token sits in the statement: line and column counted in characters from 1, and its
/// length in characters. DynamoDB appends ` at <line>:<column>:<length>` to some messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column on the line, in characters, from 1.
    pub column: usize,
    /// Length of the token in characters.
    pub length: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.line, self.column, self.length)
    }
}

/// What the PartiQL grammar could not read; printed after `Statement wasn't well formed,
/// can't be processed: `.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    /// A character, string, quoted name, comment or number the lexer cannot read. DynamoDB
    /// prints nothing after the colon for these.
    #[error("")]
    Lexical,
    /// Tokens left over after a complete statement.
    #[error("Unexpected token after expression")]
    TokenAfterExpression,
    /// An expression was expected and the statement ended (or a token that cannot start one
    /// came).
    #[error("Unexpected term")]
    UnexpectedTerm,
    /// An expression was expected and a keyword came.
    #[error("Unexpected keyword")]
    UnexpectedKeyword,
    /// An expression was expected and an operator came.
    #[error("Unexpected operator")]
    UnexpectedOperator,
    /// A specific token was expected and another came.
    #[error("Unexpected token")]
    UnexpectedToken,
    /// AND, OR or a comparison with nothing after it.
    #[error("Missing right-hand side expression of infix operator")]
    MissingRightHandSide,
    /// The statement does not start with SELECT, INSERT, UPDATE, DELETE or EXISTS.
    #[error("Expected data manipulation")]
    ExpectedDataManipulation,
    /// A table name was expected after `DELETE FROM`, `INSERT INTO` or `UPDATE`.
    #[error("Expected identifier for simple path")]
    ExpectedIdentifier,
    /// `IS` followed by a word that is not a type name.
    #[error("Expected type name")]
    ExpectedTypeName,
    /// A keyword after `.` in a path (`m.inner`).
    #[error("Invalid path dot component")]
    InvalidPathDotComponent,
    /// `*` together with other items in a select list. Guessed from PartiQL's parser.
    #[error(
        "Other expressions may not be present in the select list when '*' is used without dot notation."
    )]
    StarNotAlone,
}

/// Every error of this crate. `Display` is the text the client reads.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PartiqlError {
    /// The statement does not follow PartiQL's grammar.
    #[error("Statement wasn't well formed, can't be processed: {0}")]
    Syntax(SyntaxError),
    /// An empty statement, or one longer than 8192 characters. The server adds the `1
    /// validation error detected: ` envelope.
    #[error(
        "Value at 'statement' failed to satisfy constraint: Member must have length {}",
        if *.0 { "less than or equal to 8192" } else { "greater than or equal to 1" }
    )]
    StatementLength(bool),
    /// Nesting deeper than the parser follows. DynamoDB has no such message (guess).
    #[error("Statement wasn't well formed, can't be processed: Too many nesting levels")]
    TooDeep,
    /// Fewer or more `Parameters` than `?` in the statement.
    #[error("Number of parameters in request and statement don't match.")]
    ParameterCount,
    /// A construct DynamoDB's PartiQL refuses; the message is complete, with DynamoDB's `at
    /// <line>:<column>:<length>` suffix where it gives one.
    #[error("{kind}{}", at_suffix(.at))]
    Unsupported {
        /// What is refused.
        kind: Unsupported,
        /// The token it is reported at, when DynamoDB reports one.
        at: Option<Position>,
    },
    /// A number literal outside DynamoDB's range or precision: `<problem> under <path>`.
    #[error("{problem} under {path}")]
    Number {
        /// What is wrong with the number.
        problem: NumberError,
        /// DynamoDB's descriptive path of the value inside the literal: `root`, `root.k`, `root[1]`.
        path: String,
    },
    /// A WHERE clause or update that DynamoDB's expression validator refuses: the condition- and
    /// update-expression messages, without their `Invalid ConditionExpression: ` prefix (the
    /// statement has no such parameter).
    #[error("{}", expression_message(.0))]
    Expression(ExprError),
    /// UPDATE, DELETE or an EXISTS/transaction read without `=` on every key attribute.
    #[error("{0}")]
    Key(KeyError),
}

fn expression_message(e: &ExprError) -> String {
    match e {
        ExprError::Invalid { problem, .. } => problem.to_string(),
        other => other.to_string(),
    }
}

fn at_suffix(at: &Option<Position>) -> String {
    at.map(|p| format!(" at {p}")).unwrap_or_default()
}

/// Constructs DynamoDB's PartiQL refuses. `Display` is the message without position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unsupported {
    /// A table alias (`FROM "t" AS x`) or a projection alias.
    #[error("Aliasing is not supported")]
    Aliasing,
    /// LIMIT, GROUP BY, HAVING, OFFSET or ON CONFLICT.
    #[error("Unsupported clause: {0}")]
    Clause(&'static str),
    /// DISTINCT, CASE, a sub-query and other expression forms DynamoDB cannot translate.
    #[error("Unsupported token in expression: {0}")]
    Token(String),
    /// A function DynamoDB does not know.
    #[error("Unrecognized function: {0}")]
    Function(String),
    /// A select-list item that is not a name or document path.
    #[error("Unexpected path component")]
    PathComponent,
    /// `SELECT VALUE` or `PIVOT`.
    #[error("Select projection doesn't support value or pivot keywords")]
    ValueProjection,
    /// Two select-list items that would return under one name.
    #[error("Duplicate identifiers in select clause: {0}")]
    DuplicateIdentifier(String),
    /// `FROM "t"."i"."x"`.
    #[error("A path may contain at most 2 components in the FROM clause")]
    FromPathTooLong,
    /// A FROM component that is a list index.
    #[error("Invalid list expression in source.")]
    FromListIndex,
    /// `""` as a table, index, attribute or map key name.
    #[error("Path component cannot be an empty string")]
    EmptyPathComponent,
    /// An index on UPDATE or DELETE.
    #[error("This operation is not supported on an index")]
    IndexInWrite,
    /// `INSERT INTO "t"."i"`.
    #[error("FROM clause may only contain a single table name in data manipulation statements")]
    InsertTarget,
    /// A list index above 2^31 - 1.
    #[error("List index is not within the allowable range; index: [{0}]")]
    ListIndex(String),
    /// `a[*]`.
    #[error("Wildcard path component like a[*].b are not supported")]
    WildcardPath,
    /// `a.*`.
    #[error("Unpivot path component like a.*.b are not supported")]
    UnpivotPath,
    /// A path deeper than 32 levels (eddy-expr's message for the same limit).
    #[error("The document path has too many nesting levels; nesting levels: {0}")]
    PathTooDeep(usize),
    /// `MISSING` used as a value.
    #[error("MISSING must be compared using IS operator")]
    MissingLiteral,
    /// `IS` applied to something other than a name, path or literal.
    #[error("The left hand side argument to IS must be a Variable Reference, Literal, or Path")]
    IsOperand,
    /// `IS <type>` with a type DynamoDB has no counterpart for.
    #[error(
        "Unsupported data type for IS operator: {0}. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"
    )]
    IsType(String),
    /// `IS` in a SET value.
    #[error("IS operator is not supported in update expressions")]
    IsInUpdate,
    /// A read of an index inside ExecuteTransaction.
    #[error("Reads on indices are not supported within transactions.")]
    IndexReadInTransaction,
    /// `NOT` applied to a value.
    #[error("The argument to NOT must be a Type or Expression")]
    NotOperand,
    /// `AND`/`OR` applied to a value.
    #[error("The arguments to AND/OR must be Expressions")]
    AndOrOperand,
    /// A WHERE clause that is a value, not a condition.
    #[error("WHERE clause must contain an expression that resolves to a boolean")]
    WhereNotBoolean,
    /// `IN` without a non-empty list on the right.
    #[error(
        "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"
    )]
    InOperator,
    /// An operator a condition cannot use (`+`, `LIKE`, `||`, ...).
    #[error("Unsupported operator in Condition Expression. Operator: {0}")]
    ConditionOperator(String),
    /// An operator an update value cannot use (`*`, `/`, comparisons, ...).
    #[error("Unsupported operator in Update Expression. Operator: {0}")]
    UpdateOperator(String),
    /// A value of a kind DynamoDB cannot store (an INSERT field that is a path or a call).
    #[error("Unsupported data type: {0} under key {1}")]
    DataType(String, String),
    /// `-0.0`.
    #[error("Negative zero decimal is not supported under key {0}")]
    NegativeZero(String),
    /// `<<>>`.
    #[error("Empty bags are not supported")]
    EmptyBag,
    /// A set literal whose members are not all strings or all numbers (or hold a `?`).
    #[error(
        "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"
    )]
    BagMember,
    /// A set literal with a repeated member (members printed as written).
    #[error(
        "One or more parameter values were invalid: Input collection [{0}] contains duplicates."
    )]
    BagDuplicates(String),
    /// A tuple key that is not a string.
    #[error("Tuple keys must be of type String. Actual type: {0} under {1}")]
    TupleKey(String, String),
    /// The same key twice in a tuple.
    #[error("Duplicate keys in tuple. Key: {0} under {1}")]
    DuplicateTupleKey(String, String),
    /// `INSERT ... VALUE` of something other than a tuple.
    #[error(
        "Unsupported format in item expression. Please use struct format {{...}} to express item values for insert statement."
    )]
    InsertFormat,
    /// `INSERT INTO t <<...>>`.
    #[error(
        "Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO tableName VALUE item\" instead"
    )]
    InsertMultiple,
    /// `INSERT ... RETURNING`.
    #[error("RETURNING is not supported in INSERT")]
    ReturningInInsert,
    /// DELETE with a RETURNING other than `ALL OLD *`; holds what was written (`MODIFIED OLD *`).
    #[error(
        "Invalid returning clause: RETURNING {0}. Only RETURNING ALL OLD * is allowed in DELETE statements."
    )]
    ReturningInDelete(String),
    /// `RETURNING ALL NEW` without the `*`.
    #[error("Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause")]
    ReturningStar,
    /// `RETURNING ALL NEW *, ALL OLD *`.
    #[error("Invalid syntax with multiple returning elements in RETURNING clause")]
    ReturningMultiple,
    /// A SET or REMOVE of something other than a path (`SET 1 = 2`).
    #[error("Unrecognized assignment target: {0}")]
    AssignmentTarget(String),
    /// `set_add`/`set_delete` (named `ADD`/`DELETE`) without exactly two arguments.
    #[error("SET_{0} must have exactly two arguments")]
    SetFunctionArity(&'static str),
    /// `x = set_add(y, ...)`.
    #[error("The first argument to SET_{0} must equal the assignment value")]
    SetFunctionTarget(&'static str),
    /// `set_add(x, 'a')`.
    #[error("The second argument to SET_{0} must be a value with type SET")]
    SetFunctionValue(&'static str),
    /// `ORDER BY` without `WHERE`.
    #[error("Must have WHERE clause in the statement when using ORDER BY clause.")]
    OrderByWithoutWhere,
    /// `ORDER BY a.b`, `ORDER BY 1`.
    #[error("Argument to ORDER BY must be of type VariableReference. Type: {0}")]
    OrderByArgument(&'static str),
    /// `ORDER BY` without an equality or IN on the hash key in every branch of the WHERE.
    #[error(
        "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."
    )]
    OrderByWithoutHashKey,
    /// `ORDER BY` an attribute that is not part of the key.
    #[error("Variable reference {0} in ORDER BY clause must be part of the primary key")]
    OrderByNonKey(String),
}

/// What a write (or single-item read) lacks in its WHERE clause.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// UPDATE or DELETE without `key = value` for every key attribute.
    #[error("Where clause does not contain a mandatory equality on all key attributes")]
    Incomplete,
    /// `pk = 'a' AND pk = 'b'` in a write.
    #[error(
        "Multiple conditions on same key {0}. Only single item Update/Insert/Delete are supported"
    )]
    Conflicting(String),
    /// `pk.x = 1` or `pk[0] = 1` where `pk` is a key attribute.
    #[error(
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key {0}"
    )]
    Nested(String),
    /// A SELECT in ExecuteTransaction that is not a single-item read by the whole key.
    #[error(
        "Select statements within ExecuteTransaction must specify the primary key in the where clause."
    )]
    TransactionRead,
    /// A SELECT in BatchExecuteStatement that is not a single-item read by the whole key.
    #[error(
        "Select statements within BatchExecuteStatement must specify the primary key in the where clause."
    )]
    BatchRead,
    /// An INSERT item without a key attribute.
    #[error("Key attribute should be present in the item: Key {0}")]
    Missing(String),
    /// A key value whose type is not the schema's.
    #[error("Key attribute's data type should match its data type in table's schema: Key {0}")]
    Type(String),
    /// EXISTS without the whole key, or without a condition beyond the key.
    #[error("EXISTS() must contain a single item read with additional condition")]
    ConditionCheck,
}

impl From<SyntaxError> for PartiqlError {
    fn from(e: SyntaxError) -> Self {
        PartiqlError::Syntax(e)
    }
}

impl From<KeyError> for PartiqlError {
    fn from(e: KeyError) -> Self {
        PartiqlError::Key(e)
    }
}

impl PartiqlError {
    /// An [`Unsupported`] error without a position.
    pub(crate) fn unsupported(kind: Unsupported) -> Self {
        PartiqlError::Unsupported { kind, at: None }
    }

    /// An [`Unsupported`] error at a token.
    pub(crate) fn unsupported_at(kind: Unsupported, at: Position) -> Self {
        PartiqlError::Unsupported { kind, at: Some(at) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert_eq!(
            PartiqlError::Syntax(SyntaxError::Lexical).to_string(),
            "Statement wasn't well formed, can't be processed: "
        );
        assert_eq!(
            PartiqlError::unsupported_at(
                Unsupported::Function("exists".into()),
                Position {
                    line: 1,
                    column: 5,
                    length: 6
                }
            )
            .to_string(),
            "Unrecognized function: exists at 1:5:6"
        );
        assert_eq!(
            PartiqlError::Number {
                problem: NumberError::Overflow,
                path: "root.x".into()
            }
            .to_string(),
            "Number overflow. Attempting to store a number with magnitude larger than supported range under root.x"
        );
        assert_eq!(
            PartiqlError::StatementLength(true).to_string(),
            "Value at 'statement' failed to satisfy constraint: Member must have length less than or equal to 8192"
        );
    }
}
