//! Prints the parse tree ([`crate::syntax`]) as canonical PartiQL: upper-case keywords, single
//! spaces, names bare only where the bare word reads back as that name, and exactly the
//! parentheses precedence needs. The text parses back to an equal tree, byte ranges and
//! parameter numbers aside (`print_properties.rs` checks this on random trees).
//!
//! What the tree does not keep is printed in one spelling: `[a, b]` for `(a, b)`, `<>` for
//! `!=`, `."a"` for `['a']`, `NOT a LIKE b` for `a NOT LIKE b`, `[-1]` for a bracketed step
//! that is neither an index, a string nor `*`, and `[0]` for a table reference's index.

use std::fmt::{self, Display, Formatter, Write};

use crate::keywords::keyword;
use crate::parser::{EQUALITY, RELATIONAL, infix_precedence};
use crate::syntax::{DmlOp, Expr, ExprKind, Parsed, Returning, SelectSyntax, Source, Step};

/// Precedence of literals, paths, calls and constructors: nothing binds tighter.
const TERM: u8 = u8::MAX;

/// How tightly an expression binds, on the scale of the parser's precedence loop.
fn precedence(kind: &ExprKind) -> u8 {
    match kind {
        ExprKind::Binary(op, ..) => binary_precedence(op),
        ExprKind::Unary("not", _) => 30,
        ExprKind::Unary(..) => 80,
        ExprKind::In { .. } | ExprKind::Is { .. } => EQUALITY,
        ExprKind::Between { .. } => RELATIONAL,
        ExprKind::Str(_)
        | ExprKind::Num(_)
        | ExprKind::Bool(_)
        | ExprKind::Null
        | ExprKind::Missing
        | ExprKind::Param(_)
        | ExprKind::Path(..)
        | ExprKind::List(_)
        | ExprKind::Bag(_)
        | ExprKind::Tuple(_)
        | ExprKind::Call(..) => TERM,
    }
}

/// The parser's precedence of a binary operator.
fn binary_precedence(op: &str) -> u8 {
    infix_precedence(op).unwrap_or(TERM)
}

/// `e`, in parentheses unless it binds at least as tightly as `min`. Operators group to the
/// left, so a left operand needs the operator's precedence and a right one one more.
fn write_operand(f: &mut Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if precedence(&e.kind) >= min {
        write!(f, "{e}")
    } else {
        write!(f, "({e})")
    }
}

fn write_list(f: &mut Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// `text` between `quote`s, each `quote` in it doubled.
fn write_quoted(f: &mut Formatter<'_>, text: &str, quote: char) -> fmt::Result {
    f.write_char(quote)?;
    for c in text.chars() {
        if c == quote {
            f.write_char(quote)?;
        }
        f.write_char(c)?;
    }
    f.write_char(quote)
}

/// A name: bare when the tokenizer reads the bare word back as this name (a word that is
/// not a keyword), else double-quoted.
fn write_name(f: &mut Formatter<'_>, name: &str) -> fmt::Result {
    let mut bytes = name.bytes();
    let bare = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'$')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        && keyword(name).is_none();
    if bare {
        f.write_str(name)
    } else {
        write_quoted(f, name, '"')
    }
}

/// A type name as `IS` reads it; two canonical names are written as two words.
fn type_name(ty: &str) -> String {
    match ty {
        "double_precision" => "DOUBLE PRECISION".to_owned(),
        "character_varying" => "CHARACTER VARYING".to_owned(),
        other => other.to_ascii_uppercase(),
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Str(s) => write_quoted(f, s, '\''),
            ExprKind::Num(n) => f.write_str(n),
            ExprKind::Bool(true) => f.write_str("TRUE"),
            ExprKind::Bool(false) => f.write_str("FALSE"),
            ExprKind::Null => f.write_str("NULL"),
            ExprKind::Missing => f.write_str("MISSING"),
            ExprKind::Param(_) => f.write_str("?"),
            ExprKind::Path(root, steps) => {
                write_name(f, root)?;
                steps.iter().try_for_each(|step| write!(f, "{step}"))
            }
            ExprKind::List(items) => {
                f.write_str("[")?;
                write_list(f, items)?;
                f.write_str("]")
            }
            ExprKind::Bag(items) => {
                f.write_str("<<")?;
                write_list(f, items)?;
                f.write_str(">>")
            }
            ExprKind::Tuple(fields) => {
                f.write_str("{")?;
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key}: {value}")?;
                }
                f.write_str("}")
            }
            // Keyword names are kept in lower case, which reads back as the same keyword.
            ExprKind::Call(name, args) => {
                write!(f, "{name}(")?;
                write_list(f, args)?;
                f.write_str(")")
            }
            ExprKind::Binary(op, left, right) => {
                let prec = binary_precedence(op);
                write_operand(f, left, prec)?;
                let op = match *op {
                    "and" => "AND",
                    "or" => "OR",
                    "like" => "LIKE",
                    symbol => symbol,
                };
                write!(f, " {op} ")?;
                write_operand(f, right, prec + 1)
            }
            ExprKind::Unary(op, inner) => {
                // A number right after `-` or `+` would read back as one signed number (and
                // `-` before `-1` would start a comment), so it goes in parentheses.
                let sign_before_number = *op != "not" && matches!(inner.kind, ExprKind::Num(_));
                f.write_str(if *op == "not" { "NOT " } else { op })?;
                if sign_before_number {
                    write!(f, "({inner})")
                } else {
                    write_operand(f, inner, precedence(&self.kind) + 1)
                }
            }
            ExprKind::Between {
                subject,
                low,
                high,
                negated,
            } => {
                write_operand(f, subject, RELATIONAL)?;
                f.write_str(if *negated {
                    " NOT BETWEEN "
                } else {
                    " BETWEEN "
                })?;
                write_operand(f, low, RELATIONAL + 1)?;
                f.write_str(" AND ")?;
                write_operand(f, high, RELATIONAL + 1)
            }
            ExprKind::In {
                subject,
                list,
                negated,
            } => {
                write_operand(f, subject, EQUALITY)?;
                f.write_str(if *negated { " NOT IN " } else { " IN " })?;
                write_operand(f, list, EQUALITY + 1)
            }
            ExprKind::Is {
                subject,
                ty,
                negated,
            } => {
                write_operand(f, subject, EQUALITY)?;
                f.write_str(if *negated { " IS NOT " } else { " IS " })?;
                f.write_str(&type_name(ty))
            }
        }
    }
}

impl Display for Step {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Step::Name(name) => {
                f.write_str(".")?;
                write_name(f, name)
            }
            Step::Index(n) => write!(f, "[{n}]"),
            Step::Wildcard => f.write_str("[*]"),
            Step::Unpivot => f.write_str(".*"),
            Step::Other => f.write_str("[-1]"),
        }
    }
}

impl Display for Source {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, (name, ..)) in self.names.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write_name(f, name)?;
        }
        if self.has_index {
            f.write_str("[0]")?;
        }
        Ok(())
    }
}

impl Display for Returning {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let which = if self.modified { "MODIFIED" } else { "ALL" };
        let image = if self.new { "NEW" } else { "OLD" };
        write!(f, " RETURNING {which} {image} *")
    }
}

/// Everything after `SELECT`.
impl Display for SelectSyntax {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.projection {
            None => f.write_str("*")?,
            Some(items) => write_list(f, items)?,
        }
        write!(f, " FROM {}", self.from)?;
        write_filter(f, self.filter.as_ref())?;
        for (i, (item, descending)) in self.order_by.iter().enumerate() {
            f.write_str(if i == 0 { " ORDER BY " } else { ", " })?;
            write!(f, "{item}")?;
            if *descending {
                f.write_str(" DESC")?;
            }
        }
        Ok(())
    }
}

fn write_filter(f: &mut Formatter<'_>, filter: Option<&Expr>) -> fmt::Result {
    match filter {
        Some(filter) => write!(f, " WHERE {filter}"),
        None => Ok(()),
    }
}

fn write_returning(f: &mut Formatter<'_>, returning: Option<&Returning>) -> fmt::Result {
    match returning {
        Some(returning) => write!(f, "{returning}"),
        None => Ok(()),
    }
}

/// SET and REMOVE clauses, a run of operations of one kind under one keyword. The parser
/// reads targets and values above `=`'s precedence.
fn write_ops(f: &mut Formatter<'_>, ops: &[DmlOp]) -> fmt::Result {
    let mut previous_is_set = None;
    for op in ops {
        let is_set = matches!(op, DmlOp::Set(..));
        f.write_str(match previous_is_set {
            Some(previous) if previous == is_set => ", ",
            _ if is_set => " SET ",
            _ => " REMOVE ",
        })?;
        previous_is_set = Some(is_set);
        match op {
            DmlOp::Set(target, value) => {
                write_operand(f, target, EQUALITY + 1)?;
                f.write_str(" = ")?;
                write_operand(f, value, EQUALITY + 1)?;
            }
            DmlOp::Remove(target) => write_operand(f, target, EQUALITY + 1)?,
        }
    }
    Ok(())
}

impl Display for Parsed {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Parsed::Select(select) => write!(f, "SELECT {select}"),
            Parsed::Insert {
                target,
                value,
                returning,
            } => {
                write!(f, "INSERT INTO {target} VALUE {value}")?;
                write_returning(f, returning.as_ref())
            }
            Parsed::Update {
                target,
                ops,
                filter,
                returning,
            } => {
                write!(f, "UPDATE {target}")?;
                write_ops(f, ops)?;
                write_filter(f, filter.as_ref())?;
                write_returning(f, returning.as_ref())
            }
            Parsed::Delete {
                target,
                filter,
                returning,
            } => {
                write!(f, "DELETE FROM {target}")?;
                write_filter(f, filter.as_ref())?;
                write_returning(f, returning.as_ref())
            }
            Parsed::Exists(select) => write!(f, "EXISTS(SELECT {select})"),
        }
    }
}
