//! Recursive-descent parser from tokens to the parse tree ([`crate::syntax`]), with a Pratt
//! loop for operator precedence (PartiQL's: OR < AND < NOT < `=` `<>` IS IN < `<` `<=` `>`
//! `>=` BETWEEN LIKE < `+` `-` `||` < `*` `/` `%`) and a depth counter that fails cleanly
//! instead of overflowing the stack.
//!
//! It reports what PartiQL's parser reports (DynamoDB's `wasn't well formed` details), plus the
//! few refusals that are decided by syntax alone (aliases, unsupported clauses, RETURNING
//! shape); everything else is left to [`crate::translate`].

use crate::error::{PartiqlError, SyntaxError, Unsupported};
use crate::keywords::{FUNCTION_KEYWORDS, TYPE_NAMES};
use crate::syntax::{DmlOp, Expr, ExprKind, Parsed, Returning, SelectSyntax, Source, Step};
use crate::tokenizer::{Tok, Token, tokenize};

/// Deepest nesting of expressions the parser follows. Each level costs a few stack frames;
/// 64 stays far inside a worker thread's stack in a debug build.
const MAX_DEPTH: usize = 64;

/// Parses a whole statement; returns it with the number of `?` parameters it holds.
pub(crate) fn parse(text: &str) -> Result<(Parsed, usize), PartiqlError> {
    let toks = tokenize(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        params: 0,
    };
    let parsed = p.statement()?;
    if p.peek() == &Tok::Semicolon {
        p.pos += 1;
    }
    if p.peek() != &Tok::Eof {
        return Err(SyntaxError::TokenAfterExpression.into());
    }
    Ok((parsed, p.params))
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    params: usize,
}

/// What the parser returns.
type Parse<T> = Result<T, PartiqlError>;

impl Parser {
    fn token(&self) -> Option<&Token> {
        self.toks.get(self.pos).or(self.toks.last())
    }

    fn peek(&self) -> &Tok {
        self.token().map_or(&Tok::Eof, |t| &t.tok)
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        self.toks
            .get(self.pos + ahead)
            .map_or(&Tok::Eof, |t| &t.tok)
    }

    fn start(&self) -> usize {
        self.token().map_or(0, |t| t.start)
    }

    /// The end of the last consumed token.
    fn last_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(0, |t| t.end)
    }

    fn bump(&mut self) -> Tok {
        let tok = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        tok
    }

    fn is_keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Tok::Keyword(found) if *found == k)
    }

    fn eat_keyword(&mut self, k: &str) -> bool {
        let found = self.is_keyword(k);
        if found {
            self.pos += 1;
        }
        found
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        let found = self.peek() == tok;
        if found {
            self.pos += 1;
        }
        found
    }

    /// The error for a token that is not the one the grammar needs here.
    fn unexpected(&self) -> PartiqlError {
        match self.peek() {
            Tok::Keyword(_) => SyntaxError::UnexpectedKeyword,
            _ => SyntaxError::UnexpectedToken,
        }
        .into()
    }

    fn expect(&mut self, tok: &Tok) -> Parse<()> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn expect_keyword(&mut self, k: &str) -> Parse<()> {
        if self.eat_keyword(k) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn enter(&mut self) -> Parse<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(PartiqlError::TooDeep);
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ---- statements ----

    fn statement(&mut self) -> Parse<Parsed> {
        match self.bump() {
            Tok::Keyword("select") => self.select().map(Parsed::Select),
            Tok::Keyword("insert") => {
                self.expect_keyword("into")?;
                self.insert()
            }
            Tok::Keyword("update") => {
                let target = self.source(true)?;
                self.no_alias()?;
                let ops = self.dml_ops()?;
                let filter = self.where_clause()?;
                let returning = self.returning()?;
                Ok(Parsed::Update {
                    target,
                    ops,
                    filter,
                    returning,
                })
            }
            // PartiQL's FROM-first form: `FROM t [WHERE c] SET ...`.
            Tok::Keyword("from") => {
                let target = self.source(true)?;
                self.no_alias()?;
                let filter = self.where_clause()?;
                let ops = self.dml_ops()?;
                let returning = self.returning()?;
                Ok(Parsed::Update {
                    target,
                    ops,
                    filter,
                    returning,
                })
            }
            Tok::Keyword("delete") => {
                self.expect_keyword("from")?;
                let target = self.source(true)?;
                self.no_alias()?;
                let filter = self.where_clause()?;
                let returning = self.returning()?;
                Ok(Parsed::Delete {
                    target,
                    filter,
                    returning,
                })
            }
            Tok::Keyword("exists") => {
                self.expect(&Tok::LParen)?;
                self.expect_keyword("select")?;
                let select = self.select()?;
                self.expect(&Tok::RParen)?;
                Ok(Parsed::Exists(select))
            }
            Tok::Keyword("pivot") => Err(PartiqlError::unsupported(Unsupported::ValueProjection)),
            Tok::Eof | Tok::Semicolon => Err(SyntaxError::UnexpectedTerm.into()),
            _ => Err(SyntaxError::ExpectedDataManipulation.into()),
        }
    }

    fn select(&mut self) -> Parse<SelectSyntax> {
        if self.is_keyword("distinct") {
            return Err(PartiqlError::unsupported(Unsupported::Token(
                "DISTINCT".into(),
            )));
        }
        self.eat_keyword("all");
        if self.is_keyword("value") {
            return Err(PartiqlError::unsupported(Unsupported::ValueProjection));
        }
        let projection = if self.eat(&Tok::Star) {
            if self.peek() == &Tok::Comma {
                return Err(SyntaxError::StarNotAlone.into());
            }
            None
        } else {
            let mut items = vec![self.select_item()?];
            while self.eat(&Tok::Comma) {
                if self.peek() == &Tok::Star {
                    return Err(SyntaxError::StarNotAlone.into());
                }
                items.push(self.select_item()?);
            }
            Some(items)
        };
        self.expect_keyword("from")?;
        let from = self.source(false)?;
        self.no_alias()?;
        let filter = self.where_clause()?;
        for (keyword, clause) in [("group", "GROUP BY"), ("having", "HAVING")] {
            if self.is_keyword(keyword) {
                return Err(PartiqlError::unsupported(Unsupported::Clause(clause)));
            }
        }
        let mut order_by = Vec::new();
        if self.eat_keyword("order") {
            self.expect_keyword("by")?;
            loop {
                let item = self.expr(0)?;
                let descending = if self.eat_keyword("desc") {
                    true
                } else {
                    self.eat_keyword("asc");
                    false
                };
                order_by.push((item, descending));
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        for (keyword, clause) in [("limit", "LIMIT"), ("offset", "OFFSET")] {
            if self.is_keyword(keyword) {
                return Err(PartiqlError::unsupported(Unsupported::Clause(clause)));
            }
        }
        Ok(SelectSyntax {
            projection,
            from,
            filter,
            order_by,
        })
    }

    fn select_item(&mut self) -> Parse<Expr> {
        let item = self.expr(0)?;
        self.no_alias()?;
        Ok(item)
    }

    fn insert(&mut self) -> Parse<Parsed> {
        let target = self.source(true)?;
        if !self.eat_keyword("value") {
            return Err(match self.peek() {
                Tok::LBag => {
                    self.expr(0)?;
                    PartiqlError::unsupported(Unsupported::InsertMultiple)
                }
                _ => SyntaxError::TokenAfterExpression.into(),
            });
        }
        let value = self.expr(0)?;
        if self.is_keyword("on") {
            return Err(PartiqlError::unsupported(Unsupported::Clause(
                "ON CONFLICT",
            )));
        }
        let returning = self.returning()?;
        Ok(Parsed::Insert {
            target,
            value,
            returning,
        })
    }

    /// One or more `SET a = e, ...` and `REMOVE a, ...` clauses, in any order.
    fn dml_ops(&mut self) -> Parse<Vec<DmlOp>> {
        let mut ops = Vec::new();
        loop {
            if self.eat_keyword("set") {
                loop {
                    let target = self.expr(40)?;
                    if !self.eat(&Tok::Op("=")) {
                        return Err(self.unexpected());
                    }
                    let value = self.operand_after_operator(40)?;
                    ops.push(DmlOp::Set(target, value));
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
            } else if self.eat_keyword("remove") {
                loop {
                    ops.push(DmlOp::Remove(self.expr(40)?));
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
            } else if ops.is_empty() {
                return Err(self.unexpected());
            } else {
                return Ok(ops);
            }
        }
    }

    fn where_clause(&mut self) -> Parse<Option<Expr>> {
        if self.eat_keyword("where") {
            self.expr(0).map(Some)
        } else {
            Ok(None)
        }
    }

    fn returning(&mut self) -> Parse<Option<Returning>> {
        if !self.eat_keyword("returning") {
            return Ok(None);
        }
        let modified = match self.bump() {
            Tok::Keyword("modified") => true,
            Tok::Keyword("all") => false,
            _ => return Err(SyntaxError::UnexpectedToken.into()),
        };
        let new = match self.bump() {
            Tok::Keyword("new") => true,
            Tok::Keyword("old") => false,
            _ => return Err(SyntaxError::UnexpectedToken.into()),
        };
        if !self.eat(&Tok::Star) {
            return Err(PartiqlError::unsupported(Unsupported::ReturningStar));
        }
        if self.peek() == &Tok::Comma {
            return Err(PartiqlError::unsupported(Unsupported::ReturningMultiple));
        }
        Ok(Some(Returning { modified, new }))
    }

    /// A table reference: names joined by `.` (`"t"."i"`). `dml` selects the message for a
    /// missing name.
    fn source(&mut self, dml: bool) -> Parse<Source> {
        let mut source = Source {
            names: Vec::new(),
            has_index: false,
        };
        let start = self.start();
        match self.peek().clone() {
            Tok::Ident(name) | Tok::Quoted(name) => {
                self.pos += 1;
                source.names.push((name, start, self.last_end()));
            }
            _ if dml => return Err(SyntaxError::ExpectedIdentifier.into()),
            _ => return Err(self.term_error()),
        }
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.pos += 1;
                    let start = self.start();
                    match self.bump() {
                        Tok::Ident(name) | Tok::Quoted(name) => {
                            source.names.push((name, start, self.last_end()));
                        }
                        Tok::Keyword(_) => return Err(SyntaxError::InvalidPathDotComponent.into()),
                        _ => return Err(SyntaxError::UnexpectedToken.into()),
                    }
                }
                Tok::LBracket => {
                    self.pos += 1;
                    self.expr(0)?;
                    self.expect(&Tok::RBracket)?;
                    source.has_index = true;
                }
                _ => return Ok(source),
            }
        }
    }

    /// Refuses an alias after a table or select-list item (`AS x`, or a bare name).
    fn no_alias(&mut self) -> Parse<()> {
        match self.peek() {
            Tok::Keyword("as" | "at") | Tok::Ident(_) | Tok::Quoted(_) => {
                Err(PartiqlError::unsupported(Unsupported::Aliasing))
            }
            _ => Ok(()),
        }
    }

    // ---- expressions ----

    /// An expression whose operators all bind tighter than `min` (0 reads everything).
    fn expr(&mut self, min: u8) -> Parse<Expr> {
        self.enter()?;
        let mut left = self.prefix()?;
        loop {
            let negated = self.is_keyword("not")
                && matches!(self.peek_at(1), Tok::Keyword("in" | "between" | "like"));
            let look = if negated {
                self.peek_at(1)
            } else {
                self.peek()
            };
            let op: &'static str = match look {
                Tok::Keyword(k) if infix_precedence(k).is_some() => k,
                Tok::Op(o) if infix_precedence(o).is_some() => o,
                Tok::Star => "*",
                _ => break,
            };
            let prec = infix_precedence(op).unwrap_or_default();
            if prec <= min {
                break;
            }
            self.pos += 1 + usize::from(negated);
            let start = left.start;
            let kind = match op {
                "is" => {
                    let negated = self.eat_keyword("not");
                    let ty = self.type_name()?;
                    ExprKind::Is {
                        subject: Box::new(left),
                        ty,
                        negated,
                    }
                }
                "in" => ExprKind::In {
                    subject: Box::new(left),
                    list: Box::new(self.operand_after_operator(prec)?),
                    negated,
                },
                "between" => {
                    let low = self.operand_after_operator(prec)?;
                    self.expect_keyword("and")?;
                    let high = self.operand_after_operator(prec)?;
                    ExprKind::Between {
                        subject: Box::new(left),
                        low: Box::new(low),
                        high: Box::new(high),
                        negated,
                    }
                }
                _ => {
                    let right = self.operand_after_operator(prec)?;
                    let binary = ExprKind::Binary(op, Box::new(left), Box::new(right));
                    if negated {
                        // `a NOT LIKE b` is `NOT (a LIKE b)`.
                        let inner = Expr {
                            kind: binary,
                            start,
                            end: self.last_end(),
                        };
                        ExprKind::Unary("not", Box::new(inner))
                    } else {
                        binary
                    }
                }
            };
            left = Expr {
                kind,
                start,
                end: self.last_end(),
            };
        }
        self.leave();
        Ok(left)
    }

    /// The operand after an infix operator: DynamoDB reports a missing one specially.
    fn operand_after_operator(&mut self, prec: u8) -> Parse<Expr> {
        if matches!(self.peek(), Tok::Eof | Tok::Semicolon) {
            return Err(SyntaxError::MissingRightHandSide.into());
        }
        self.expr(prec)
    }

    fn type_name(&mut self) -> Parse<&'static str> {
        let word = match self.peek() {
            Tok::Keyword(k) => *k,
            Tok::Ident(w) => TYPE_NAMES
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(w))
                .map_or("", |(name, _)| *name),
            _ => "",
        };
        let Some(&(_, ty)) = TYPE_NAMES.iter().find(|(name, _)| *name == word) else {
            return Err(SyntaxError::ExpectedTypeName.into());
        };
        self.pos += 1;
        let ty = match (ty, self.peek()) {
            ("double_precision", Tok::Keyword("precision")) => {
                self.pos += 1;
                ty
            }
            ("double_precision", _) => return Err(SyntaxError::ExpectedTypeName.into()),
            ("character", Tok::Keyword("varying")) => {
                self.pos += 1;
                "character_varying"
            }
            _ => ty,
        };
        // Optional precision and scale: `DECIMAL(5, 2)`, `VARCHAR(10)`.
        if self.eat(&Tok::LParen) {
            loop {
                if !matches!(self.bump(), Tok::Num(_)) {
                    return Err(SyntaxError::UnexpectedToken.into());
                }
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
            self.expect(&Tok::RParen)?;
        }
        Ok(ty)
    }

    fn prefix(&mut self) -> Parse<Expr> {
        let start = self.start();
        let (op, prec) = match self.peek() {
            Tok::Keyword("not") => ("not", 30),
            Tok::Op("-") => ("-", 80),
            Tok::Op("+") => ("+", 80),
            _ => return self.term(),
        };
        self.pos += 1;
        if op != "not"
            && let Tok::Num(n) = self.peek()
        {
            // A signed number literal, as PartiQL folds it.
            let text = if op == "-" {
                format!("-{n}")
            } else {
                n.clone()
            };
            self.pos += 1;
            return Ok(Expr {
                kind: ExprKind::Num(text),
                start,
                end: self.last_end(),
            });
        }
        if matches!(self.peek(), Tok::Eof | Tok::Semicolon) {
            return Err(SyntaxError::UnexpectedTerm.into());
        }
        let inner = self.expr(prec)?;
        Ok(Expr {
            kind: ExprKind::Unary(op, Box::new(inner)),
            start,
            end: self.last_end(),
        })
    }

    /// The error for a token that cannot start an expression.
    fn term_error(&self) -> PartiqlError {
        match self.peek() {
            Tok::Keyword("and" | "or" | "is" | "in" | "like" | "between") | Tok::Op(_) => {
                SyntaxError::UnexpectedOperator
            }
            Tok::Keyword(_) => SyntaxError::UnexpectedKeyword,
            _ => SyntaxError::UnexpectedTerm,
        }
        .into()
    }

    fn term(&mut self) -> Parse<Expr> {
        let start = self.start();
        let kind = match self.peek().clone() {
            Tok::Str(s) => {
                self.pos += 1;
                ExprKind::Str(s)
            }
            Tok::Num(n) => {
                self.pos += 1;
                ExprKind::Num(n)
            }
            Tok::Keyword("true") => {
                self.pos += 1;
                ExprKind::Bool(true)
            }
            Tok::Keyword("false") => {
                self.pos += 1;
                ExprKind::Bool(false)
            }
            Tok::Keyword("null") => {
                self.pos += 1;
                ExprKind::Null
            }
            Tok::Keyword("missing") => {
                self.pos += 1;
                ExprKind::Missing
            }
            Tok::Param => {
                self.pos += 1;
                self.params += 1;
                ExprKind::Param(self.params - 1)
            }
            Tok::Ident(name) if self.peek_at(1) == &Tok::LParen => {
                self.pos += 1;
                self.call(name)?
            }
            Tok::Keyword(k)
                if FUNCTION_KEYWORDS.contains(&k) && self.peek_at(1) == &Tok::LParen =>
            {
                self.pos += 1;
                self.call(k.to_owned())?
            }
            Tok::Ident(name) | Tok::Quoted(name) => {
                self.pos += 1;
                self.path(name)?
            }
            Tok::Keyword("case") => {
                return Err(PartiqlError::unsupported(Unsupported::Token("CASE".into())));
            }
            Tok::LParen => {
                self.pos += 1;
                if self.is_keyword("select") {
                    return Err(PartiqlError::unsupported(Unsupported::Token(
                        "SELECT".into(),
                    )));
                }
                let first = self.expr(0)?;
                if self.eat(&Tok::RParen) {
                    return Ok(first);
                }
                let mut items = vec![first];
                while self.eat(&Tok::Comma) {
                    items.push(self.expr(0)?);
                }
                self.expect(&Tok::RParen)?;
                ExprKind::List(items)
            }
            Tok::LBracket => {
                self.pos += 1;
                ExprKind::List(self.sequence(&Tok::RBracket)?)
            }
            Tok::LBag => {
                self.pos += 1;
                ExprKind::Bag(self.sequence(&Tok::RBag)?)
            }
            Tok::LBrace => {
                self.pos += 1;
                self.tuple()?
            }
            _ => return Err(self.term_error()),
        };
        Ok(Expr {
            kind,
            start,
            end: self.last_end(),
        })
    }

    /// Comma-separated expressions up to `close` (possibly none).
    fn sequence(&mut self, close: &Tok) -> Parse<Vec<Expr>> {
        self.enter()?;
        let mut items = Vec::new();
        if !self.eat(close) {
            loop {
                items.push(self.expr(0)?);
                if self.eat(close) {
                    break;
                }
                self.expect(&Tok::Comma)?;
            }
        }
        self.leave();
        Ok(items)
    }

    fn tuple(&mut self) -> Parse<ExprKind> {
        self.enter()?;
        let mut fields = Vec::new();
        if !self.eat(&Tok::RBrace) {
            loop {
                let key = self.expr(0)?;
                self.expect(&Tok::Colon)?;
                let value = self.expr(0)?;
                fields.push((key, value));
                if self.eat(&Tok::RBrace) {
                    break;
                }
                self.expect(&Tok::Comma)?;
            }
        }
        self.leave();
        Ok(ExprKind::Tuple(fields))
    }

    fn call(&mut self, name: String) -> Parse<ExprKind> {
        self.pos += 1; // `(`
        let args = self.sequence(&Tok::RParen)?;
        Ok(ExprKind::Call(name, args))
    }

    /// The steps after a path's first name.
    fn path(&mut self, root: String) -> Parse<ExprKind> {
        let mut steps = Vec::new();
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.pos += 1;
                    steps.push(match self.bump() {
                        Tok::Ident(name) | Tok::Quoted(name) => Step::Name(name),
                        Tok::Star => Step::Unpivot,
                        Tok::Keyword(_) => return Err(SyntaxError::InvalidPathDotComponent.into()),
                        _ => return Err(SyntaxError::UnexpectedToken.into()),
                    });
                }
                Tok::LBracket => {
                    self.pos += 1;
                    let closes = self.peek_at(1) == &Tok::RBracket;
                    let step = match self.peek().clone() {
                        Tok::Star if closes => Step::Wildcard,
                        Tok::Num(n) if closes && n.bytes().all(|b| b.is_ascii_digit()) => {
                            Step::Index(n)
                        }
                        Tok::Str(s) if closes => Step::Name(s),
                        _ => {
                            self.expr(0)?;
                            self.expect(&Tok::RBracket)?;
                            steps.push(Step::Other);
                            continue;
                        }
                    };
                    self.pos += 2;
                    steps.push(step);
                }
                _ => return Ok(ExprKind::Path(root, steps)),
            }
        }
    }
}

/// Precedence of `=`, `<>`, IS and IN.
pub(crate) const EQUALITY: u8 = 40;
/// Precedence of `<`, `<=`, `>`, `>=`, BETWEEN and LIKE.
pub(crate) const RELATIONAL: u8 = 50;

/// How tightly each infix operator binds (higher binds tighter; PartiQL's order). The printer
/// reads the same table to write back only the parentheses a tree needs.
pub(crate) fn infix_precedence(op: &str) -> Option<u8> {
    Some(match op {
        "or" => 10,
        "and" => 20,
        "=" | "<>" | "is" | "in" => EQUALITY,
        "<" | "<=" | ">" | ">=" | "between" | "like" => RELATIONAL,
        "+" | "-" | "||" => 60,
        "*" | "/" | "%" => 70,
        _ => return None,
    })
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
