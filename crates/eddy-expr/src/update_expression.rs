//! UpdateExpression: parse, validate in DynamoDB's order, resolve placeholders.
//!
//! After parsing (syntax errors, redundant parentheses) and the operator count, DynamoDB
//! reports the first problem of the first kind found, in this priority: a reserved word (or
//! out-of-range index), an unknown or misplaced function, a repeated clause, an undefined
//! `#name`, an undefined `:value`, overlapping or conflicting target paths, an ADD/DELETE value
//! of the wrong type, and last a function's operand count, path or literal types.

use eddy_types::{AttrType, AttributeValue};

use crate::ast::{self, Action, ArithOp, Call, ClauseKind, DocPath, UpdateExpr};
use crate::error::{ExprError, ExprParam, Problem};
use crate::parser;
use crate::path::Path;
use crate::placeholders::Placeholders;
use crate::resolve::{
    FirstProblems, check_operator_count, check_overlaps, check_text, invalid, long_type_name,
    path_word_problem, resolve_path,
};
use crate::update::{SetValue, Update, UpdateAction, UpdateOperand};

const RESERVED_WORD: usize = 0;
const UNKNOWN_FUNCTION: usize = 1;
const SECTION: usize = 2;
const UNDEFINED_NAME: usize = 3;
const UNDEFINED_VALUE: usize = 4;
const PATHS: usize = 5;
const ACTION_TYPE: usize = 6;
const FUNCTION: usize = 7;

type Problems = FirstProblems<8>;

/// Parses an UpdateExpression.
///
/// # Errors
///
/// `Invalid UpdateExpression: ...` with DynamoDB's message for the problem it would report.
pub fn parse_update(text: &str, ph: &mut Placeholders<'_>) -> Result<Update, ExprError> {
    let param = ExprParam::UpdateExpression;
    check_text(text, param)?;
    let tree = parser::parse_update(text).map_err(|p| invalid(param, p))?;
    check_operator_count(count_operators(&tree)).map_err(|p| invalid(param, p))?;
    let mut problems = Problems::new();
    let mut resolver = Resolver {
        ph,
        problems: &mut problems,
    };
    let (actions, clause_starts) = resolver.update(&tree);
    if !problems.any_up_to(UNDEFINED_VALUE) {
        let targets: Vec<&Path> = actions.iter().map(target).collect();
        if let Some(problem) = check_overlaps(&targets) {
            problems.record(PATHS, problem);
        }
    }
    match problems.into_first() {
        Some(problem) => Err(invalid(param, problem)),
        None => Ok(Update {
            actions,
            clause_starts,
            legacy: false,
        }),
    }
}

fn target(action: &UpdateAction) -> &Path {
    match action {
        UpdateAction::Set(p, _)
        | UpdateAction::Remove(p)
        | UpdateAction::Add(p, _)
        | UpdateAction::Delete(p, _) => p,
    }
}

fn count_operators(tree: &UpdateExpr<'_>) -> usize {
    fn operand(o: &ast::Operand<'_>) -> usize {
        match o {
            ast::Operand::Path(_) | ast::Operand::Value(_) => 0,
            ast::Operand::Paren(inner) => operand(inner),
            ast::Operand::Call(call) => 1 + call.args.iter().map(operand).sum::<usize>(),
        }
    }
    tree.clauses
        .iter()
        .flat_map(|c| &c.actions)
        .map(|action| match action {
            Action::Set(_, ast::SetValue::Operand(o)) => operand(o),
            Action::Set(_, ast::SetValue::Arith { left, right, .. }) => {
                1 + operand(left) + operand(right)
            }
            Action::Remove(_) | Action::Add(..) | Action::Delete(..) => 0,
        })
        .sum()
}

struct Resolver<'r, 'a> {
    ph: &'r mut Placeholders<'a>,
    problems: &'r mut Problems,
}

impl Resolver<'_, '_> {
    /// The actions, and where each clause starts among them.
    fn update(&mut self, tree: &UpdateExpr<'_>) -> (Vec<UpdateAction>, Vec<usize>) {
        let mut seen: Vec<ClauseKind> = Vec::new();
        let mut actions = Vec::new();
        let mut starts = Vec::with_capacity(tree.clauses.len());
        for clause in &tree.clauses {
            starts.push(actions.len());
            for action in &clause.actions {
                actions.push(self.action(action));
            }
            if seen.contains(&clause.kind) {
                self.problems
                    .record(SECTION, Problem::SectionRepeated(clause.kind.as_str()));
            }
            seen.push(clause.kind);
        }
        (actions, starts)
    }

    fn action(&mut self, action: &Action<'_>) -> UpdateAction {
        match action {
            Action::Set(path, value) => {
                let path = self.path(path);
                UpdateAction::Set(path, self.set_value(value))
            }
            Action::Remove(path) => UpdateAction::Remove(self.path(path)),
            Action::Add(path, key) => {
                let path = self.path(path);
                let value = self.value(key);
                self.check_action_type("ADD", &value);
                UpdateAction::Add(path, value)
            }
            Action::Delete(path, key) => {
                let path = self.path(path);
                let value = self.value(key);
                self.check_action_type("DELETE", &value);
                UpdateAction::Delete(path, value)
            }
        }
    }

    /// ADD takes a number or a set, DELETE only a set.
    fn check_action_type(&mut self, action: &'static str, value: &AttributeValue) {
        let ty = value.attr_type();
        let allowed = match ty {
            AttrType::Ss | AttrType::Ns | AttrType::Bs => true,
            AttrType::N => action == "ADD",
            _ => false,
        };
        if !allowed {
            self.problems.record(
                ACTION_TYPE,
                Problem::ActionOperandType {
                    action,
                    ty: long_type_name(ty),
                },
            );
        }
    }

    fn path(&mut self, doc: &DocPath<'_>) -> Path {
        if let Some(problem) = path_word_problem(doc) {
            self.problems.record(RESERVED_WORD, problem);
        }
        let (path, problem) = resolve_path(doc, self.ph);
        if let Some(problem) = problem {
            self.problems.record(UNDEFINED_NAME, problem);
        }
        path
    }

    /// A `:value`; a stand-in NULL when undefined (the problem outranks any it could cause).
    fn value(&mut self, key: &str) -> AttributeValue {
        match self.ph.value(key) {
            Some(v) => v.clone(),
            None => {
                self.problems
                    .record(UNDEFINED_VALUE, Problem::UndefinedValue(key.to_owned()));
                AttributeValue::Null
            }
        }
    }

    fn set_value(&mut self, value: &ast::SetValue<'_>) -> SetValue {
        match value {
            ast::SetValue::Operand(o) => SetValue::Operand(self.operand(o)),
            ast::SetValue::Arith {
                op, left, right, ..
            } => {
                let l = self.operand(left);
                let r = self.operand(right);
                for o in [&l, &r] {
                    self.check_literal_type(op.as_str(), o, AttrType::N);
                }
                match op {
                    ArithOp::Plus => SetValue::Plus(l, r),
                    ArithOp::Minus => SetValue::Minus(l, r),
                }
            }
        }
    }

    /// A literal operand of `function` must have type `expected`.
    fn check_literal_type(&mut self, function: &str, o: &UpdateOperand, expected: AttrType) {
        if let UpdateOperand::Value(v) = o
            && v.attr_type() != expected
        {
            self.problems.record(
                FUNCTION,
                Problem::OperandType {
                    function: function.to_owned(),
                    ty: v.attr_type().as_str().to_owned(),
                },
            );
        }
    }

    fn operand(&mut self, o: &ast::Operand<'_>) -> UpdateOperand {
        match o {
            ast::Operand::Path(doc) => UpdateOperand::Path(self.path(doc)),
            ast::Operand::Value(key) => UpdateOperand::Value(self.value(key)),
            ast::Operand::Paren(inner) => self.operand(inner),
            ast::Operand::Call(call) => self.function(call),
        }
    }

    fn function(&mut self, call: &Call<'_>) -> UpdateOperand {
        let name = call.name;
        let known = matches!(name, "if_not_exists" | "list_append");
        if !known {
            let problem = match name {
                "attribute_exists"
                | "attribute_not_exists"
                | "attribute_type"
                | "begins_with"
                | "contains"
                | "size" => Problem::FunctionNotAllowedInUpdate(name.to_owned()),
                _ => Problem::InvalidFunction(name.to_owned()),
            };
            self.problems.record(UNKNOWN_FUNCTION, problem);
        }
        let mut args: Vec<UpdateOperand> = call.args.iter().map(|a| self.operand(a)).collect();
        let stand_in = || UpdateOperand::Value(AttributeValue::Null);
        if known && args.len() != 2 {
            self.problems.record(
                FUNCTION,
                Problem::OperandCount {
                    function: name.to_owned(),
                    count: args.len(),
                },
            );
        }
        args.truncate(2);
        let second = args.pop().unwrap_or_else(stand_in);
        let first = args.pop().unwrap_or_else(stand_in);
        if name == "list_append" {
            for o in [&first, &second] {
                self.check_literal_type(name, o, AttrType::L);
                // DynamoDB takes if_not_exists inside list_append, but not list_append itself.
                if matches!(o, UpdateOperand::ListAppend(..)) {
                    self.problems
                        .record(FUNCTION, Problem::MisusedFunction(name.to_owned()));
                }
            }
            return UpdateOperand::ListAppend(Box::new(first), Box::new(second));
        }
        match first {
            UpdateOperand::Path(path) => UpdateOperand::IfNotExists(path, Box::new(second)),
            _ => {
                if known {
                    self.problems
                        .record(FUNCTION, Problem::RequiresPath(name.to_owned()));
                }
                UpdateOperand::IfNotExists(Path(Vec::new()), Box::new(second))
            }
        }
    }
}

#[cfg(test)]
#[path = "update_expression_tests.rs"]
mod tests;
