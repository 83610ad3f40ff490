use super::*;
use crate::test_support::{item, l, n, names, s, ss, values};

fn parse_with(text: &str, param: ExprParam) -> Result<Condition, ExprError> {
    let (names, values) = (names(), values());
    let mut ph = Placeholders::new(Some(&names), Some(&values));
    parse_condition(text, param, &mut ph)
}

fn err(text: &str) -> String {
    match parse_with(text, ExprParam::ConditionExpression) {
        Ok(c) => panic!("{text} parsed: {c:?}"),
        Err(e) => e.to_string(),
    }
}

/// The message without the `Invalid ConditionExpression: ` prefix.
fn problem(text: &str) -> String {
    err(text)
        .strip_prefix("Invalid ConditionExpression: ")
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("{text}: no prefix"))
}

fn ok(text: &str) -> Condition {
    parse_with(text, ExprParam::ConditionExpression).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn empty_and_syntax_errors() {
    assert_eq!(
        err(""),
        "Invalid ConditionExpression: The expression can not be empty;"
    );
    assert_eq!(
        err("INVALID SYNTAX HERE"),
        "Invalid ConditionExpression: Syntax error; token: \"SYNTAX\", near: \"INVALID SYNTAX HERE\""
    );
    assert_eq!(
        err("a = :s AND NOT #a"),
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"#a\""
    );
    assert_eq!(
        parse_with("a-b", ExprParam::FilterExpression)
            .expect_err("syntax")
            .to_string(),
        "Invalid FilterExpression: Syntax error; token: \"-\", near: \"a-b\""
    );
}

#[test]
fn placeholders_must_be_defined() {
    assert_eq!(
        parse_with("#missing = :s", ExprParam::FilterExpression)
            .expect_err("undefined")
            .to_string(),
        "Invalid FilterExpression: An expression attribute name used in the document path is not defined; attribute name: #missing"
    );
    assert_eq!(
        problem("a = :v"),
        "An expression attribute value used in expression is not defined; attribute value: :v"
    );
    let mut none = Placeholders::new(None, None);
    assert!(parse_condition("#a = :s", ExprParam::ConditionExpression, &mut none).is_err());
}

#[test]
fn reserved_words_and_index_range() {
    assert_eq!(
        problem("status = :s"),
        "Attribute name is a reserved keyword; reserved keyword: status"
    );
    assert_eq!(
        problem("a.Data = :s"),
        "Attribute name is a reserved keyword; reserved keyword: Data"
    );
    assert!(parse_with("#s = :s", ExprParam::ConditionExpression).is_ok());
    assert_eq!(
        problem("a[2147483648] = :s"),
        "List index is not within the allowable range; index: [2147483648]"
    );
    assert!(parse_with("a[2147483647] = :s", ExprParam::ConditionExpression).is_ok());
}

#[test]
fn functions_in_the_wrong_place() {
    assert_eq!(problem("foo(a)"), "Invalid function name; function: foo");
    assert_eq!(
        problem("SIZE(a) > :n"),
        "Invalid function name; function: SIZE"
    );
    assert_eq!(
        problem("size(a)"),
        "The function is not allowed to be used this way in an expression; function: size"
    );
    assert_eq!(
        problem("a = attribute_exists(b)"),
        "The function is not allowed to be used this way in an expression; function: attribute_exists"
    );
    assert_eq!(
        problem("if_not_exists(a, :s) = :s"),
        "The function is not allowed in a condition expression; function: if_not_exists"
    );
}

#[test]
fn pass_priorities() {
    // A function problem outranks an earlier reserved word.
    assert_eq!(
        problem("status = :s AND foo(a)"),
        "Invalid function name; function: foo"
    );
    assert_eq!(
        problem("status = :s AND size(a)"),
        "The function is not allowed to be used this way in an expression; function: size"
    );
    // An unknown function outranks an earlier misplaced one.
    assert_eq!(
        problem("size(a) AND foo(b)"),
        "Invalid function name; function: foo"
    );
    // Redundant parentheses outrank everything after parsing.
    assert_eq!(
        problem("foo(a) AND ((b = :s))"),
        "The expression has redundant parentheses;"
    );
    // A reserved word outranks undefined placeholders.
    assert_eq!(
        problem("#missing = :v AND status = :s"),
        "Attribute name is a reserved keyword; reserved keyword: status"
    );
    // Conditions are checked in order: the first one with a problem reports.
    assert_eq!(
        problem("a = :missing AND #missing = :s"),
        "An expression attribute value used in expression is not defined; attribute value: :missing"
    );
    assert_eq!(
        problem("a < :bool AND b = :missing"),
        "Incorrect operand type for operator or function; operator or function: <, operand type: BOOL"
    );
    // Within one condition an undefined placeholder outranks the operand count.
    assert_eq!(
        problem("attribute_exists(a, :missing)"),
        "An expression attribute value used in expression is not defined; attribute value: :missing"
    );
}

#[test]
fn operand_counts_paths_and_types() {
    assert_eq!(
        problem("attribute_exists(a, b)"),
        "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"
    );
    assert_eq!(
        problem("size(a, b) > :n"),
        "Incorrect number of operands for operator or function; operator or function: size, number of operands: 2"
    );
    assert_eq!(
        problem("attribute_not_exists(:s)"),
        "Operator or function requires a document path; operator or function: attribute_not_exists"
    );
    assert_eq!(
        problem("begins_with(a, :n)"),
        "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    );
    assert!(parse_with("begins_with(a, :b)", ExprParam::ConditionExpression).is_ok());
    assert_eq!(
        problem("size(:n) > :n"),
        "Incorrect operand type for operator or function; operator or function: size, operand type: N"
    );
    assert_eq!(
        problem("size(size(a)) > :n"),
        "Incorrect operand type for operator or function; operator or function: size, operand type: N"
    );
    assert!(parse_with("size(:s) > :n", ExprParam::ConditionExpression).is_ok());
    for (ty, key) in [
        ("BOOL", ":bool"),
        ("NULL", ":null"),
        ("SS", ":ss"),
        ("L", ":l"),
        ("M", ":m"),
    ] {
        for op in ["<", "<=", ">", ">="] {
            assert_eq!(
                problem(&format!("a {op} {key}")),
                format!(
                    "Incorrect operand type for operator or function; operator or function: {op}, operand type: {ty}"
                )
            );
        }
        assert!(parse_with(&format!("a = {key}"), ExprParam::ConditionExpression).is_ok());
        assert!(parse_with(&format!("a <> {key}"), ExprParam::ConditionExpression).is_ok());
    }
    assert_eq!(
        problem("a BETWEEN :bool AND :bool"),
        "Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL"
    );
    assert_eq!(
        problem("size(a) > :bool"),
        "Incorrect operand type for operator or function; operator or function: >, operand type: BOOL"
    );
}

#[test]
fn attribute_type_names() {
    assert!(parse_with("attribute_type(a, :t)", ExprParam::ConditionExpression).is_ok());
    assert_eq!(
        problem("attribute_type(a, :bad)"),
        "Invalid attribute type name found; type: X, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
    );
    assert_eq!(
        problem("attribute_type(a, :n)"),
        "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"
    );
    assert_eq!(
        problem("attribute_type(a, b)"),
        "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}"
    );
}

#[test]
fn operands_must_be_distinct() {
    assert_eq!(
        problem("contains(#d, #d)"),
        "The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [data]"
    );
    assert_eq!(
        problem("a.b[1] = #a.b[1]"),
        "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a, b, [1]]"
    );
    assert_eq!(
        problem("a IN (:s, a)"),
        "The first operand must be distinct from the remaining operands for this operator or function; operator: IN, first operand: [a]"
    );
    assert!(parse_with("a = b", ExprParam::ConditionExpression).is_ok());
}

#[test]
fn between_bounds() {
    assert_eq!(
        problem("a BETWEEN :n AND :s"),
        "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}"
    );
    assert_eq!(
        problem("a BETWEEN :n2 AND :n"),
        "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}"
    );
    assert!(parse_with("a BETWEEN :n AND :n", ExprParam::ConditionExpression).is_ok());
    assert!(parse_with("a BETWEEN :n AND b", ExprParam::ConditionExpression).is_ok());
}

#[test]
fn limits() {
    let big = format!("a = :s{}", " ".repeat(4091));
    assert_eq!(big.len(), 4097);
    assert_eq!(
        err(&big),
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097"
    );
    assert!(parse_with(&big[..4096], ExprParam::ConditionExpression).is_ok());

    let many = vec!["a = :s"; 151].join(" AND ");
    assert_eq!(
        problem(&many),
        "The expression contains too many operators; operator count: 301"
    );
    let enough = vec!["a = :s"; 150].join(" AND ");
    assert!(parse_with(&enough, ExprParam::ConditionExpression).is_ok());

    let list = vec![":s"; 101].join(", ");
    assert_eq!(
        problem(&format!("a IN ({list})")),
        "The IN operator is provided with too many operands; number of operands: 101"
    );
    let list = vec![":s"; 100].join(", ");
    assert!(parse_with(&format!("a IN ({list})"), ExprParam::ConditionExpression).is_ok());

    let deep = format!("a{} = :s", ".b".repeat(32));
    assert_eq!(
        problem(&deep),
        "The document path has too many nesting levels; nesting levels: 33"
    );
    assert!(
        parse_with(
            &format!("a{} = :s", ".b".repeat(31)),
            ExprParam::ConditionExpression
        )
        .is_ok()
    );
}

#[test]
fn placeholders_are_marked_used() {
    let names = names();
    let values = values();
    let mut ph = Placeholders::new(Some(&names), Some(&values));
    parse_condition("#a = :s", ExprParam::ConditionExpression, &mut ph).expect("parses");
    let e = ph.check_all_used().expect_err("unused names");
    assert_eq!(
        e.to_string(),
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b, #c, #d, #idx, #s}"
    );
}

#[test]
fn evaluates_against_items() {
    let it = item(&[
        ("a", s("a")),
        ("num", n("5")),
        ("tags", ss(&["a", "x"])),
        ("elems", l(vec![s("a"), n("1")])),
        ("data", s("abc")),
    ]);
    let cases = [
        ("a = :s", true),
        ("#a = :s2", false),
        ("a <> :s2", true),
        ("nope <> :s", true),
        ("NOT nope = :s", true),
        ("num > :n AND num <= :n2", false),
        ("num > :n OR num <= :n2", true),
        ("num BETWEEN :n AND :n2", false),
        ("num IN (:n, :n2, :s)", false),
        ("a IN (:s2, :s)", true),
        ("contains(tags, :s)", true),
        ("contains(elems, :n)", true),
        ("contains(#d, :s)", true),
        ("begins_with(#d, :s)", true),
        ("attribute_exists(a) AND attribute_not_exists(b)", true),
        ("attribute_type(num, :t)", true),
        ("size(tags) = :n2", true),
        ("size(#d) > :n2", true),
        ("(a = :s OR num = :n) AND NOT (contains(tags, :s2))", true),
        ("a = :s AND num = :n OR tags = :ss", false),
    ];
    for (text, expected) in cases {
        assert_eq!(ok(text).evaluate(&it), expected, "{text}");
    }
}

#[test]
fn paths_are_reported() {
    let c = ok("#a.b[2] = :s AND size(c) > :n OR attribute_exists(#d)");
    let printed: Vec<String> = c.paths().iter().map(ToString::to_string).collect();
    assert_eq!(printed, ["[a, b, [2]]", "[c]", "[data]"]);
}
