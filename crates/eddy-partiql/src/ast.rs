//! The statement AST: what a statement means to DynamoDB, after [`crate::translate`] has
//! applied DynamoDB's rules to the parse tree.
//!
//! The types are generic over the value type `V`: [`Literal`] before parameters are bound (a
//! value may still be a `?`), [`AttributeValue`] after. Binding ([`crate::bind`]) maps one to
//! the other, so every shape is defined once.

use eddy_expr::Path;
use eddy_types::{AttributeValue, Item};

use crate::error::Position;

/// A value before binding: a converted literal, a parameter, or a list or map that may hold
/// parameters. Sets never hold parameters (DynamoDB refuses `<<?>>`), so they are converted
/// when parsed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Literal {
    Value(AttributeValue),
    /// The `n`th `?` of the statement, from 0.
    Param(usize),
    List(Vec<Literal>),
    /// Fields in the order written (keys already checked to be distinct).
    Map(Vec<(String, Literal)>),
}

/// The functions DynamoDB's PartiQL knows (besides `set_add`/`set_delete`, which are update
/// actions). Whether one may be used where it is written is left to eddy-expr's validator,
/// which reports DynamoDB's messages for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Function {
    AttributeExists,
    AttributeNotExists,
    AttributeType,
    BeginsWith,
    Contains,
    Size,
    ListAppend,
    IfNotExists,
}

impl Function {
    const ALL: [Function; 8] = [
        Function::AttributeExists,
        Function::AttributeNotExists,
        Function::AttributeType,
        Function::BeginsWith,
        Function::Contains,
        Function::Size,
        Function::ListAppend,
        Function::IfNotExists,
    ];

    /// The function's name as the expression language spells it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Function::AttributeExists => "attribute_exists",
            Function::AttributeNotExists => "attribute_not_exists",
            Function::AttributeType => "attribute_type",
            Function::BeginsWith => "begins_with",
            Function::Contains => "contains",
            Function::Size => "size",
            Function::ListAppend => "list_append",
            Function::IfNotExists => "if_not_exists",
        }
    }

    /// The function called `name` (any case).
    pub(crate) fn lookup(name: &str) -> Option<Function> {
        Function::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    pub(crate) fn from_symbol(symbol: &str) -> Option<CmpOp> {
        Some(match symbol {
            "=" => CmpOp::Eq,
            "<>" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            _ => return None,
        })
    }

    /// The operator with its operands swapped: `1 < a` is `a > 1`.
    pub(crate) fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }
}

/// An operand of a condition or update value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Operand<V> {
    Path(Path),
    Value(V),
    Call(Function, Vec<Operand<V>>),
}

/// A condition (a WHERE clause or part of one).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cond<V> {
    Compare(CmpOp, Operand<V>, Operand<V>),
    Between(Operand<V>, Operand<V>, Operand<V>),
    In(Operand<V>, Vec<Operand<V>>),
    Call(Function, Vec<Operand<V>>),
    Not(Box<Cond<V>>),
    /// Two or more members, none itself an `And`.
    And(Vec<Cond<V>>),
    /// Two or more members, none itself an `Or`.
    Or(Vec<Cond<V>>),
}

/// The right-hand side of a SET.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SetValue<V> {
    Operand(Operand<V>),
    Plus(Operand<V>, Operand<V>),
    Minus(Operand<V>, Operand<V>),
}

/// One action of an UPDATE, in the order written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Action<V> {
    Set(Path, SetValue<V>),
    Remove(Path),
    /// `a = set_add(a, <<...>>)`; the position is the first argument's, where DynamoDB reports
    /// a second argument that is not a set.
    Add(Path, V, Position),
    /// `a = set_delete(a, <<...>>)`.
    Delete(Path, V, Position),
}

/// A WHERE clause.
///
/// It answers the executor's questions: the key of the single item a write (or a transaction
/// read) targets ([`Where::single_item`]), a Query's key condition ([`Where::key_condition`]),
/// and the whole clause as an [`eddy_expr::Condition`] ([`Where::condition`]), so that
/// evaluation follows exactly the rules of condition expressions, as DynamoDB's does.
#[derive(Clone, Debug, PartialEq)]
pub struct Where<V = AttributeValue> {
    pub(crate) root: Cond<V>,
}

/// Which item values a write returns (`RETURNING ...`), under the names of the `ReturnValues`
/// request parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnValues {
    /// `RETURNING ALL OLD *`.
    AllOld,
    /// `RETURNING ALL NEW *`.
    AllNew,
    /// `RETURNING MODIFIED OLD *`.
    UpdatedOld,
    /// `RETURNING MODIFIED NEW *`.
    UpdatedNew,
}

/// One `ORDER BY` item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderBy {
    /// The attribute named (checked against the key by [`Select::scan_forward`]).
    pub attribute: String,
    /// `DESC`.
    pub descending: bool,
}

/// `SELECT projection FROM table[.index] [WHERE ...] [ORDER BY ...]`, or the read inside
/// `EXISTS(...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Select<V = AttributeValue> {
    /// The table name.
    pub table: String,
    /// The index name, for `FROM "table"."index"`.
    pub index: Option<String>,
    /// The select list; `None` for `*`. Paths are distinct by their output names (see
    /// [`Select::project`]).
    pub projection: Option<Vec<Path>>,
    /// The WHERE clause.
    pub filter: Option<Where<V>>,
    /// The ORDER BY items.
    pub order_by: Vec<OrderBy>,
}

/// `INSERT INTO table VALUE {...}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Insert {
    /// The table name.
    pub table: String,
    /// The item to put; the write fails if an item with its key exists.
    pub item: Item,
}

/// `UPDATE table SET ... REMOVE ... WHERE ... [RETURNING ...]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Update<V = AttributeValue> {
    /// The table name.
    pub table: String,
    pub(crate) filter: Option<Where<V>>,
    pub(crate) actions: Vec<Action<V>>,
    /// What the write returns.
    pub returning: Option<ReturnValues>,
}

/// `DELETE FROM table WHERE ... [RETURNING ALL OLD *]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Delete<V = AttributeValue> {
    /// The table name.
    pub table: String,
    pub(crate) filter: Option<Where<V>>,
    /// What the write returns (only [`ReturnValues::AllOld`] is accepted).
    pub returning: Option<ReturnValues>,
}

/// A statement before binding.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Unbound {
    Select(Select<Literal>),
    Insert {
        table: String,
        fields: Vec<(String, Literal)>,
    },
    Update(Update<Literal>),
    Delete(Delete<Literal>),
    Exists(Select<Literal>),
}

/// A statement with its parameters bound, ready to execute.
#[derive(Clone, Debug, PartialEq)]
pub enum BoundStatement {
    /// A read (ExecuteStatement, BatchExecuteStatement, a read-only ExecuteTransaction).
    Select(Select),
    /// A put that fails when the key exists (`DuplicateItem`).
    Insert(Insert),
    /// An update of one item, which must exist (else ConditionalCheckFailed).
    Update(Update),
    /// A delete of one item (deleting a missing item succeeds).
    Delete(Delete),
    /// A condition check in ExecuteTransaction: `EXISTS(SELECT ... WHERE <key> AND <condition>)`.
    Exists(Select),
}
