//! What a WHERE clause says about the key, asked with the key schema the executor knows.
//!
//! DynamoDB looks only at the top-level AND chain of the clause (`a AND b AND c`): a member
//! that is `key = value` pins that key attribute; OR, NOT, IN and BETWEEN members are never
//! looked into. The members that pin nothing are the *residual* condition, which the write
//! checks as its ConditionExpression (or the read applies as its filter).

use eddy_expr::{Condition, KeyCondition, KeyNames, RangeCondition};
use eddy_types::{AttrType, AttributeValue, Item};

use crate::ast::{CmpOp, Cond, Delete, Function, Operand, Update, Where};
use crate::error::{KeyError, PartiqlError};
use crate::lower;

/// The single item a statement addresses: its whole key, and the condition that remains once
/// the key equalities are taken out (`None` when nothing remains).
#[derive(Clone, Debug, PartialEq)]
pub struct SingleItem {
    /// Every key attribute with its value.
    pub key: Item,
    /// The rest of the WHERE clause, to check against the item (a missing item evaluates as
    /// an empty one).
    pub condition: Option<Condition>,
}

impl Where {
    /// The whole clause as a condition, evaluated with the rules of condition expressions.
    ///
    /// # Errors
    /// What DynamoDB's expression validator reports for the clause (an operand type a
    /// function does not take, `a = a`, an `IN` list of more than 100, ...).
    pub fn condition(&self) -> Result<Condition, PartiqlError> {
        lower::condition(&self.root)
    }

    /// The item an UPDATE or DELETE targets: every key attribute must be pinned by `key =
    /// value` in the top-level AND chain.
    ///
    /// # Errors
    /// [`KeyError::Incomplete`] when a key attribute is not pinned, [`KeyError::Conflicting`]
    /// for two different values, [`KeyError::Nested`] for `key.x = v`, and the residual
    /// condition's validation errors.
    pub fn single_item(&self, hash: &str, range: Option<&str>) -> Result<SingleItem, PartiqlError> {
        let keys = key_names(hash, range);
        let mut key = Item::new();
        let mut residual = Vec::new();
        for member in self.members() {
            if let Some((name, value)) = write_key_equality(member, &keys)? {
                match key.get(&name) {
                    Some(existing) if *existing != value => {
                        return Err(KeyError::Conflicting(name).into());
                    }
                    _ => {
                        key.insert(name, value);
                    }
                }
            } else {
                residual.push(member.clone());
            }
        }
        if key.len() < keys.len() {
            return Err(KeyError::Incomplete.into());
        }
        Ok(SingleItem {
            key,
            condition: residual_condition(residual)?,
        })
    }

    /// The key and extra condition of an `EXISTS(...)` condition check: the first `key =
    /// value` of each key attribute pins it, and a condition beyond the key is required.
    ///
    /// # Errors
    /// [`KeyError::ConditionCheck`] without the whole key or without an extra condition, and
    /// the condition's validation errors.
    pub(crate) fn condition_check(
        &self,
        hash: &str,
        range: Option<&str>,
    ) -> Result<(Item, Condition), PartiqlError> {
        let keys = key_names(hash, range);
        let mut key = Item::new();
        let mut residual = Vec::new();
        for member in self.members() {
            match equality(member).filter(|(path, _)| keys.contains(&path.as_str())) {
                Some((name, value)) if !key.contains_key(&name) => {
                    key.insert(name, value.clone());
                }
                _ => residual.push(member.clone()),
            }
        }
        if key.len() < keys.len() {
            return Err(KeyError::ConditionCheck.into());
        }
        match residual_condition(residual)? {
            Some(condition) => Ok((key, condition)),
            None => Err(KeyError::ConditionCheck.into()),
        }
    }

    /// A Query's key condition, when the clause pins the partition key with `=` and at most
    /// one sort-key condition (`=`, `<`, `<=`, `>`, `>=`, BETWEEN, begins_with) in its
    /// top-level AND chain, with the residual filter. `None` means the statement is a Scan
    /// filtered by [`Where::condition`] (as DynamoDB falls back to when it finds no usable key
    /// condition).
    ///
    /// # Errors
    /// The residual condition's validation errors.
    pub fn key_condition(
        &self,
        key: KeyNames<'_>,
    ) -> Result<Option<(KeyCondition, Option<Condition>)>, PartiqlError> {
        let mut hash_values: Vec<Option<&AttributeValue>> = vec![None; key.hash.len()];
        // Per sort-key attribute: its usable condition and the member that states it.
        let mut sort: Vec<Option<(RangeCondition, &Cond<AttributeValue>)>> =
            vec![None; key.range.len()];
        let mut residual = Vec::new();
        let names: Vec<&str> = key.hash.iter().chain(key.range).copied().collect();
        for member in self.members() {
            let Some((path, _)) = key_path(member, &names) else {
                residual.push(member.clone());
                continue;
            };
            if path.is_nested() {
                return Ok(None);
            }
            if let Some(i) = key.hash.iter().position(|h| *h == path.top()) {
                match (equality(member), hash_values.get_mut(i)) {
                    (Some((_, v)), Some(slot)) if slot.is_none_or(|h| h == v) => *slot = Some(v),
                    _ => return Ok(None),
                }
            } else if let Some(cond) = range_condition(member) {
                let i = key.range.iter().position(|r| *r == path.top());
                match i.and_then(|i| sort.get_mut(i)) {
                    Some(slot @ None) => *slot = Some((cond, member)),
                    _ => return Ok(None),
                }
            } else {
                residual.push(member.clone());
            }
        }
        let Some(hash_values) = hash_values.into_iter().collect::<Option<Vec<_>>>() else {
            return Ok(None);
        };
        // Equalities on leading sort-key attributes narrow the read, and so does one condition
        // after them; conditions past a gap or a range filter what is read.
        let mut chain: Vec<RangeCondition> = Vec::new();
        let mut open = true;
        for slot in sort {
            match slot {
                Some((cond, _)) if open => {
                    open = matches!(cond, RangeCondition::Eq(_));
                    chain.push(cond);
                }
                Some((_, member)) => residual.push(member.clone()),
                None => open = false,
            }
        }
        let range = chain.pop();
        let sort_prefix = chain
            .into_iter()
            .filter_map(|c| match c {
                RangeCondition::Eq(v) => Some(v),
                _ => None,
            })
            .collect();
        Ok(Some((
            KeyCondition {
                hash_values: hash_values.into_iter().cloned().collect(),
                sort_prefix,
                range,
            },
            residual_condition(residual)?,
        )))
    }

    /// True when every OR branch of the clause has an `=` (with a value) on the hash key, as
    /// ORDER BY requires.
    pub(crate) fn pins_hash(&self, hash: &str) -> bool {
        fn pins(c: &Cond<AttributeValue>, hash: &str) -> bool {
            match c {
                Cond::And(members) => members.iter().any(|m| pins(m, hash)),
                Cond::Or(members) => members.iter().all(|m| pins(m, hash)),
                Cond::Not(_) => false,
                other => key_path(other, &[hash]).is_some(),
            }
        }
        pins(&self.root, hash)
    }

    /// The members of the top-level AND chain.
    fn members(&self) -> &[Cond<AttributeValue>] {
        match &self.root {
            Cond::And(members) => members,
            other => std::slice::from_ref(other),
        }
    }
}

impl Update {
    /// The item the update targets, and the condition beyond the key. The engine adds that the
    /// item must exist (an UPDATE of a missing item fails with ConditionalCheckFailed).
    ///
    /// # Errors
    /// As [`Where::single_item`]; an UPDATE without WHERE is [`KeyError::Incomplete`].
    pub fn target(&self, hash: &str, range: Option<&str>) -> Result<SingleItem, PartiqlError> {
        match &self.filter {
            Some(w) => w.single_item(hash, range),
            None => Err(KeyError::Incomplete.into()),
        }
    }

    /// The SET and REMOVE actions (with `set_add` as ADD and `set_delete` as DELETE) as
    /// eddy-expr's update, which applies them with UpdateItem's rules.
    ///
    /// # Errors
    /// What DynamoDB's update validator reports (overlapping paths, a function used in the
    /// wrong place, ...).
    pub fn update_expression(&self) -> Result<eddy_expr::Update, PartiqlError> {
        lower::update(&self.actions)
    }
}

impl Delete {
    /// The item the delete targets, and the condition beyond the key (checked against the
    /// item, or an empty one when it is missing; deleting a missing item otherwise succeeds).
    ///
    /// # Errors
    /// As [`Where::single_item`]; a DELETE without WHERE is [`KeyError::Incomplete`].
    pub fn target(&self, hash: &str, range: Option<&str>) -> Result<SingleItem, PartiqlError> {
        match &self.filter {
            Some(w) => w.single_item(hash, range),
            None => Err(KeyError::Incomplete.into()),
        }
    }
}

/// Checks the key attributes of `item` (an INSERT's item, or the key of a [`SingleItem`])
/// against the key schema: each attribute of `schema` present, with the schema's type.
///
/// # Errors
/// [`KeyError::Missing`] or [`KeyError::Type`] for the first attribute that fails.
pub fn check_key(item: &Item, schema: &[(&str, AttrType)]) -> Result<(), PartiqlError> {
    for (name, ty) in schema {
        match item.get(*name) {
            None => return Err(KeyError::Missing((*name).to_owned()).into()),
            Some(v) if v.attr_type() != *ty => {
                return Err(KeyError::Type((*name).to_owned()).into());
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn key_names<'k>(hash: &'k str, range: Option<&'k str>) -> Vec<&'k str> {
    let mut keys = vec![hash];
    keys.extend(range);
    keys
}

fn residual_condition(
    mut residual: Vec<Cond<AttributeValue>>,
) -> Result<Option<Condition>, PartiqlError> {
    let root = if residual.len() > 1 {
        Cond::And(residual)
    } else if let Some(only) = residual.pop() {
        only
    } else {
        return Ok(None);
    };
    lower::condition(&root).map(Some)
}

/// The first path operand of a comparison, BETWEEN, IN or function call whose operands are
/// all paths or values (DynamoDB's "terminal" nodes), when it names a key attribute and a
/// value operand exists; with that value.
fn key_path<'c>(
    c: &'c Cond<AttributeValue>,
    keys: &[&str],
) -> Option<(&'c eddy_expr::Path, &'c AttributeValue)> {
    let operands: Vec<&Operand<AttributeValue>> = match c {
        Cond::Compare(_, a, b) => vec![a, b],
        Cond::Between(a, b, c) => vec![a, b, c],
        Cond::In(a, list) => std::iter::once(a).chain(list).collect(),
        Cond::Call(_, args) => args.iter().collect(),
        Cond::Not(_) | Cond::And(_) | Cond::Or(_) => return None,
    };
    if operands.iter().any(|o| matches!(o, Operand::Call(..))) {
        return None;
    }
    let path = operands.iter().find_map(|o| match o {
        Operand::Path(p) => Some(p),
        _ => None,
    })?;
    let value = operands.iter().find_map(|o| match o {
        Operand::Value(v) => Some(v),
        _ => None,
    })?;
    keys.contains(&path.top()).then_some((path, value))
}

/// The key attribute a write pins with this member, if any: `key = value` either way round.
fn write_key_equality(
    c: &Cond<AttributeValue>,
    keys: &[&str],
) -> Result<Option<(String, AttributeValue)>, PartiqlError> {
    let Some((path, _)) = key_path(c, keys) else {
        return Ok(None);
    };
    if path.is_nested() {
        return Err(KeyError::Nested(path.top().to_owned()).into());
    }
    Ok(equality(c).map(|(name, v)| (name, v.clone())))
}

/// `attribute = value` (either way round) with a top-level attribute.
fn equality(c: &Cond<AttributeValue>) -> Option<(String, &AttributeValue)> {
    match c {
        Cond::Compare(CmpOp::Eq, Operand::Path(p), Operand::Value(v))
        | Cond::Compare(CmpOp::Eq, Operand::Value(v), Operand::Path(p))
            if !p.is_nested() =>
        {
            Some((p.top().to_owned(), v))
        }
        _ => None,
    }
}

/// The sort-key condition a member states, if it is one a Query can use.
fn range_condition(c: &Cond<AttributeValue>) -> Option<RangeCondition> {
    let (op, v) = match c {
        Cond::Compare(op, Operand::Path(_), Operand::Value(v)) => (*op, v),
        Cond::Compare(op, Operand::Value(v), Operand::Path(_)) => (op.flipped(), v),
        Cond::Between(Operand::Path(_), Operand::Value(lo), Operand::Value(hi)) => {
            return Some(RangeCondition::Between(lo.clone(), hi.clone()));
        }
        Cond::Call(Function::BeginsWith, args) => {
            return match args.as_slice() {
                [Operand::Path(_), Operand::Value(prefix)] => {
                    Some(RangeCondition::BeginsWith(prefix.clone()))
                }
                _ => None,
            };
        }
        _ => return None,
    };
    let v = v.clone();
    Some(match op {
        CmpOp::Eq => RangeCondition::Eq(v),
        CmpOp::Lt => RangeCondition::Lt(v),
        CmpOp::Le => RangeCondition::Le(v),
        CmpOp::Gt => RangeCondition::Gt(v),
        CmpOp::Ge => RangeCondition::Ge(v),
        CmpOp::Ne => return None,
    })
}
