//! Splits expression text into tokens. The tokenizer never fails: a character DynamoDB does
//! not accept becomes a one-character `Bad` token, so every problem surfaces as a syntax error
//! at the place the parser meets it, with DynamoDB's token/near text.
//!
//! Tokens are small `Copy` records of byte offsets into the text, so tokenizing allocates one
//! vector and nothing else.

/// The keywords of every expression grammar. DynamoDB reads them as keywords everywhere (so
/// `set = :v` is a syntax error in a condition too), case-insensitively.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keyword {
    And,
    Or,
    Not,
    Between,
    In,
    Set,
    Remove,
    Add,
    Delete,
}

impl Keyword {
    fn from_word(word: &str) -> Option<Keyword> {
        const WORDS: [(&str, Keyword); 9] = [
            ("AND", Keyword::And),
            ("OR", Keyword::Or),
            ("NOT", Keyword::Not),
            ("BETWEEN", Keyword::Between),
            ("IN", Keyword::In),
            ("SET", Keyword::Set),
            ("REMOVE", Keyword::Remove),
            ("ADD", Keyword::Add),
            ("DELETE", Keyword::Delete),
        ];
        WORDS
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(word))
            .map(|&(_, k)| k)
    }
}

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A name: a letter, then letters, digits and underscores.
    Ident,
    /// `#` followed by letters, digits and underscores.
    NameRef,
    /// `:` followed by letters, digits and underscores.
    ValueRef,
    /// A list index: `0`, or a digit 1-9 followed by digits.
    Int,
    Keyword(Keyword),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    /// One character no token starts with (including a bare `#` or `:`).
    Bad,
    /// The end of the text; always the last token.
    Eof,
}

/// One token: its kind and its byte range in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Tokenizes `text`; the result always ends with one `Eof` token.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    // Most tokens are a few bytes long; this avoids regrowing for typical expressions.
    let mut tokens = Vec::with_capacity(bytes.len() / 3 + 2);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
            continue;
        }
        let start = i;
        let word_end = |from: usize| {
            let mut j = from;
            while bytes.get(j).copied().is_some_and(is_word_byte) {
                j += 1;
            }
            j
        };
        let next = bytes.get(i + 1).copied();
        let (kind, end) = match b {
            b'a'..=b'z' | b'A'..=b'Z' => {
                let end = word_end(i + 1);
                let word = text.get(start..end).unwrap_or_default();
                let kind = Keyword::from_word(word).map_or(Kind::Ident, Kind::Keyword);
                (kind, end)
            }
            b'#' | b':' => {
                let end = word_end(i + 1);
                if end == i + 1 {
                    (Kind::Bad, end)
                } else if b == b'#' {
                    (Kind::NameRef, end)
                } else {
                    (Kind::ValueRef, end)
                }
            }
            // DynamoDB reads a leading zero as a whole index, so `[01]` fails at the `1`.
            b'0' => (Kind::Int, i + 1),
            b'1'..=b'9' => {
                let mut j = i + 1;
                while bytes.get(j).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
                (Kind::Int, j)
            }
            b'<' if next == Some(b'>') => (Kind::Ne, i + 2),
            b'<' if next == Some(b'=') => (Kind::Le, i + 2),
            b'>' if next == Some(b'=') => (Kind::Ge, i + 2),
            b'<' => (Kind::Lt, i + 1),
            b'>' => (Kind::Gt, i + 1),
            b'=' => (Kind::Eq, i + 1),
            b'(' => (Kind::LParen, i + 1),
            b')' => (Kind::RParen, i + 1),
            b'[' => (Kind::LBracket, i + 1),
            b']' => (Kind::RBracket, i + 1),
            b',' => (Kind::Comma, i + 1),
            b'.' => (Kind::Dot, i + 1),
            b'+' => (Kind::Plus, i + 1),
            b'-' => (Kind::Minus, i + 1),
            _ => {
                // One whole character, however many bytes it takes in UTF-8.
                let len = text
                    .get(start..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(1, char::len_utf8);
                (Kind::Bad, i + len)
            }
        };
        tokens.push(Token { kind, start, end });
        i = end;
    }
    tokens.push(Token {
        kind: Kind::Eof,
        start: bytes.len(),
        end: bytes.len(),
    });
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind> {
        tokenize(text).into_iter().map(|t| t.kind).collect()
    }

    fn texts(text: &str) -> Vec<&str> {
        tokenize(text)
            .into_iter()
            .map(|t| &text[t.start..t.end])
            .collect()
    }

    #[test]
    fn splits_names_placeholders_and_operators() {
        assert_eq!(
            texts("a.b[10] <= :v_1 AND #n<>x"),
            [
                "a", ".", "b", "[", "10", "]", "<=", ":v_1", "AND", "#n", "<>", "x", ""
            ]
        );
        assert_eq!(
            kinds("a.b[10] <= :v_1 AND #n<>x"),
            [
                Kind::Ident,
                Kind::Dot,
                Kind::Ident,
                Kind::LBracket,
                Kind::Int,
                Kind::RBracket,
                Kind::Le,
                Kind::ValueRef,
                Kind::Keyword(Keyword::And),
                Kind::NameRef,
                Kind::Ne,
                Kind::Ident,
                Kind::Eof
            ]
        );
    }

    #[test]
    fn keywords_ignore_case_and_need_whole_words() {
        assert_eq!(
            kinds("set Remove aDD delete settings"),
            [
                Kind::Keyword(Keyword::Set),
                Kind::Keyword(Keyword::Remove),
                Kind::Keyword(Keyword::Add),
                Kind::Keyword(Keyword::Delete),
                Kind::Ident,
                Kind::Eof
            ]
        );
    }

    #[test]
    fn odd_characters_become_bad_tokens() {
        assert_eq!(texts("!!"), ["!", "!", ""]);
        assert_eq!(texts("__typename"), ["_", "_", "typename", ""]);
        assert_eq!(texts(": x"), [":", "x", ""]);
        assert_eq!(texts("é€"), ["é", "€", ""]);
        assert_eq!(kinds("# :"), [Kind::Bad, Kind::Bad, Kind::Eof]);
        assert_eq!(texts("[012]"), ["[", "0", "12", "]", ""]);
    }

    #[test]
    fn eof_sits_at_the_end() {
        let toks = tokenize("  a  ");
        assert_eq!(toks.len(), 2);
        assert_eq!((toks[1].start, toks[1].end), (5, 5));
    }
}
