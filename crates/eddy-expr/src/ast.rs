//! The syntax tree: expressions exactly as written, with placeholders unresolved and borrowed
//! from the request text. `Display` prints canonical text (upper-case keywords, single spaces,
//! the parentheses that were written), which parses back to an equal tree.

use std::fmt;

/// One step of a document path as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step<'s> {
    /// A literal attribute name.
    Name(&'s str),
    /// A `#name` placeholder.
    NameRef(&'s str),
    /// A list index, as written.
    Index(&'s str),
}

/// A document path as written: a name or `#name`, then `.name` and `[index]` steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DocPath<'s> {
    pub(crate) steps: Vec<Step<'s>>,
}

/// A function call: `name(arg, ...)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Call<'s> {
    pub(crate) name: &'s str,
    pub(crate) args: Vec<Operand<'s>>,
}

/// Something that has a value: a path, a `:value`, a function call or one of those in
/// parentheses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Operand<'s> {
    Path(DocPath<'s>),
    Value(&'s str),
    Call(Call<'s>),
    Paren(Box<Operand<'s>>),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparator {
    /// The operator as DynamoDB writes it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ne => "<>",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }
}

/// A condition (ConditionExpression, FilterExpression, KeyConditionExpression).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CondExpr<'s> {
    Compare {
        op: Comparator,
        left: Operand<'s>,
        right: Operand<'s>,
    },
    Between {
        subject: Operand<'s>,
        low: Operand<'s>,
        high: Operand<'s>,
    },
    In {
        subject: Operand<'s>,
        candidates: Vec<Operand<'s>>,
    },
    /// A function used as a condition (`attribute_exists(a)`).
    Call(Call<'s>),
    Not(Box<CondExpr<'s>>),
    And(Box<CondExpr<'s>>, Box<CondExpr<'s>>),
    Or(Box<CondExpr<'s>>, Box<CondExpr<'s>>),
    Paren(Box<CondExpr<'s>>),
}

/// `+` or `-` in a SET action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Plus,
    Minus,
}

impl ArithOp {
    /// The operator as written, which is also its name in messages.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ArithOp::Plus => "+",
            ArithOp::Minus => "-",
        }
    }
}

/// The right-hand side of a SET action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SetValue<'s> {
    Operand(Operand<'s>),
    Arith {
        op: ArithOp,
        left: Operand<'s>,
        right: Operand<'s>,
        /// Written as `(a + b)`.
        parenthesized: bool,
    },
}

/// The four update clauses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClauseKind {
    Set,
    Remove,
    Add,
    Delete,
}

impl ClauseKind {
    /// The keyword, upper case, as messages print it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ClauseKind::Set => "SET",
            ClauseKind::Remove => "REMOVE",
            ClauseKind::Add => "ADD",
            ClauseKind::Delete => "DELETE",
        }
    }
}

/// One action of an update clause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action<'s> {
    Set(DocPath<'s>, SetValue<'s>),
    Remove(DocPath<'s>),
    /// `path :value`.
    Add(DocPath<'s>, &'s str),
    /// `path :value`.
    Delete(DocPath<'s>, &'s str),
}

/// One clause: a keyword and its comma-separated actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Clause<'s> {
    pub(crate) kind: ClauseKind,
    pub(crate) actions: Vec<Action<'s>>,
}

/// An UpdateExpression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UpdateExpr<'s> {
    pub(crate) clauses: Vec<Clause<'s>>,
}

/// A ProjectionExpression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProjectionExpr<'s> {
    pub(crate) paths: Vec<DocPath<'s>>,
}

fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl fmt::Display for DocPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                Step::Name(s) | Step::NameRef(s) if i == 0 => f.write_str(s)?,
                Step::Name(s) | Step::NameRef(s) => write!(f, ".{s}")?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name)?;
        write_list(f, &self.args)?;
        f.write_str(")")
    }
}

impl fmt::Display for Operand<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Path(p) => write!(f, "{p}"),
            Operand::Value(v) => f.write_str(v),
            Operand::Call(c) => write!(f, "{c}"),
            Operand::Paren(inner) => write!(f, "({inner})"),
        }
    }
}

impl fmt::Display for CondExpr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CondExpr::Compare { op, left, right } => write!(f, "{left} {} {right}", op.as_str()),
            CondExpr::Between { subject, low, high } => {
                write!(f, "{subject} BETWEEN {low} AND {high}")
            }
            CondExpr::In {
                subject,
                candidates,
            } => {
                write!(f, "{subject} IN (")?;
                write_list(f, candidates)?;
                f.write_str(")")
            }
            CondExpr::Call(c) => write!(f, "{c}"),
            CondExpr::Not(inner) => write!(f, "NOT {inner}"),
            CondExpr::And(l, r) => write!(f, "{l} AND {r}"),
            CondExpr::Or(l, r) => write!(f, "{l} OR {r}"),
            CondExpr::Paren(inner) => write!(f, "({inner})"),
        }
    }
}

impl fmt::Display for SetValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetValue::Operand(op) => write!(f, "{op}"),
            SetValue::Arith {
                op,
                left,
                right,
                parenthesized,
            } => {
                if *parenthesized {
                    write!(f, "({left} {} {right})", op.as_str())
                } else {
                    write!(f, "{left} {} {right}", op.as_str())
                }
            }
        }
    }
}

impl fmt::Display for Action<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Set(path, value) => write!(f, "{path} = {value}"),
            Action::Remove(path) => write!(f, "{path}"),
            Action::Add(path, value) | Action::Delete(path, value) => write!(f, "{path} {value}"),
        }
    }
}

impl fmt::Display for UpdateExpr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, clause) in self.clauses.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{} ", clause.kind.as_str())?;
            write_list(f, &clause.actions)?;
        }
        Ok(())
    }
}

impl fmt::Display for ProjectionExpr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_list(f, &self.paths)
    }
}
