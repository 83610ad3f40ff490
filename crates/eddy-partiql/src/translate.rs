//! From the parse tree to the statement AST, applying DynamoDB's rules in the order its
//! translators do and with its messages: table references, select lists, conditions (IS,
//! IN, NOT, AND/OR, functions), update actions (`set_add`/`set_delete`), INSERT items and
//! RETURNING.

use eddy_expr::{ExprError, ExprParam, Path, PathElement, Problem};
use eddy_types::{AttributeValue, MAX_NESTING_DEPTH};

use crate::ast::{
    Action, CmpOp, Cond, Delete, Function, Literal, Operand, OrderBy, ReturnValues, Select,
    SetValue, Unbound, Update, Where,
};
use crate::error::{PartiqlError, Unsupported};
use crate::literal::{ROOT, identify, literal, tuple_key};
use crate::syntax::{DmlOp, Expr, ExprKind, Parsed, Returning, SelectSyntax, Source, Step};
use crate::tokenizer::position;

/// Translates a parsed statement; `text` is the statement, for positions in messages.
pub(crate) fn translate(parsed: &Parsed, text: &str) -> Result<Unbound, PartiqlError> {
    let t = Translator { text };
    Ok(match parsed {
        Parsed::Select(s) => Unbound::Select(t.select(s)?),
        Parsed::Exists(s) => Unbound::Exists(t.select(s)?),
        Parsed::Insert {
            target,
            value,
            returning,
        } => {
            let ExprKind::Tuple(fields) = &value.kind else {
                return Err(PartiqlError::unsupported(Unsupported::InsertFormat));
            };
            let mut item: Vec<(String, Literal)> = Vec::with_capacity(fields.len());
            for (key, value) in fields {
                let key = tuple_key(key, ROOT)?;
                let value = literal(value, ROOT, text)?;
                if item.iter().any(|(k, _)| *k == key) {
                    return Err(PartiqlError::unsupported(Unsupported::DuplicateTupleKey(
                        key,
                        ROOT.to_owned(),
                    )));
                }
                item.push((key, value));
            }
            let table = insert_table(target)?;
            if returning.is_some() {
                return Err(PartiqlError::unsupported(Unsupported::ReturningInInsert));
            }
            Unbound::Insert {
                table,
                fields: item,
            }
        }
        Parsed::Update {
            target,
            ops,
            filter,
            returning,
        } => {
            let filter = t.filter(filter.as_ref())?;
            let actions = ops
                .iter()
                .map(|op| t.action(op))
                .collect::<Result<_, _>>()?;
            Unbound::Update(Update {
                table: write_table(target)?,
                filter,
                actions,
                returning: returning.map(return_values),
            })
        }
        Parsed::Delete {
            target,
            filter,
            returning,
        } => {
            let filter = t.filter(filter.as_ref())?;
            let table = write_table(target)?;
            let returning = returning.map(return_values);
            if let Some(r) = returning.filter(|r| *r != ReturnValues::AllOld) {
                return Err(PartiqlError::unsupported(Unsupported::ReturningInDelete(
                    returning_text(r).to_owned(),
                )));
            }
            Unbound::Delete(Delete {
                table,
                filter,
                returning,
            })
        }
    })
}

fn return_values(r: Returning) -> ReturnValues {
    match (r.modified, r.new) {
        (false, false) => ReturnValues::AllOld,
        (false, true) => ReturnValues::AllNew,
        (true, false) => ReturnValues::UpdatedOld,
        (true, true) => ReturnValues::UpdatedNew,
    }
}

fn returning_text(r: ReturnValues) -> &'static str {
    match r {
        ReturnValues::AllOld => "ALL OLD *",
        ReturnValues::AllNew => "ALL NEW *",
        ReturnValues::UpdatedOld => "MODIFIED OLD *",
        ReturnValues::UpdatedNew => "MODIFIED NEW *",
    }
}

/// The table and index of a FROM clause.
fn source(source: &Source) -> Result<(String, Option<String>), PartiqlError> {
    if source.names.iter().any(|(name, ..)| name.is_empty()) {
        return Err(PartiqlError::unsupported(Unsupported::EmptyPathComponent));
    }
    if source.names.len() > 2 {
        return Err(PartiqlError::unsupported(Unsupported::FromPathTooLong));
    }
    if source.has_index {
        return Err(PartiqlError::unsupported(Unsupported::FromListIndex));
    }
    let mut names = source.names.iter().map(|(name, ..)| name.clone());
    let table = names.next().unwrap_or_default();
    Ok((table, names.next()))
}

/// The table of an UPDATE or DELETE, which cannot name an index.
fn write_table(target: &Source) -> Result<String, PartiqlError> {
    match source(target)? {
        (table, None) => Ok(table),
        (_, Some(_)) => Err(PartiqlError::unsupported(Unsupported::IndexInWrite)),
    }
}

/// The table of an INSERT, which must be a single name.
fn insert_table(target: &Source) -> Result<String, PartiqlError> {
    match target.names.as_slice() {
        [(name, ..)] if !target.has_index => Ok(name.clone()),
        _ => Err(PartiqlError::unsupported(Unsupported::InsertTarget)),
    }
}

/// A problem eddy-expr's validator would report, as the error DynamoDB gives.
fn expression_problem(problem: Problem) -> PartiqlError {
    PartiqlError::Expression(ExprError::Invalid {
        param: ExprParam::ConditionExpression,
        problem,
    })
}

struct Translator<'t> {
    text: &'t str,
}

impl Translator<'_> {
    fn select(&self, s: &SelectSyntax) -> Result<Select<Literal>, PartiqlError> {
        let (table, index) = source(&s.from)?;
        let projection = match &s.projection {
            None => None,
            Some(items) => {
                let mut paths: Vec<Path> = Vec::with_capacity(items.len());
                for item in items {
                    let path = match &item.kind {
                        ExprKind::Path(..) => self.path(item)?,
                        _ => {
                            let (_, at) = identify(item, self.text);
                            return Err(PartiqlError::unsupported_at(
                                Unsupported::PathComponent,
                                at,
                            ));
                        }
                    };
                    let name = crate::select::output_name(&path);
                    if paths.iter().any(|p| crate::select::output_name(p) == name) {
                        return Err(PartiqlError::unsupported(Unsupported::DuplicateIdentifier(
                            name,
                        )));
                    }
                    paths.push(path);
                }
                Some(paths)
            }
        };
        let filter = self.filter(s.filter.as_ref())?;
        if !s.order_by.is_empty() && filter.is_none() {
            return Err(PartiqlError::unsupported(Unsupported::OrderByWithoutWhere));
        }
        let order_by = s
            .order_by
            .iter()
            .map(|(e, descending)| match &e.kind {
                ExprKind::Path(name, steps) if steps.is_empty() => Ok(OrderBy {
                    attribute: name.clone(),
                    descending: *descending,
                }),
                kind => Err(PartiqlError::unsupported(Unsupported::OrderByArgument(
                    match kind {
                        ExprKind::Path(..) => "Path",
                        ExprKind::Str(_)
                        | ExprKind::Num(_)
                        | ExprKind::Bool(_)
                        | ExprKind::Null => "Literal",
                        ExprKind::Param(_) => "Parameter",
                        _ => "NAry",
                    },
                ))),
            })
            .collect::<Result<_, _>>()?;
        Ok(Select {
            table,
            index,
            projection,
            filter,
            order_by,
        })
    }

    fn filter(&self, filter: Option<&Expr>) -> Result<Option<Where<Literal>>, PartiqlError> {
        let Some(e) = filter else {
            return Ok(None);
        };
        // DynamoDB refuses `size(a)` here itself, before its validator sees a misused function.
        let size_call =
            matches!(&e.kind, ExprKind::Call(name, _) if name.eq_ignore_ascii_case("size"));
        if is_value(e) || size_call {
            return Err(PartiqlError::unsupported(Unsupported::WhereNotBoolean));
        }
        Ok(Some(Where {
            root: self.cond(e)?,
        }))
    }

    /// A document path: a name and its steps.
    fn path(&self, e: &Expr) -> Result<Path, PartiqlError> {
        let ExprKind::Path(root, steps) = &e.kind else {
            let (_, at) = identify(e, self.text);
            return Err(PartiqlError::unsupported_at(Unsupported::PathComponent, at));
        };
        let empty = || PartiqlError::unsupported(Unsupported::EmptyPathComponent);
        if root.is_empty() {
            return Err(empty());
        }
        let mut elements = vec![PathElement::Attr(root.clone())];
        for step in steps {
            elements.push(match step {
                Step::Name(name) if name.is_empty() => return Err(empty()),
                Step::Name(name) => PathElement::Attr(name.clone()),
                Step::Index(digits) => {
                    let out_of_range =
                        || PartiqlError::unsupported(Unsupported::ListIndex(digits.clone()));
                    let index: u64 = digits.parse().map_err(|_| out_of_range())?;
                    if index > i32::MAX as u64 {
                        return Err(out_of_range());
                    }
                    PathElement::Index(usize::try_from(index).map_err(|_| out_of_range())?)
                }
                Step::Wildcard => {
                    return Err(PartiqlError::unsupported(Unsupported::WildcardPath));
                }
                Step::Unpivot => return Err(PartiqlError::unsupported(Unsupported::UnpivotPath)),
                Step::Other => {
                    let (_, at) = identify(e, self.text);
                    return Err(PartiqlError::unsupported_at(Unsupported::PathComponent, at));
                }
            });
        }
        if elements.len() > MAX_NESTING_DEPTH {
            return Err(PartiqlError::unsupported(Unsupported::PathTooDeep(
                elements.len(),
            )));
        }
        Ok(Path(elements))
    }

    /// The path a SET or REMOVE writes.
    fn target(&self, e: &Expr) -> Result<Path, PartiqlError> {
        match &e.kind {
            ExprKind::Path(..) => self.path(e),
            _ => {
                let (name, at) = identify(e, self.text);
                Err(PartiqlError::unsupported_at(
                    Unsupported::AssignmentTarget(name),
                    at,
                ))
            }
        }
    }

    /// A condition: what a WHERE clause, or a member of AND/OR/NOT, must be.
    fn cond(&self, e: &Expr) -> Result<Cond<Literal>, PartiqlError> {
        Ok(match &e.kind {
            ExprKind::Binary(op @ ("and" | "or"), left, right) => {
                if is_value(left) || is_value(right) {
                    return Err(PartiqlError::unsupported(Unsupported::AndOrOperand));
                }
                let (l, r) = (self.cond(left)?, self.cond(right)?);
                if *op == "and" { and(l, r) } else { or(l, r) }
            }
            ExprKind::Unary("not", inner) => {
                if is_value(inner) {
                    return Err(PartiqlError::unsupported(Unsupported::NotOperand));
                }
                Cond::Not(Box::new(self.cond(inner)?))
            }
            ExprKind::Binary(op, left, right) => match CmpOp::from_symbol(op) {
                Some(cmp) => Cond::Compare(cmp, self.operand(left)?, self.operand(right)?),
                None => {
                    return Err(PartiqlError::unsupported(Unsupported::ConditionOperator(
                        (*op).to_owned(),
                    )));
                }
            },
            ExprKind::Between {
                subject,
                low,
                high,
                negated,
            } => negate(
                *negated,
                Cond::Between(
                    self.operand(subject)?,
                    self.operand(low)?,
                    self.operand(high)?,
                ),
            ),
            ExprKind::In {
                subject,
                list,
                negated,
            } => {
                let (ExprKind::List(items) | ExprKind::Bag(items)) = &list.kind else {
                    return Err(PartiqlError::unsupported(Unsupported::InOperator));
                };
                if items.is_empty() {
                    return Err(PartiqlError::unsupported(Unsupported::InOperator));
                }
                let candidates = items
                    .iter()
                    .map(|item| self.operand(item))
                    .collect::<Result<_, _>>()?;
                negate(*negated, Cond::In(self.operand(subject)?, candidates))
            }
            ExprKind::Is {
                subject,
                ty,
                negated,
            } => negate(*negated, self.is(subject, ty)?),
            ExprKind::Call(..) => {
                let (f, args) = self.call(e, false)?;
                Cond::Call(f, args)
            }
            ExprKind::Missing => {
                return Err(PartiqlError::unsupported(Unsupported::MissingLiteral));
            }
            _ => return Err(PartiqlError::unsupported(Unsupported::WhereNotBoolean)),
        })
    }

    /// `e IS [NOT] type`, as DynamoDB lowers it: MISSING → `attribute_not_exists`, NULL → `=
    /// NULL`, other types → `attribute_type`.
    fn is(&self, subject: &Expr, ty: &str) -> Result<Cond<Literal>, PartiqlError> {
        if !matches!(
            subject.kind,
            ExprKind::Path(..)
                | ExprKind::Str(_)
                | ExprKind::Num(_)
                | ExprKind::Bool(_)
                | ExprKind::Null
        ) {
            return Err(PartiqlError::unsupported(Unsupported::IsOperand));
        }
        let operand = self.operand(subject)?;
        let type_name = |name: &str| Operand::Value(Literal::Value(AttributeValue::S(name.into())));
        Ok(match ty {
            "missing" => Cond::Call(Function::AttributeNotExists, vec![operand]),
            "null" => Cond::Compare(
                CmpOp::Eq,
                operand,
                Operand::Value(Literal::Value(AttributeValue::Null)),
            ),
            "boolean" => Cond::Call(Function::AttributeType, vec![operand, type_name("BOOL")]),
            "numeric" => Cond::Call(Function::AttributeType, vec![operand, type_name("N")]),
            "string" => Cond::Call(Function::AttributeType, vec![operand, type_name("S")]),
            "blob" => Cond::Call(Function::AttributeType, vec![operand, type_name("B")]),
            "struct" | "tuple" => {
                Cond::Call(Function::AttributeType, vec![operand, type_name("M")])
            }
            "list" => Cond::Call(Function::AttributeType, vec![operand, type_name("L")]),
            other => {
                return Err(PartiqlError::unsupported(Unsupported::IsType(
                    other.to_ascii_uppercase(),
                )));
            }
        })
    }

    /// A function call: a known function and its arguments, as update operands when `update`
    /// (no arithmetic inside) or condition operands.
    fn call(
        &self,
        e: &Expr,
        update: bool,
    ) -> Result<(Function, Vec<Operand<Literal>>), PartiqlError> {
        let ExprKind::Call(name, args) = &e.kind else {
            return Err(PartiqlError::unsupported(Unsupported::WhereNotBoolean));
        };
        let Some(f) = Function::lookup(name) else {
            let (_, at) = identify(e, self.text);
            return Err(PartiqlError::unsupported_at(
                Unsupported::Function(name.clone()),
                at,
            ));
        };
        if args.is_empty() {
            // The expression grammar cannot even write this; report what its validator would.
            return Err(expression_problem(Problem::OperandCount {
                function: f.name().to_owned(),
                count: 0,
            }));
        }
        let args = args
            .iter()
            .map(|a| {
                if update {
                    self.update_operand(a)
                } else {
                    self.operand(a)
                }
            })
            .collect::<Result<_, _>>()?;
        Ok((f, args))
    }

    /// An operand of a condition: a path, a value (literal or parameter) or a function call.
    fn operand(&self, e: &Expr) -> Result<Operand<Literal>, PartiqlError> {
        Ok(match &e.kind {
            ExprKind::Path(..) => Operand::Path(self.path(e)?),
            ExprKind::Call(..) => {
                let (f, args) = self.call(e, false)?;
                Operand::Call(f, args)
            }
            ExprKind::Binary(op, ..) | ExprKind::Unary(op, _) => {
                return Err(PartiqlError::unsupported(Unsupported::ConditionOperator(
                    (*op).to_owned(),
                )));
            }
            ExprKind::Between { .. } | ExprKind::In { .. } | ExprKind::Is { .. } => {
                let (name, _) = identify(e, self.text);
                return Err(PartiqlError::unsupported(Unsupported::ConditionOperator(
                    name,
                )));
            }
            _ => Operand::Value(literal(e, ROOT, self.text)?),
        })
    }

    /// One SET or REMOVE.
    fn action(&self, op: &DmlOp) -> Result<Action<Literal>, PartiqlError> {
        let (target, value) = match op {
            DmlOp::Remove(target) => return Ok(Action::Remove(self.target(target)?)),
            DmlOp::Set(target, value) => (self.target(target)?, value),
        };
        if let ExprKind::Call(name, args) = &value.kind {
            let kind = if name.eq_ignore_ascii_case("set_add") {
                Some("ADD")
            } else if name.eq_ignore_ascii_case("set_delete") {
                Some("DELETE")
            } else {
                None
            };
            if let Some(kind) = kind {
                let (_, at) = identify(value, self.text);
                let [first, second] = args.as_slice() else {
                    return Err(PartiqlError::unsupported_at(
                        Unsupported::SetFunctionArity(kind),
                        at,
                    ));
                };
                let same_target = matches!(first.kind, ExprKind::Path(..))
                    && self.path(first).is_ok_and(|p| p == target);
                if !same_target {
                    return Err(PartiqlError::unsupported_at(
                        Unsupported::SetFunctionTarget(kind),
                        at,
                    ));
                }
                let first_at = position(self.text, first.start, first.end);
                let set = match &second.kind {
                    ExprKind::Bag(_) | ExprKind::Param(_) => literal(second, ROOT, self.text)?,
                    _ => {
                        return Err(PartiqlError::unsupported_at(
                            Unsupported::SetFunctionValue(kind),
                            first_at,
                        ));
                    }
                };
                return Ok(if kind == "ADD" {
                    Action::Add(target, set, first_at)
                } else {
                    Action::Delete(target, set, first_at)
                });
            }
        }
        let value = match &value.kind {
            ExprKind::Binary(op @ ("+" | "-"), left, right) => {
                let (l, r) = (self.update_operand(left)?, self.update_operand(right)?);
                if *op == "+" {
                    SetValue::Plus(l, r)
                } else {
                    SetValue::Minus(l, r)
                }
            }
            _ => SetValue::Operand(self.update_operand(value)?),
        };
        Ok(Action::Set(target, value))
    }

    /// An operand of a SET value: no arithmetic inside it, and no IS.
    fn update_operand(&self, e: &Expr) -> Result<Operand<Literal>, PartiqlError> {
        match &e.kind {
            ExprKind::Binary(op, ..) | ExprKind::Unary(op, _) => Err(PartiqlError::unsupported(
                Unsupported::UpdateOperator((*op).to_owned()),
            )),
            ExprKind::Is { .. } => Err(PartiqlError::unsupported(Unsupported::IsInUpdate)),
            ExprKind::Between { .. } | ExprKind::In { .. } => {
                let (name, _) = identify(e, self.text);
                Err(PartiqlError::unsupported(Unsupported::UpdateOperator(name)))
            }
            ExprKind::Call(..) => {
                let (f, args) = self.call(e, true)?;
                Ok(Operand::Call(f, args))
            }
            _ => self.operand(e),
        }
    }
}

/// True for an expression that is a value, not a condition (a literal, path or parameter).
fn is_value(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Str(_)
            | ExprKind::Num(_)
            | ExprKind::Bool(_)
            | ExprKind::Null
            | ExprKind::Param(_)
            | ExprKind::Path(..)
            | ExprKind::List(_)
            | ExprKind::Bag(_)
            | ExprKind::Tuple(_)
    )
}

fn negate<V>(negated: bool, c: Cond<V>) -> Cond<V> {
    if negated { Cond::Not(Box::new(c)) } else { c }
}

/// `l AND r`, flattened.
pub(crate) fn and<V>(l: Cond<V>, r: Cond<V>) -> Cond<V> {
    let mut members = match l {
        Cond::And(m) => m,
        other => vec![other],
    };
    match r {
        Cond::And(m) => members.extend(m),
        other => members.push(other),
    }
    Cond::And(members)
}

/// `l OR r`, flattened.
fn or<V>(l: Cond<V>, r: Cond<V>) -> Cond<V> {
    let mut members = match l {
        Cond::Or(m) => m,
        other => vec![other],
    };
    match r {
        Cond::Or(m) => members.extend(m),
        other => members.push(other),
    }
    Cond::Or(members)
}
