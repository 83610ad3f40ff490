//! Parameter binding: every `?` is replaced by the request's `Parameters` value at its
//! position, turning the statement AST over [`Literal`] into one over [`AttributeValue`].

use eddy_types::{AttributeValue, Item};

use crate::ast::{
    Action, BoundStatement, Cond, Delete, Insert, Literal, Operand, Select, SetValue, Unbound,
    Update, Where,
};
use crate::error::{PartiqlError, Unsupported};

/// Binds `params` into `statement`, which holds `expected` parameters.
///
/// DynamoDB Local accepts extra parameters; the service refuses any mismatch, and so does
/// eddy (a mismatch is always a client bug).
pub(crate) fn bind(
    statement: &Unbound,
    expected: usize,
    params: &[AttributeValue],
) -> Result<BoundStatement, PartiqlError> {
    if params.len() != expected {
        return Err(PartiqlError::ParameterCount);
    }
    let b = Binder { params };
    let bound = match statement {
        Unbound::Select(s) => BoundStatement::Select(b.select(s)?),
        Unbound::Exists(s) => BoundStatement::Exists(b.select(s)?),
        Unbound::Insert { table, fields } => BoundStatement::Insert(Insert {
            table: table.clone(),
            item: b.fields(fields)?,
        }),
        Unbound::Update(u) => BoundStatement::Update(Update {
            table: u.table.clone(),
            filter: b.filter(u.filter.as_ref())?,
            actions: u
                .actions
                .iter()
                .map(|a| b.action(a))
                .collect::<Result<_, _>>()?,
            returning: u.returning,
        }),
        Unbound::Delete(d) => BoundStatement::Delete(Delete {
            table: d.table.clone(),
            filter: b.filter(d.filter.as_ref())?,
            returning: d.returning,
        }),
    };
    validate(&bound)?;
    Ok(bound)
}

/// Runs DynamoDB's expression validator over the WHERE clause (the whole of it, key
/// conditions included) and then the update, as DynamoDB's translators do once values are
/// known, so that every validation error surfaces when the statement is bound.
fn validate(statement: &BoundStatement) -> Result<(), PartiqlError> {
    let filter = match statement {
        BoundStatement::Select(s) | BoundStatement::Exists(s) => s.filter.as_ref(),
        BoundStatement::Update(u) => u.filter.as_ref(),
        BoundStatement::Delete(d) => d.filter.as_ref(),
        BoundStatement::Insert(_) => None,
    };
    if let Some(w) = filter {
        w.condition()?;
    }
    if let BoundStatement::Update(u) = statement {
        u.update_expression()?;
    }
    Ok(())
}

struct Binder<'p> {
    params: &'p [AttributeValue],
}

impl Binder<'_> {
    fn value(&self, l: &Literal) -> Result<AttributeValue, PartiqlError> {
        Ok(match l {
            Literal::Value(v) => v.clone(),
            Literal::Param(i) => self
                .params
                .get(*i)
                .cloned()
                .ok_or(PartiqlError::ParameterCount)?,
            Literal::List(items) => AttributeValue::L(
                items
                    .iter()
                    .map(|i| self.value(i))
                    .collect::<Result<_, _>>()?,
            ),
            Literal::Map(fields) => AttributeValue::M(self.fields(fields)?),
        })
    }

    fn fields(&self, fields: &[(String, Literal)]) -> Result<Item, PartiqlError> {
        fields
            .iter()
            .map(|(k, v)| Ok((k.clone(), self.value(v)?)))
            .collect()
    }

    fn operand(&self, o: &Operand<Literal>) -> Result<Operand<AttributeValue>, PartiqlError> {
        Ok(match o {
            Operand::Path(p) => Operand::Path(p.clone()),
            Operand::Value(v) => Operand::Value(self.value(v)?),
            Operand::Call(f, args) => Operand::Call(*f, self.operands(args)?),
        })
    }

    fn operands(
        &self,
        list: &[Operand<Literal>],
    ) -> Result<Vec<Operand<AttributeValue>>, PartiqlError> {
        list.iter().map(|o| self.operand(o)).collect()
    }

    fn cond(&self, c: &Cond<Literal>) -> Result<Cond<AttributeValue>, PartiqlError> {
        Ok(match c {
            Cond::Compare(op, l, r) => Cond::Compare(*op, self.operand(l)?, self.operand(r)?),
            Cond::Between(s, lo, hi) => {
                Cond::Between(self.operand(s)?, self.operand(lo)?, self.operand(hi)?)
            }
            Cond::In(s, list) => Cond::In(self.operand(s)?, self.operands(list)?),
            Cond::Call(f, args) => Cond::Call(*f, self.operands(args)?),
            Cond::Not(inner) => Cond::Not(Box::new(self.cond(inner)?)),
            Cond::And(members) => Cond::And(self.conds(members)?),
            Cond::Or(members) => Cond::Or(self.conds(members)?),
        })
    }

    fn conds(&self, list: &[Cond<Literal>]) -> Result<Vec<Cond<AttributeValue>>, PartiqlError> {
        list.iter().map(|c| self.cond(c)).collect()
    }

    fn filter(
        &self,
        filter: Option<&Where<Literal>>,
    ) -> Result<Option<Where<AttributeValue>>, PartiqlError> {
        filter
            .map(|w| {
                Ok(Where {
                    root: self.cond(&w.root)?,
                })
            })
            .transpose()
    }

    fn select(&self, s: &Select<Literal>) -> Result<Select, PartiqlError> {
        Ok(Select {
            table: s.table.clone(),
            index: s.index.clone(),
            projection: s.projection.clone(),
            filter: self.filter(s.filter.as_ref())?,
            order_by: s.order_by.clone(),
        })
    }

    fn action(&self, a: &Action<Literal>) -> Result<Action<AttributeValue>, PartiqlError> {
        let set = |v: &Literal, kind: &'static str, at| {
            let v = self.value(v)?;
            match v {
                AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) => Ok(v),
                _ => Err(PartiqlError::unsupported_at(
                    Unsupported::SetFunctionValue(kind),
                    at,
                )),
            }
        };
        Ok(match a {
            Action::Set(p, value) => Action::Set(
                p.clone(),
                match value {
                    SetValue::Operand(o) => SetValue::Operand(self.operand(o)?),
                    SetValue::Plus(l, r) => SetValue::Plus(self.operand(l)?, self.operand(r)?),
                    SetValue::Minus(l, r) => SetValue::Minus(self.operand(l)?, self.operand(r)?),
                },
            ),
            Action::Remove(p) => Action::Remove(p.clone()),
            Action::Add(p, v, at) => Action::Add(p.clone(), set(v, "ADD", *at)?, *at),
            Action::Delete(p, v, at) => Action::Delete(p.clone(), set(v, "DELETE", *at)?, *at),
        })
    }
}
