//! Resolved updates and their application to an item.
//!
//! DynamoDB evaluates every operand against the item as it was before the update, and every
//! list index refers to the list as it was: `REMOVE l[1], l[2]` removes the two original
//! elements, and `SET l[7] = :x` on a shorter list appends. Application therefore runs in
//! three steps: compute every write from the original item, apply the writes that put values
//! (in path order, so appends land in index order), then the removals (from the highest index
//! down, so earlier positions stay valid).

use eddy_types::{AttrType, AttributeValue, Item, Number, NumberError};

use crate::error::ExprError;
use crate::path::{Path, PathElement, lookup, lookup_mut};

/// An update (UpdateExpression, or legacy AttributeUpdates) with every placeholder resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    pub(crate) actions: Vec<UpdateAction>,
    /// Where each clause starts in `actions`, in order (runtime errors are reported clause by
    /// clause).
    pub(crate) clause_starts: Vec<usize>,
    /// Lowered from AttributeUpdates: ADD may append lists, and type mismatches use the
    /// legacy message.
    pub(crate) legacy: bool,
}

/// One action, in the order written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum UpdateAction {
    Set(Path, SetValue),
    Remove(Path),
    Add(Path, AttributeValue),
    Delete(Path, AttributeValue),
}

/// The right-hand side of SET.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SetValue {
    Operand(UpdateOperand),
    Plus(UpdateOperand, UpdateOperand),
    Minus(UpdateOperand, UpdateOperand),
}

/// An operand of SET.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum UpdateOperand {
    Path(Path),
    Value(AttributeValue),
    IfNotExists(Path, Box<UpdateOperand>),
    ListAppend(Box<UpdateOperand>, Box<UpdateOperand>),
}

/// What one action does, computed from the original item.
enum Outcome {
    Put(Path, AttributeValue),
    Remove(Path),
    Nothing,
    /// A SET operand path is missing from the item.
    Missing,
    /// A SET result is outside the number range.
    OutOfRange(NumberError),
}

/// The state of the map or list a target path writes into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Parent {
    Present,
    Missing,
    /// It exists but is not a map (for a name) or a list (for an index).
    WrongKind,
}

impl UpdateAction {
    fn path(&self) -> &Path {
        match self {
            UpdateAction::Set(p, _)
            | UpdateAction::Remove(p)
            | UpdateAction::Add(p, _)
            | UpdateAction::Delete(p, _) => p,
        }
    }
}

impl Update {
    /// True when every action only takes something away (REMOVE, DELETE): such an update of
    /// a missing item creates nothing, where any other (even one without actions) creates it.
    pub fn only_removes(&self) -> bool {
        !self.actions.is_empty()
            && self
                .actions
                .iter()
                .all(|a| matches!(a, UpdateAction::Remove(_) | UpdateAction::Delete(..)))
    }

    /// Applies the update to `item` with DynamoDB's semantics. A missing item is updated as an
    /// empty one (the caller adds the key).
    ///
    /// When several actions fail, the error reported follows DynamoDB's order: a target whose
    /// parent is not a map or list as the path needs; then a stored value of the wrong type;
    /// then, clause by clause from the last, a target whose parent is missing and an operand
    /// attribute that is missing; last a SET result outside the number range.
    ///
    /// # Errors
    ///
    /// The runtime errors DynamoDB reports: an operand path missing from the item, an operand
    /// of the wrong stored type, a target whose parent is missing or not a map/list, or
    /// arithmetic outside the number range. On error `item` is left unchanged.
    pub fn apply(&self, item: &mut Item) -> Result<(), ExprError> {
        let original: &Item = item;
        let parents: Vec<Parent> = self
            .actions
            .iter()
            .map(|a| parent_of(original, a.path()))
            .collect();
        if parents.contains(&Parent::WrongKind) {
            return Err(ExprError::InvalidUpdatePath);
        }
        let mut outcomes = Vec::with_capacity(self.actions.len());
        for (action, parent) in self.actions.iter().zip(&parents) {
            outcomes.push(self.outcome(action, *parent, original)?);
        }
        let mut end = self.actions.len();
        for &start in self.clause_starts.iter().rev() {
            let clause = start.min(end)..end;
            if parents
                .get(clause.clone())
                .is_some_and(|p| p.contains(&Parent::Missing))
            {
                return Err(ExprError::InvalidUpdatePath);
            }
            if let Some(Outcome::Missing) = outcomes
                .get(clause.clone())
                .and_then(|o| o.iter().find(|o| matches!(o, Outcome::Missing)))
            {
                return Err(ExprError::MissingAttribute);
            }
            end = clause.start;
        }
        let mut puts = Vec::new();
        let mut removes = Vec::new();
        for outcome in outcomes {
            match outcome {
                Outcome::Put(p, v) => puts.push((p, v)),
                Outcome::Remove(p) => removes.push(p),
                Outcome::Nothing | Outcome::Missing => {}
                Outcome::OutOfRange(e) => return Err(ExprError::Number(e)),
            }
        }
        puts.sort_by(|a, b| a.0.cmp_elements(&b.0));
        removes.sort_by(|a, b| b.cmp_elements(a));
        for (path, value) in puts {
            put(item, &path, value);
        }
        for path in removes {
            remove(item, &path);
        }
        Ok(())
    }

    /// What one action does to the original item. Only type errors return at once; the other
    /// problems wait for their turn in [`Update::apply`]'s order.
    fn outcome(
        &self,
        action: &UpdateAction,
        parent: Parent,
        original: &Item,
    ) -> Result<Outcome, ExprError> {
        let path = action.path();
        Ok(match action {
            UpdateAction::Set(path, value) => match value.eval(original) {
                Ok(v) => Outcome::Put(path.clone(), v),
                Err(ExprError::MissingAttribute) => Outcome::Missing,
                Err(ExprError::Number(e)) => Outcome::OutOfRange(e),
                Err(e) => return Err(e),
            },
            _ if parent != Parent::Present => Outcome::Nothing,
            UpdateAction::Remove(_) => match path.get(original) {
                Some(_) => Outcome::Remove(path.clone()),
                None => Outcome::Nothing,
            },
            UpdateAction::Add(_, value) => {
                Outcome::Put(path.clone(), self.add(path.get(original), value)?)
            }
            UpdateAction::Delete(_, value) => match path.get(original) {
                None => Outcome::Nothing,
                Some(existing) => match self.delete(existing, value)? {
                    Some(rest) => Outcome::Put(path.clone(), rest),
                    None => Outcome::Remove(path.clone()),
                },
            },
        })
    }

    /// The document paths the update writes, in the order written (for ReturnValues
    /// UPDATED_OLD/UPDATED_NEW and the key-attribute checks).
    pub fn target_paths(&self) -> Vec<&Path> {
        self.actions.iter().map(UpdateAction::path).collect()
    }

    /// Every document path the update reads or writes (for "Key attributes must be scalars").
    pub fn paths(&self) -> Vec<&Path> {
        let mut out = Vec::new();
        for action in &self.actions {
            out.push(action.path());
            if let UpdateAction::Set(_, value) = action {
                match value {
                    SetValue::Operand(a) => a.collect_paths(&mut out),
                    SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
                        a.collect_paths(&mut out);
                        b.collect_paths(&mut out);
                    }
                }
            }
        }
        out
    }

    /// The type a top-level attribute will have when the update sets or adds it, if that is
    /// known without the item (a literal value, arithmetic, list_append). The engine checks it
    /// against index key types.
    pub fn assigned_type(&self, attr: &str) -> Option<AttrType> {
        self.actions.iter().find_map(|action| match action {
            UpdateAction::Set(path, value) if path.0.len() == 1 && path.top() == attr => {
                match value {
                    SetValue::Plus(..) | SetValue::Minus(..) => Some(AttrType::N),
                    SetValue::Operand(op) => op.static_type(),
                }
            }
            UpdateAction::Add(path, value) if path.0.len() == 1 && path.top() == attr => {
                Some(value.attr_type())
            }
            _ => None,
        })
    }

    fn type_error(&self) -> ExprError {
        if self.legacy {
            ExprError::LegacyTypeMismatch
        } else {
            ExprError::IncorrectOperandType
        }
    }

    /// ADD: a number sum, a set union, or (legacy only) a list append; the value itself when
    /// the attribute is missing.
    fn add(
        &self,
        existing: Option<&AttributeValue>,
        value: &AttributeValue,
    ) -> Result<AttributeValue, ExprError> {
        let Some(existing) = existing else {
            return Ok(value.clone());
        };
        Ok(match (existing, value) {
            (AttributeValue::N(a), AttributeValue::N(b)) => AttributeValue::N(a.checked_add(b)?),
            (AttributeValue::Ss(a), AttributeValue::Ss(b)) => AttributeValue::Ss(union(a, b)),
            (AttributeValue::Ns(a), AttributeValue::Ns(b)) => AttributeValue::Ns(union(a, b)),
            (AttributeValue::Bs(a), AttributeValue::Bs(b)) => AttributeValue::Bs(union(a, b)),
            (AttributeValue::L(a), AttributeValue::L(b)) if self.legacy => {
                AttributeValue::L(a.iter().chain(b).cloned().collect())
            }
            _ => return Err(self.type_error()),
        })
    }

    /// DELETE: the set without the given members, or `None` when nothing is left.
    fn delete(
        &self,
        existing: &AttributeValue,
        value: &AttributeValue,
    ) -> Result<Option<AttributeValue>, ExprError> {
        let rest = match (existing, value) {
            (AttributeValue::Ss(a), AttributeValue::Ss(b)) => {
                difference(a, b).map(AttributeValue::Ss)
            }
            (AttributeValue::Ns(a), AttributeValue::Ns(b)) => {
                difference(a, b).map(AttributeValue::Ns)
            }
            (AttributeValue::Bs(a), AttributeValue::Bs(b)) => {
                difference(a, b).map(AttributeValue::Bs)
            }
            _ => return Err(self.type_error()),
        };
        Ok(rest)
    }
}

fn union<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out = a.to_vec();
    for x in b {
        if !out.contains(x) {
            out.push(x.clone());
        }
    }
    out
}

fn difference<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Option<Vec<T>> {
    let rest: Vec<T> = a.iter().filter(|x| !b.contains(x)).cloned().collect();
    (!rest.is_empty()).then_some(rest)
}

impl SetValue {
    fn eval(&self, item: &Item) -> Result<AttributeValue, ExprError> {
        match self {
            SetValue::Operand(op) => op.eval(item),
            SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
                let a = number(a.eval(item)?)?;
                let b = number(b.eval(item)?)?;
                let result = if matches!(self, SetValue::Plus(..)) {
                    a.checked_add(&b)?
                } else {
                    a.checked_sub(&b)?
                };
                Ok(AttributeValue::N(result))
            }
        }
    }
}

fn number(value: AttributeValue) -> Result<Number, ExprError> {
    match value {
        AttributeValue::N(n) => Ok(n),
        _ => Err(ExprError::IncorrectOperandType),
    }
}

impl UpdateOperand {
    fn eval(&self, item: &Item) -> Result<AttributeValue, ExprError> {
        match self {
            UpdateOperand::Path(path) => path.get(item).cloned().ok_or(ExprError::MissingAttribute),
            UpdateOperand::Value(v) => Ok(v.clone()),
            UpdateOperand::IfNotExists(path, fallback) => match path.get(item) {
                Some(v) => Ok(v.clone()),
                None => fallback.eval(item),
            },
            UpdateOperand::ListAppend(a, b) => {
                let AttributeValue::L(mut a) = a.eval(item)? else {
                    return Err(ExprError::IncorrectOperandType);
                };
                let AttributeValue::L(b) = b.eval(item)? else {
                    return Err(ExprError::IncorrectOperandType);
                };
                a.extend(b);
                Ok(AttributeValue::L(a))
            }
        }
    }

    fn collect_paths<'u>(&'u self, out: &mut Vec<&'u Path>) {
        match self {
            UpdateOperand::Path(p) => out.push(p),
            UpdateOperand::Value(_) => {}
            UpdateOperand::IfNotExists(p, fallback) => {
                out.push(p);
                fallback.collect_paths(out);
            }
            UpdateOperand::ListAppend(a, b) => {
                a.collect_paths(out);
                b.collect_paths(out);
            }
        }
    }

    fn static_type(&self) -> Option<AttrType> {
        match self {
            UpdateOperand::Path(_) => None,
            UpdateOperand::Value(v) => Some(v.attr_type()),
            UpdateOperand::IfNotExists(_, fallback) => fallback.static_type(),
            UpdateOperand::ListAppend(..) => Some(AttrType::L),
        }
    }
}

/// Whether the map or list `path` writes into exists and has the kind the path needs. A
/// top-level attribute can always be written.
fn parent_of(item: &Item, path: &Path) -> Parent {
    let Some((last, parent)) = path.split_last() else {
        return Parent::WrongKind;
    };
    if parent.is_empty() {
        return match last {
            PathElement::Attr(_) => Parent::Present,
            PathElement::Index(_) => Parent::WrongKind,
        };
    }
    match (lookup(item, parent), last) {
        (None, _) => Parent::Missing,
        (Some(AttributeValue::M(_)), PathElement::Attr(_))
        | (Some(AttributeValue::L(_)), PathElement::Index(_)) => Parent::Present,
        (Some(_), _) => Parent::WrongKind,
    }
}

/// Writes `value` at `path`: into a map, over a list element, or appended when the index is
/// past the end. The parent was checked before any write.
fn put(item: &mut Item, path: &Path, value: AttributeValue) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    if parent.is_empty() {
        if let PathElement::Attr(name) = last {
            item.insert(name.clone(), value);
        }
        return;
    }
    match (lookup_mut(item, parent), last) {
        (Some(AttributeValue::M(map)), PathElement::Attr(name)) => {
            map.insert(name.clone(), value);
        }
        (Some(AttributeValue::L(list)), PathElement::Index(i)) => match list.get_mut(*i) {
            Some(slot) => *slot = value,
            None => list.push(value),
        },
        _ => {}
    }
}

/// Removes the value at `path`, shifting later list elements down.
fn remove(item: &mut Item, path: &Path) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    if parent.is_empty() {
        if let PathElement::Attr(name) = last {
            item.remove(name);
        }
        return;
    }
    match (lookup_mut(item, parent), last) {
        (Some(AttributeValue::M(map)), PathElement::Attr(name)) => {
            map.remove(name);
        }
        (Some(AttributeValue::L(list)), PathElement::Index(i)) if *i < list.len() => {
            list.remove(*i);
        }
        _ => {}
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
