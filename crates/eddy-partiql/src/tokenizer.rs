//! Splits a statement into tokens. Anything the lexer cannot read (an unterminated string,
//! quoted name or block comment, a character no token starts with, an Ion literal in
//! backticks, an exponent beyond 32 bits) fails the whole statement with DynamoDB's empty
//! `wasn't well formed` detail, as DynamoDB's lexer does.

use crate::error::{Position, SyntaxError};
use crate::keywords::keyword;

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A bare name that is not a keyword.
    Ident(String),
    /// A keyword, lower case (see [`crate::keywords`]).
    Keyword(&'static str),
    /// A double-quoted name, unescaped (`""` → `"`).
    Quoted(String),
    /// A single-quoted string, unescaped (`''` → `'`).
    Str(String),
    /// A number as written (`12`, `1.50`, `.5`, `1e-3`).
    Num(String),
    /// `?`.
    Param,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    /// `<<`.
    LBag,
    /// `>>`.
    RBag,
    Comma,
    Dot,
    Colon,
    Semicolon,
    Star,
    /// An operator: `=`, `<>` (also written `!=`), `<`, `<=`, `>`, `>=`, `+`, `-`, `/`, `%`,
    /// `||`.
    Op(&'static str),
    /// The end of the statement; always the last token.
    Eof,
}

/// A token and its byte range in the statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Splits `text` into tokens ending with [`Tok::Eof`].
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut lexer = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let mut out = Vec::new();
    loop {
        lexer.skip_blanks()?;
        let start = lexer.pos;
        let tok = match lexer.next_tok()? {
            Some(tok) => tok,
            None => {
                out.push(Token {
                    tok: Tok::Eof,
                    start,
                    end: start,
                });
                return Ok(out);
            }
        };
        out.push(Token {
            tok,
            start,
            end: lexer.pos,
        });
    }
}

/// The position of the byte range `start..end` of `text`, for messages.
pub(crate) fn position(text: &str, start: usize, end: usize) -> Position {
    let before = text.get(..start).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line: before.matches('\n').count() + 1,
        column: before.get(line_start..).map_or(0, |s| s.chars().count()) + 1,
        length: text.get(start..end).map_or(0, |s| s.chars().count()),
    }
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    /// Skips whitespace and `--` / `/* */` comments.
    fn skip_blanks(&mut self) -> Result<(), SyntaxError> {
        loop {
            let rest = self.text.get(self.pos..).unwrap_or("");
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if trimmed.starts_with("--") {
                self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
            } else if trimmed.starts_with("/*") {
                let end = trimmed.get(2..).and_then(|s| s.find("*/"));
                self.pos += end.ok_or(SyntaxError::Lexical)? + 4;
            } else {
                return Ok(());
            }
        }
    }

    fn next_tok(&mut self) -> Result<Option<Tok>, SyntaxError> {
        let Some(c) = self.peek(0) else {
            return Ok(None);
        };
        let two = |l: &mut Self, tok: Tok| {
            l.pos += 2;
            tok
        };
        let one = |l: &mut Self, tok: Tok| {
            l.pos += 1;
            tok
        };
        let next = self.peek(1);
        Ok(Some(match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'$' => self.word(),
            b'0'..=b'9' => self.number()?,
            b'.' if next.is_some_and(|d| d.is_ascii_digit()) => self.number()?,
            b'\'' => Tok::Str(self.quoted(b'\'')?),
            b'"' => Tok::Quoted(self.quoted(b'"')?),
            b'<' if next == Some(b'<') => two(self, Tok::LBag),
            b'<' if next == Some(b'>') => two(self, Tok::Op("<>")),
            b'<' if next == Some(b'=') => two(self, Tok::Op("<=")),
            b'<' => one(self, Tok::Op("<")),
            b'>' if next == Some(b'>') => two(self, Tok::RBag),
            b'>' if next == Some(b'=') => two(self, Tok::Op(">=")),
            b'>' => one(self, Tok::Op(">")),
            b'!' if next == Some(b'=') => two(self, Tok::Op("<>")),
            b'|' if next == Some(b'|') => two(self, Tok::Op("||")),
            b'=' => one(self, Tok::Op("=")),
            b'+' => one(self, Tok::Op("+")),
            b'-' => one(self, Tok::Op("-")),
            b'/' => one(self, Tok::Op("/")),
            b'%' => one(self, Tok::Op("%")),
            b'?' => one(self, Tok::Param),
            b'(' => one(self, Tok::LParen),
            b')' => one(self, Tok::RParen),
            b'[' => one(self, Tok::LBracket),
            b']' => one(self, Tok::RBracket),
            b'{' => one(self, Tok::LBrace),
            b'}' => one(self, Tok::RBrace),
            b',' => one(self, Tok::Comma),
            b'.' => one(self, Tok::Dot),
            b':' => one(self, Tok::Colon),
            b';' => one(self, Tok::Semicolon),
            b'*' => one(self, Tok::Star),
            _ => return Err(SyntaxError::Lexical),
        }))
    }

    fn word(&mut self) -> Tok {
        let start = self.pos;
        while self
            .peek(0)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
        {
            self.pos += 1;
        }
        let word = self.text.get(start..self.pos).unwrap_or("");
        match keyword(word) {
            Some(k) => Tok::Keyword(k),
            None => Tok::Ident(word.to_owned()),
        }
    }

    /// Digits with an optional fraction and exponent. An exponent, or the scale it leaves
    /// (fraction digits minus exponent), beyond 32 bits fails as DynamoDB's lexer does.
    fn number(&mut self) -> Result<Tok, SyntaxError> {
        let start = self.pos;
        let digits = |l: &mut Self| {
            let from = l.pos;
            while l.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                l.pos += 1;
            }
            l.pos - from
        };
        digits(self);
        let mut fraction = 0;
        if self.peek(0) == Some(b'.') {
            self.pos += 1;
            fraction = digits(self);
        }
        if matches!(self.peek(0), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(self.peek(1), Some(b'+' | b'-')));
            if self.peek(1 + sign).is_some_and(|c| c.is_ascii_digit()) {
                let exp_start = self.pos + 1;
                self.pos += 1 + sign;
                digits(self);
                let exp: i64 = self
                    .text
                    .get(exp_start..self.pos)
                    .and_then(|e| e.parse().ok())
                    .filter(|e| i32::try_from(*e).is_ok())
                    .ok_or(SyntaxError::Lexical)?;
                let scale = i64::try_from(fraction).unwrap_or(i64::MAX) - exp;
                if i32::try_from(scale).is_err() {
                    return Err(SyntaxError::Lexical);
                }
            }
        }
        Ok(Tok::Num(
            self.text.get(start..self.pos).unwrap_or("").to_owned(),
        ))
    }

    /// A string or quoted name closed by `quote`; a doubled quote stands for one.
    fn quoted(&mut self, quote: u8) -> Result<String, SyntaxError> {
        let mut out = String::new();
        self.pos += 1;
        loop {
            let rest = self.text.get(self.pos..).ok_or(SyntaxError::Lexical)?;
            let close = rest
                .bytes()
                .position(|b| b == quote)
                .ok_or(SyntaxError::Lexical)?;
            out.push_str(rest.get(..close).unwrap_or(""));
            self.pos += close + 1;
            if self.peek(0) == Some(quote) {
                out.push(char::from(quote));
                self.pos += 1;
            } else {
                return Ok(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        tokenize(text)
            .expect("tokenizes")
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn words_strings_numbers() {
        assert_eq!(
            toks("SELECT \"a\"\"b\" FROM t WHERE x = 'it''s' AND n >= -1.5e3"),
            vec![
                Tok::Keyword("select"),
                Tok::Quoted("a\"b".into()),
                Tok::Keyword("from"),
                Tok::Ident("t".into()),
                Tok::Keyword("where"),
                Tok::Ident("x".into()),
                Tok::Op("="),
                Tok::Str("it's".into()),
                Tok::Keyword("and"),
                Tok::Ident("n".into()),
                Tok::Op(">="),
                Tok::Op("-"),
                Tok::Num("1.5e3".into()),
                Tok::Eof,
            ]
        );
        assert_eq!(
            toks(".5 1.")[..2],
            [Tok::Num(".5".into()), Tok::Num("1.".into())]
        );
        // An `e` without digits is not an exponent.
        assert_eq!(
            toks("1e x")[..2],
            [Tok::Num("1".into()), Tok::Ident("e".into())]
        );
    }

    #[test]
    fn punctuation_and_comments() {
        assert_eq!(
            toks("<<1>> != <> <= || ? -- comment\n /* block */ ;"),
            vec![
                Tok::LBag,
                Tok::Num("1".into()),
                Tok::RBag,
                Tok::Op("<>"),
                Tok::Op("<>"),
                Tok::Op("<="),
                Tok::Op("||"),
                Tok::Param,
                Tok::Semicolon,
                Tok::Eof,
            ]
        );
    }

    #[test]
    fn lexical_errors() {
        for bad in [
            "'open",
            "\"open",
            "a /* open",
            "a # b",
            "`ion`",
            "1e2147483648",
            "1.5e-2147483647",
            "é",
        ] {
            assert_eq!(tokenize(bad), Err(SyntaxError::Lexical), "{bad}");
        }
        assert!(tokenize("1e2147483647").is_ok());
    }

    #[test]
    fn positions_count_characters() {
        let text = "a\néé bcd";
        let start = text.find("bcd").expect("present");
        assert_eq!(
            position(text, start, start + 3),
            Position {
                line: 2,
                column: 4,
                length: 3
            }
        );
    }
}
