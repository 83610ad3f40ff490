//! The parse tree: what PartiQL's grammar reads, before DynamoDB's rules decide what it means.
//! The parser ([`crate::parser`]) builds it; [`crate::translate`] turns it into the statement
//! AST, reporting DynamoDB's validation messages. Keeping the two apart gives DynamoDB's error
//! order: every syntax error before any validation error.

/// An expression with its byte range in the statement.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Expr {
    pub(crate) kind: ExprKind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// What an expression is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ExprKind {
    /// `'text'`.
    Str(String),
    /// A number as written, with a leading `-` when negated (`-1.5`).
    Num(String),
    /// `true` / `false`.
    Bool(bool),
    /// `NULL`.
    Null,
    /// `MISSING`.
    Missing,
    /// The `n`th `?` of the statement, from 0.
    Param(usize),
    /// A name (bare or quoted) followed by path steps: `a`, `"a".b[1]`.
    Path(String, Vec<Step>),
    /// `[a, b]`, or `(a, b)` with at least two members.
    List(Vec<Expr>),
    /// `<<a, b>>`.
    Bag(Vec<Expr>),
    /// `{k: v, ...}`.
    Tuple(Vec<(Expr, Expr)>),
    /// `name(args)`; the name as written (keywords in lower case).
    Call(String, Vec<Expr>),
    /// A binary operator: `=`, `<>`, `<`, `<=`, `>`, `>=`, `+`, `-`, `*`, `/`, `%`, `||`,
    /// `and`, `or`, `like`.
    Binary(&'static str, Box<Expr>, Box<Expr>),
    /// `NOT e`, or unary `-e` / `+e` on something other than a number.
    Unary(&'static str, Box<Expr>),
    /// `e [NOT] BETWEEN low AND high`.
    Between {
        subject: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    /// `e [NOT] IN list`.
    In {
        subject: Box<Expr>,
        list: Box<Expr>,
        negated: bool,
    },
    /// `e IS [NOT] type`; the type in lower case (`missing`, `null`, `boolean`, ...).
    Is {
        subject: Box<Expr>,
        ty: &'static str,
        negated: bool,
    },
}

/// One step of a path after its first name.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Step {
    /// `.name`, `."name"` or `['name']`.
    Name(String),
    /// `[n]`, as written.
    Index(String),
    /// `[*]`.
    Wildcard,
    /// `.*`.
    Unpivot,
    /// `[e]` with anything else inside (reported when translated).
    Other,
}

/// A table or index reference: its components with their byte ranges.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Source {
    pub(crate) names: Vec<(String, usize, usize)>,
    /// True when a component is a list index (`"t"[0]`).
    pub(crate) has_index: bool,
}

/// `RETURNING` as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Returning {
    pub(crate) modified: bool,
    pub(crate) new: bool,
}

/// One SET or REMOVE of an update.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum DmlOp {
    Set(Expr, Expr),
    Remove(Expr),
}

/// A whole statement as read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Parsed {
    Select(SelectSyntax),
    Insert {
        target: Source,
        value: Expr,
        returning: Option<Returning>,
    },
    Update {
        target: Source,
        ops: Vec<DmlOp>,
        filter: Option<Expr>,
        returning: Option<Returning>,
    },
    Delete {
        target: Source,
        filter: Option<Expr>,
        returning: Option<Returning>,
    },
    Exists(SelectSyntax),
}

/// A SELECT as read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SelectSyntax {
    /// `None` for `*`.
    pub(crate) projection: Option<Vec<Expr>>,
    pub(crate) from: Source,
    pub(crate) filter: Option<Expr>,
    /// Each ORDER BY item and whether it is descending.
    pub(crate) order_by: Vec<(Expr, bool)>,
}
