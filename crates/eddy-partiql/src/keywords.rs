//! PartiQL's keywords (SQL-92's plus PartiQL's own), as DynamoDB's parser knows them. A bare
//! word on this list is a keyword, never a name: `WHERE pad = 1` is a syntax error and the
//! attribute must be written `"pad"`. Some keywords also name functions (`size(a)`,
//! `exists(...)`), which the parser allows when `(` follows.
//!
//! The list is partiql-lang-kotlin's `KEYWORDS` (`end-exec` left out: the tokenizer never
//! produces a word with a hyphen).

/// Every keyword, lower case, sorted for binary search.
#[rustfmt::skip]
const KEYWORDS: [&str; 252] = [
    "absolute", "action", "add", "all", "allocate", "alter", "and", "any", "are", "as", "asc",
    "assertion", "at", "authorization", "avg", "bag", "begin", "between", "bigint", "bit",
    "bit_length", "blob", "bool", "boolean", "by", "can_cast", "can_lossless_cast", "cascade",
    "cascaded", "case", "cast", "catalog", "char", "char_length", "character", "character_length",
    "check", "clob", "close", "coalesce", "collate", "collation", "column", "commit", "conflict",
    "connect", "connection", "constraint", "constraints", "continue", "convert", "corresponding",
    "count", "create", "cross", "current", "current_date", "current_time", "current_timestamp",
    "current_user", "cursor", "date", "date_add", "date_diff", "deallocate", "dec", "decimal",
    "declare", "default", "deferrable", "deferred", "delete", "desc", "describe", "descriptor",
    "diagnostics", "disconnect", "distinct", "do", "domain", "double", "drop", "else", "end",
    "escape", "except", "exception", "exec", "execute", "exists", "external", "extract", "false",
    "fetch", "first", "float", "for", "foreign", "found", "from", "full", "get", "global", "go",
    "goto", "grant", "group", "having", "identity", "immediate", "in", "index", "indicator",
    "initially", "inner", "input", "insensitive", "insert", "int", "int2", "int4", "int8",
    "integer", "integer2", "integer4", "integer8", "intersect", "interval", "into", "is",
    "isolation", "join", "key", "language", "last", "left", "let", "level", "like", "limit",
    "list", "local", "lower", "match", "max", "min", "missing", "modified", "module", "names",
    "national", "natural", "nchar", "new", "next", "no", "not", "nothing", "null", "nullif",
    "numeric", "octet_length", "of", "offset", "old", "on", "only", "open", "option", "or",
    "order", "outer", "output", "overlaps", "pad", "partial", "pivot", "position", "precision",
    "prepare", "preserve", "primary", "prior", "privileges", "procedure", "public", "read", "real",
    "references", "relative", "remove", "restrict", "returning", "revoke", "right", "rollback",
    "rows", "schema", "scroll", "section", "select", "session", "session_user", "set", "sexp",
    "size", "smallint", "some", "space", "sql", "sqlcode", "sqlerror", "sqlstate", "string",
    "struct", "substring", "sum", "symbol", "system_user", "table", "temporary", "then", "time",
    "timestamp", "to", "transaction", "translate", "translation", "trim", "true", "tuple", "union",
    "unique", "unknown", "unpivot", "update", "upper", "usage", "user", "using", "value", "values",
    "varchar", "varying", "view", "when", "whenever", "where", "with", "work", "write", "zone",
];

/// Keywords that name functions when `(` follows (PartiQL's function-name keywords and the
/// special forms it reads as calls).
pub(crate) const FUNCTION_KEYWORDS: [&str; 24] = [
    "avg",
    "bag",
    "bit_length",
    "cast",
    "char_length",
    "character_length",
    "coalesce",
    "count",
    "date_add",
    "date_diff",
    "exists",
    "extract",
    "list",
    "lower",
    "max",
    "min",
    "nullif",
    "octet_length",
    "sexp",
    "size",
    "substring",
    "sum",
    "trim",
    "upper",
];

/// Type names `IS` accepts, with the canonical name each stands for.
pub(crate) const TYPE_NAMES: [(&str, &str); 35] = [
    ("any", "any"),
    ("bag", "bag"),
    ("bigint", "integer8"),
    ("blob", "blob"),
    ("bool", "boolean"),
    ("boolean", "boolean"),
    ("char", "character"),
    ("character", "character"),
    ("clob", "clob"),
    ("date", "date"),
    ("dec", "decimal"),
    ("decimal", "decimal"),
    ("double", "double_precision"),
    ("float", "float"),
    ("int", "integer"),
    ("int2", "smallint"),
    ("int4", "integer4"),
    ("int8", "integer8"),
    ("integer", "integer"),
    ("integer2", "smallint"),
    ("integer4", "integer4"),
    ("integer8", "integer8"),
    ("list", "list"),
    ("missing", "missing"),
    ("null", "null"),
    ("numeric", "numeric"),
    ("real", "real"),
    ("sexp", "sexp"),
    ("smallint", "smallint"),
    ("string", "string"),
    ("struct", "struct"),
    ("symbol", "symbol"),
    ("time", "time"),
    ("timestamp", "timestamp"),
    ("tuple", "tuple"),
];

/// The keyword `word` is (as its lower-case `'static` spelling), if it is one.
pub(crate) fn keyword(word: &str) -> Option<&'static str> {
    let lower = word.to_ascii_lowercase();
    KEYWORDS
        .binary_search(&lower.as_str())
        .ok()
        .and_then(|i| KEYWORDS.get(i).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_case_insensitive() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(keyword("SeLeCt"), Some("select"));
        assert_eq!(keyword("inner"), Some("inner"));
        assert_eq!(keyword("pk"), None);
        assert_eq!(keyword("status"), None);
    }
}
