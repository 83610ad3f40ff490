//! Lowering to eddy-expr: a bound condition or update becomes condition- or update-expression
//! text with generated `#n`/`:n` placeholders, which eddy-expr parses, validates and later
//! evaluates or applies. DynamoDB's PartiQL front end does the same (it builds the service's
//! own condition and update trees), so every evaluation rule and validation message is the one
//! the expression language has.
//!
//! Every name and value goes through a placeholder, so reserved words and odd characters need
//! no care, and the text stays short: eddy-expr's limits (4 KB of text, 300 operators, 32
//! levels of nesting) apply to it, which only an unusually large WHERE clause reaches.

use std::collections::HashMap;
use std::fmt::Write;

use eddy_expr::{Condition, ExprParam, Path, PathElement, Placeholders};
use eddy_types::AttributeValue;

use crate::ast::{Action, Cond, Function, Operand, SetValue};
use crate::error::PartiqlError;

/// The condition `c` as eddy-expr's resolved condition.
pub(crate) fn condition(c: &Cond<AttributeValue>) -> Result<Condition, PartiqlError> {
    let mut l = Lowering::default();
    l.cond(c);
    let mut ph = Placeholders::new(Some(&l.names), Some(&l.values));
    eddy_expr::parse_condition(&l.text, ExprParam::ConditionExpression, &mut ph)
        .map_err(PartiqlError::Expression)
}

/// The actions as eddy-expr's resolved update: SETs, then REMOVEs, ADDs and DELETEs, each in
/// the order written (the expression language allows each clause once; the actions of one
/// update are independent of their order, as every operand reads the item as it was).
pub(crate) fn update(
    actions: &[Action<AttributeValue>],
) -> Result<eddy_expr::Update, PartiqlError> {
    let mut l = Lowering::default();
    type Wanted = fn(&Action<AttributeValue>) -> bool;
    let clauses: [(&str, Wanted); 4] = [
        ("SET", |a| matches!(a, Action::Set(..))),
        ("REMOVE", |a| matches!(a, Action::Remove(_))),
        ("ADD", |a| matches!(a, Action::Add(..))),
        ("DELETE", |a| matches!(a, Action::Delete(..))),
    ];
    for (keyword, wanted) in clauses {
        for (i, action) in actions.iter().filter(|a| wanted(a)).enumerate() {
            if i > 0 {
                l.text.push_str(", ");
            } else {
                if !l.text.is_empty() {
                    l.text.push(' ');
                }
                l.text.push_str(keyword);
                l.text.push(' ');
            }
            match action {
                Action::Set(path, value) => {
                    l.path(path);
                    l.text.push_str(" = ");
                    match value {
                        SetValue::Operand(o) => l.operand(o),
                        SetValue::Plus(a, b) => l.binary(a, " + ", b),
                        SetValue::Minus(a, b) => l.binary(a, " - ", b),
                    }
                }
                Action::Remove(path) => l.path(path),
                Action::Add(path, v, _) | Action::Delete(path, v, _) => {
                    l.path(path);
                    l.text.push(' ');
                    l.value(v);
                }
            }
        }
    }
    let mut ph = Placeholders::new(Some(&l.names), Some(&l.values));
    eddy_expr::parse_update(&l.text, &mut ph).map_err(PartiqlError::Expression)
}

/// Expression text under construction, with its placeholders.
#[derive(Default)]
struct Lowering {
    text: String,
    /// `#n` → attribute name.
    names: HashMap<String, String>,
    /// Attribute name → `#n`, so a name repeated uses one placeholder.
    by_name: HashMap<String, String>,
    /// `:n` → value.
    values: HashMap<String, AttributeValue>,
}

impl Lowering {
    fn path(&mut self, path: &Path) {
        for (i, element) in path.0.iter().enumerate() {
            match element {
                PathElement::Attr(name) => {
                    if i > 0 {
                        self.text.push('.');
                    }
                    let next = format!("#{}", self.names.len());
                    let key = self.by_name.entry(name.clone()).or_insert(next).clone();
                    self.names
                        .entry(key.clone())
                        .or_insert_with(|| name.clone());
                    self.text.push_str(&key);
                }
                PathElement::Index(index) => {
                    let _ = write!(self.text, "[{index}]");
                }
            }
        }
    }

    fn value(&mut self, v: &AttributeValue) {
        let key = format!(":{}", self.values.len());
        self.text.push_str(&key);
        self.values.insert(key, v.clone());
    }

    fn operand(&mut self, o: &Operand<AttributeValue>) {
        match o {
            Operand::Path(p) => self.path(p),
            Operand::Value(v) => self.value(v),
            Operand::Call(f, args) => self.call(*f, args),
        }
    }

    fn call(&mut self, f: Function, args: &[Operand<AttributeValue>]) {
        self.text.push_str(f.name());
        self.text.push('(');
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.operand(a);
        }
        self.text.push(')');
    }

    fn binary(&mut self, a: &Operand<AttributeValue>, op: &str, b: &Operand<AttributeValue>) {
        self.operand(a);
        self.text.push_str(op);
        self.operand(b);
    }

    fn cond(&mut self, c: &Cond<AttributeValue>) {
        match c {
            Cond::Compare(op, a, b) => self.binary(a, &format!(" {} ", op.symbol()), b),
            Cond::Between(s, lo, hi) => {
                self.operand(s);
                self.text.push_str(" BETWEEN ");
                self.operand(lo);
                self.text.push_str(" AND ");
                self.operand(hi);
            }
            Cond::In(s, list) => {
                self.operand(s);
                self.text.push_str(" IN (");
                for (i, o) in list.iter().enumerate() {
                    if i > 0 {
                        self.text.push_str(", ");
                    }
                    self.operand(o);
                }
                self.text.push(')');
            }
            Cond::Call(f, args) => self.call(*f, args),
            Cond::Not(inner) => {
                self.text.push_str("NOT ");
                self.grouped(inner, matches!(**inner, Cond::And(_) | Cond::Or(_)));
            }
            Cond::And(members) => {
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        self.text.push_str(" AND ");
                    }
                    self.grouped(m, matches!(m, Cond::Or(_)));
                }
            }
            Cond::Or(members) => {
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        self.text.push_str(" OR ");
                    }
                    self.cond(m);
                }
            }
        }
    }

    /// `c`, in parentheses when `paren`.
    fn grouped(&mut self, c: &Cond<AttributeValue>, paren: bool) {
        if paren {
            self.text.push('(');
        }
        self.cond(c);
        if paren {
            self.text.push(')');
        }
    }
}
