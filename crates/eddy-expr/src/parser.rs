//! Recursive-descent parser from tokens to the syntax tree ([`crate::ast`]). It reports only
//! what DynamoDB reports while reading: syntax errors (with DynamoDB's token/near text),
//! redundant parentheses (as soon as the outer pair closes) and, as a guard for the stack,
//! nesting beyond [`MAX_DEPTH`]. Everything else is checked on the finished tree.
//!
//! Conditions use a precedence loop: OR binds loosest, then AND, then NOT, then comparisons.
//! A `(` where a condition may start is ambiguous (`(a = b)` or `(a) = b`), so the parser
//! reads its contents as either and decides by what follows the `)`.

use crate::ast::{
    Action, ArithOp, Call, Clause, ClauseKind, Comparator, CondExpr, DocPath, Operand,
    ProjectionExpr, SetValue, Step, UpdateExpr,
};
use crate::error::Problem;
use crate::tokenizer::{Keyword, Kind, Token, tokenize};

/// Deepest nesting of parentheses, NOT and function calls the parser follows: past DynamoDB's
/// 300 operators, which bound how deep a valid expression can nest. A level costs up to ~12 KB
/// of stack in a debug build, which the server's 16 MiB threads hold
/// (`eddy_server::THREAD_STACK_BYTES`).
pub(crate) const MAX_DEPTH: usize = 300;

/// Parses a condition (ConditionExpression, FilterExpression, KeyConditionExpression).
pub(crate) fn parse_condition(text: &str) -> Result<CondExpr<'_>, Problem> {
    let mut p = Parser::new(text);
    let node = p.parse_binary(1)?;
    let cond = p.finish_cond(node)?;
    p.expect_end()?;
    Ok(cond)
}

/// Parses an UpdateExpression.
pub(crate) fn parse_update(text: &str) -> Result<UpdateExpr<'_>, Problem> {
    let mut p = Parser::new(text);
    let mut clauses = Vec::new();
    loop {
        let kind = match p.peek().kind {
            Kind::Keyword(Keyword::Set) => ClauseKind::Set,
            Kind::Keyword(Keyword::Remove) => ClauseKind::Remove,
            Kind::Keyword(Keyword::Add) => ClauseKind::Add,
            Kind::Keyword(Keyword::Delete) => ClauseKind::Delete,
            _ => return Err(p.syntax_error()),
        };
        p.advance();
        let mut actions = vec![p.parse_action(kind)?];
        while p.eat(Kind::Comma) {
            actions.push(p.parse_action(kind)?);
        }
        clauses.push(Clause { kind, actions });
        if p.peek().kind == Kind::Eof {
            return Ok(UpdateExpr { clauses });
        }
    }
}

/// Parses a ProjectionExpression.
pub(crate) fn parse_projection(text: &str) -> Result<ProjectionExpr<'_>, Problem> {
    let mut p = Parser::new(text);
    let mut paths = vec![p.parse_path()?];
    while p.eat(Kind::Comma) {
        paths.push(p.parse_path()?);
    }
    p.expect_end()?;
    Ok(ProjectionExpr { paths })
}

/// What a piece of a condition turned out to be. A function call can be either a condition
/// (`attribute_exists(a)`) or an operand (`size(a) > :n`); the parser keeps it as an operand
/// until it knows.
enum Node<'s> {
    Cond(CondExpr<'s>),
    Operand(Operand<'s>),
}

struct Parser<'s> {
    text: &'s str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl<'s> Parser<'s> {
    fn new(text: &'s str) -> Self {
        Parser {
            text,
            tokens: tokenize(text),
            pos: 0,
            depth: 0,
        }
    }

    fn peek(&self) -> Token {
        self.peek_at(self.pos)
    }

    fn peek_at(&self, pos: usize) -> Token {
        // The Eof token is always last, so reading past it keeps answering Eof.
        self.tokens
            .get(pos)
            .or(self.tokens.last())
            .copied()
            .unwrap_or(Token {
                kind: Kind::Eof,
                start: self.text.len(),
                end: self.text.len(),
            })
    }

    fn advance(&mut self) -> Token {
        let tok = self.peek();
        if tok.kind != Kind::Eof {
            self.pos += 1;
        }
        tok
    }

    fn eat(&mut self, kind: Kind) -> bool {
        if self.peek().kind == kind {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, kind: Kind) -> Result<Token, Problem> {
        if self.peek().kind == kind {
            Ok(self.advance())
        } else {
            Err(self.syntax_error())
        }
    }

    fn expect_end(&self) -> Result<(), Problem> {
        if self.peek().kind == Kind::Eof {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn slice(&self, tok: Token) -> &'s str {
        self.text.get(tok.start..tok.end).unwrap_or_default()
    }

    /// A syntax error at the current token. DynamoDB's `near` runs from the start of the
    /// previous token (or the start of the text) to the end of the next one (or the text).
    fn syntax_error(&self) -> Problem {
        let tok = self.peek();
        let from = match self.pos.checked_sub(1) {
            Some(prev) => self.peek_at(prev).start,
            None => 0,
        };
        let to = if tok.kind == Kind::Eof {
            tok.end
        } else {
            self.peek_at(self.pos + 1).end
        };
        let token = if tok.kind == Kind::Eof {
            "<EOF>".to_owned()
        } else {
            self.slice(tok).to_owned()
        };
        Problem::Syntax {
            token,
            near: self.text.get(from..to).unwrap_or_default().to_owned(),
        }
    }

    fn enter(&mut self) -> Result<(), Problem> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Problem::TooDeep(self.depth));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ---- conditions ----

    /// The precedence loop for AND and OR: `min_prec` 1 accepts both, 2 only AND. Chains of
    /// one operator are read iteratively and grouped to the left.
    fn parse_binary(&mut self, min_prec: u8) -> Result<Node<'s>, Problem> {
        let mut left = self.parse_not()?;
        loop {
            let (prec, is_and) = match self.peek().kind {
                Kind::Keyword(Keyword::Or) => (1, false),
                Kind::Keyword(Keyword::And) => (2, true),
                _ => return Ok(left),
            };
            if prec < min_prec {
                return Ok(left);
            }
            let l = Box::new(self.finish_cond(left)?);
            self.advance();
            let right = self.parse_binary(prec + 1)?;
            let r = Box::new(self.finish_cond(right)?);
            left = Node::Cond(if is_and {
                CondExpr::And(l, r)
            } else {
                CondExpr::Or(l, r)
            });
        }
    }

    fn parse_not(&mut self) -> Result<Node<'s>, Problem> {
        if self.peek().kind != Kind::Keyword(Keyword::Not) {
            return self.parse_comparison();
        }
        self.advance();
        self.enter()?;
        let inner = self.parse_not()?;
        let cond = self.finish_cond(inner)?;
        self.leave();
        Ok(Node::Cond(CondExpr::Not(Box::new(cond))))
    }

    /// A comparison, BETWEEN, IN, a function call, or a parenthesised condition or operand.
    fn parse_comparison(&mut self) -> Result<Node<'s>, Problem> {
        let left = if self.peek().kind == Kind::LParen {
            self.advance();
            self.enter()?;
            let inner = self.parse_binary(1)?;
            self.expect(Kind::RParen)?;
            self.leave();
            match inner {
                Node::Cond(cond) => {
                    if matches!(cond, CondExpr::Paren(_)) {
                        return Err(Problem::RedundantParentheses);
                    }
                    return Ok(Node::Cond(CondExpr::Paren(Box::new(cond))));
                }
                Node::Operand(op) => {
                    if matches!(op, Operand::Paren(_)) {
                        return Err(Problem::RedundantParentheses);
                    }
                    Operand::Paren(Box::new(op))
                }
            }
        } else {
            self.parse_operand()?
        };
        let op = match self.peek().kind {
            Kind::Eq => Comparator::Eq,
            Kind::Ne => Comparator::Ne,
            Kind::Lt => Comparator::Lt,
            Kind::Le => Comparator::Le,
            Kind::Gt => Comparator::Gt,
            Kind::Ge => Comparator::Ge,
            Kind::Keyword(Keyword::Between) => {
                self.advance();
                let low = self.parse_operand()?;
                self.expect(Kind::Keyword(Keyword::And))?;
                let high = self.parse_operand()?;
                return Ok(Node::Cond(CondExpr::Between {
                    subject: left,
                    low,
                    high,
                }));
            }
            Kind::Keyword(Keyword::In) => {
                self.advance();
                self.expect(Kind::LParen)?;
                let mut candidates = vec![self.parse_operand()?];
                while self.eat(Kind::Comma) {
                    candidates.push(self.parse_operand()?);
                }
                self.expect(Kind::RParen)?;
                return Ok(Node::Cond(CondExpr::In {
                    subject: left,
                    candidates,
                }));
            }
            _ => return Ok(Node::Operand(left)),
        };
        self.advance();
        let right = self.parse_operand()?;
        Ok(Node::Cond(CondExpr::Compare { op, left, right }))
    }

    /// Turns a piece into a condition. A function call (possibly in parentheses) is one; any
    /// other operand is a syntax error at the token after it, where DynamoDB expected an
    /// operator.
    fn finish_cond(&self, node: Node<'s>) -> Result<CondExpr<'s>, Problem> {
        match node {
            Node::Cond(cond) => Ok(cond),
            Node::Operand(op) => self.operand_as_cond(op),
        }
    }

    fn operand_as_cond(&self, op: Operand<'s>) -> Result<CondExpr<'s>, Problem> {
        match op {
            Operand::Call(call) => Ok(CondExpr::Call(call)),
            Operand::Paren(inner) => Ok(CondExpr::Paren(Box::new(self.operand_as_cond(*inner)?))),
            Operand::Path(_) | Operand::Value(_) => Err(self.syntax_error()),
        }
    }

    // ---- operands and paths ----

    fn parse_operand(&mut self) -> Result<Operand<'s>, Problem> {
        let tok = self.peek();
        match tok.kind {
            Kind::ValueRef => {
                self.advance();
                Ok(Operand::Value(self.slice(tok)))
            }
            Kind::LParen => {
                self.advance();
                self.enter()?;
                let inner = self.parse_operand()?;
                self.expect(Kind::RParen)?;
                self.leave();
                if matches!(inner, Operand::Paren(_)) {
                    return Err(Problem::RedundantParentheses);
                }
                Ok(Operand::Paren(Box::new(inner)))
            }
            Kind::Ident if self.peek_at(self.pos + 1).kind == Kind::LParen => {
                self.parse_call().map(Operand::Call)
            }
            Kind::Ident | Kind::NameRef => self.parse_path().map(Operand::Path),
            _ => Err(self.syntax_error()),
        }
    }

    fn parse_call(&mut self) -> Result<Call<'s>, Problem> {
        let name_tok = self.advance();
        let name = self.slice(name_tok);
        self.expect(Kind::LParen)?;
        self.enter()?;
        let mut args = vec![self.parse_operand()?];
        while self.eat(Kind::Comma) {
            args.push(self.parse_operand()?);
        }
        self.expect(Kind::RParen)?;
        self.leave();
        Ok(Call { name, args })
    }

    fn parse_path(&mut self) -> Result<DocPath<'s>, Problem> {
        let mut steps = vec![self.parse_name_step()?];
        loop {
            match self.peek().kind {
                Kind::Dot => {
                    self.advance();
                    steps.push(self.parse_name_step()?);
                }
                Kind::LBracket => {
                    self.advance();
                    let index = self.expect(Kind::Int)?;
                    steps.push(Step::Index(self.slice(index)));
                    self.expect(Kind::RBracket)?;
                }
                _ => return Ok(DocPath { steps }),
            }
        }
    }

    fn parse_name_step(&mut self) -> Result<Step<'s>, Problem> {
        let tok = self.peek();
        let step = match tok.kind {
            Kind::Ident => Step::Name(self.slice(tok)),
            Kind::NameRef => Step::NameRef(self.slice(tok)),
            _ => return Err(self.syntax_error()),
        };
        self.advance();
        Ok(step)
    }

    // ---- updates ----

    fn parse_action(&mut self, kind: ClauseKind) -> Result<Action<'s>, Problem> {
        let path = self.parse_path()?;
        match kind {
            ClauseKind::Set => {
                self.expect(Kind::Eq)?;
                Ok(Action::Set(path, self.parse_set_value()?))
            }
            ClauseKind::Remove => Ok(Action::Remove(path)),
            ClauseKind::Add | ClauseKind::Delete => {
                let value = self.expect(Kind::ValueRef)?;
                let value = self.slice(value);
                Ok(if kind == ClauseKind::Add {
                    Action::Add(path, value)
                } else {
                    Action::Delete(path, value)
                })
            }
        }
    }

    /// `operand`, `operand + operand`, `operand - operand`, or `(operand ± operand)`.
    fn parse_set_value(&mut self) -> Result<SetValue<'s>, Problem> {
        let left = if self.peek().kind == Kind::LParen {
            self.advance();
            self.enter()?;
            let inner = self.parse_operand()?;
            if let Some(op) = self.arith_op() {
                self.advance();
                let right = self.parse_operand()?;
                self.expect(Kind::RParen)?;
                self.leave();
                return Ok(SetValue::Arith {
                    op,
                    left: inner,
                    right,
                    parenthesized: true,
                });
            }
            self.expect(Kind::RParen)?;
            self.leave();
            if matches!(inner, Operand::Paren(_)) {
                return Err(Problem::RedundantParentheses);
            }
            Operand::Paren(Box::new(inner))
        } else {
            self.parse_operand()?
        };
        match self.arith_op() {
            Some(op) => {
                self.advance();
                let right = self.parse_operand()?;
                Ok(SetValue::Arith {
                    op,
                    left,
                    right,
                    parenthesized: false,
                })
            }
            None => Ok(SetValue::Operand(left)),
        }
    }

    fn arith_op(&self) -> Option<ArithOp> {
        match self.peek().kind {
            Kind::Plus => Some(ArithOp::Plus),
            Kind::Minus => Some(ArithOp::Minus),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax(token: &str, near: &str) -> Problem {
        Problem::Syntax {
            token: token.to_owned(),
            near: near.to_owned(),
        }
    }

    fn cond_err(text: &str) -> Problem {
        parse_condition(text).expect_err(text)
    }

    #[test]
    fn syntax_errors_carry_token_and_near() {
        assert_eq!(
            parse_update("INVALID SYNTAX HERE").expect_err("bad"),
            syntax("INVALID", "INVALID SYNTAX")
        );
        assert_eq!(cond_err("!!! INVALID !!!"), syntax("!", "!!"));
        assert_eq!(cond_err("a-b"), syntax("-", "a-b"));
        assert_eq!(
            parse_update("ADD hits : incr").expect_err("bad"),
            syntax(":", "hits : incr")
        );
        assert_eq!(cond_err("a = :v AND NOT #x"), syntax("<EOF>", "#x"));
        assert_eq!(cond_err("attribute_type()"), syntax(")", "()"));
        assert_eq!(
            parse_update("SET").expect_err("bad"),
            syntax("<EOF>", "SET")
        );
        assert_eq!(
            parse_update("SET a = ").expect_err("bad"),
            syntax("<EOF>", "= ")
        );
        assert_eq!(
            parse_projection("l[a]").expect_err("bad"),
            syntax("a", "[a]")
        );
        assert_eq!(
            cond_err("pk = :a AND __typename = :t"),
            syntax("_", "AND __")
        );
        assert_eq!(
            parse_update("SET  REMOVE #Options").expect_err("bad"),
            syntax("REMOVE", "SET  REMOVE #Options")
        );
        assert_eq!(cond_err("a > 4"), syntax("4", "> 4"));
        assert_eq!(cond_err("  a"), syntax("<EOF>", "a"));
    }

    #[test]
    fn rejects_malformed_conditions() {
        for text in [
            "things are not gonna be ok",
            "(size(a))[0] > a",
            "a",
            "a AND b",
            "(a) AND b = c",
            "(a = b) = c",
            "a = b c",
            "a BETWEEN b",
            "a IN ()",
            "a IN (b,)",
            "set = :v",
            "a = (b = c)",
            "f()",
            "a.",
            "a[",
            "a[-1] = b",
            "a.:v = b",
            "(a = b",
            "NOT",
        ] {
            assert!(
                matches!(parse_condition(text), Err(Problem::Syntax { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_malformed_updates() {
        for text in [
            "",
            "add :a b",
            "delete :a b",
            "remove :a",
            "set a = b / c",
            "set a = b * c",
            "set a[1] = \"eight\"",
            "set a[1] = 1",
            "SET if_not_exist(a, b) = a",
            "set (a = (b + c))",
            "set a = (b.c).d + e",
            "set a = (b.c)[0] + e",
            "set a = b + c + d",
            "set a = b c",
            "SET a = :v,",
            "ADD a b",
        ] {
            assert!(
                matches!(parse_update(text), Err(Problem::Syntax { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn redundant_parentheses() {
        for text in [
            "((a = b))",
            "((a)) = b",
            "a = ((b))",
            "NOT ((a = b))",
            "f(((a)))",
        ] {
            assert_eq!(
                parse_condition(text),
                Err(Problem::RedundantParentheses),
                "{text}"
            );
        }
        assert_eq!(
            parse_update("SET a = ((b))"),
            Err(Problem::RedundantParentheses)
        );
        for text in [
            "(a = b)",
            "(a) = (b)",
            "(a = b) AND (c = d)",
            "(size(b)) = :b",
            "((size(b)) = :b) AND c = :c",
        ] {
            assert!(parse_condition(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn precedence_not_and_or() {
        let c = parse_condition("NOT a = b AND c = d OR e = f").expect("parses");
        assert!(
            matches!(&c, CondExpr::Or(l, _) if matches!(**l, CondExpr::And(ref n, _) if matches!(**n, CondExpr::Not(_))))
        );
        let c = parse_condition("a = b OR c = d AND e = f").expect("parses");
        assert!(matches!(&c, CondExpr::Or(_, r) if matches!(**r, CondExpr::And(..))));
        let c = parse_condition("a between :a and :b and c = d").expect("parses");
        assert!(matches!(&c, CondExpr::And(l, _) if matches!(**l, CondExpr::Between { .. })));
    }

    #[test]
    fn round_trips_through_display() {
        for text in [
            "a = :v",
            "#a.b[1].#c <> :v",
            "NOT (a < b) AND c >= :x OR d <= e",
            "NOT NOT attribute_exists(a)",
            "a BETWEEN :lo AND :hi",
            "a IN (:a, :b, c.d)",
            "begins_with(a, :p) AND contains((b), :c) OR size(d) > :n",
            "(a = b OR c = d) AND ((e) = f OR (size(g)) > :n)",
            "attribute_type(a, :t) AND (attribute_not_exists(b))",
        ] {
            let first = parse_condition(text).expect(text);
            let printed = first.to_string();
            let second = parse_condition(&printed).expect(&printed);
            assert_eq!(first, second, "{text} -> {printed}");
        }
        for text in [
            "SET a = :v, b.c[2] = if_not_exists(b.c[2], :d) REMOVE x, y[3] ADD n :one DELETE s :set",
            "set a = a + :n, b = (c - :m), d = list_append(d, :l)",
            "remove a set b = (c)",
        ] {
            let first = parse_update(text).expect(text);
            let printed = first.to_string();
            assert_eq!(
                parse_update(&printed).expect(&printed),
                first,
                "{text} -> {printed}"
            );
        }
        let first = parse_projection("a, b.c, d[1][2].#e").expect("parses");
        assert_eq!(first.to_string(), "a, b.c, d[1][2].#e");
        assert_eq!(parse_projection(&first.to_string()).expect("parses"), first);
    }

    #[test]
    fn canonical_text() {
        let c = parse_condition("a=:v and not(b<>c)or d in(:x,:y)").expect("parses");
        assert_eq!(c.to_string(), "a = :v AND NOT (b <> c) OR d IN (:x, :y)");
        let u = parse_update("set a=b+:c remove d add e :f").expect("parses");
        assert_eq!(u.to_string(), "SET a = b + :c REMOVE d ADD e :f");
    }

    #[test]
    fn deep_nesting_fails_cleanly() {
        // As deep as the server's threads allow.
        std::thread::Builder::new()
            .stack_size(16 * 1024 * 1024)
            .spawn(deep_nesting_cases)
            .expect("thread")
            .join()
            .expect("no overflow");
    }

    fn deep_nesting_cases() {
        let deep = format!("{}a = b{}", "(a = b AND ".repeat(2000), ")".repeat(2000));
        assert_eq!(parse_condition(&deep), Err(Problem::TooDeep(MAX_DEPTH + 1)));
        let nots = format!("{}a = b", "NOT ".repeat(5000));
        assert_eq!(parse_condition(&nots), Err(Problem::TooDeep(MAX_DEPTH + 1)));
        let calls = format!("{}a{}", "size(".repeat(5000), ")".repeat(5000));
        assert!(matches!(parse_condition(&calls), Err(Problem::TooDeep(_))));
        let parens = "(".repeat(5000);
        assert!(parse_condition(&parens).is_err());
    }
}
