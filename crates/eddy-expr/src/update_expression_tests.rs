use super::*;
use crate::test_support::{names, values};

fn parse(text: &str) -> Result<Update, ExprError> {
    let (names, values) = (names(), values());
    let mut ph = Placeholders::new(Some(&names), Some(&values));
    parse_update(text, &mut ph)
}

/// The message without the `Invalid UpdateExpression: ` prefix.
fn problem(text: &str) -> String {
    match parse(text) {
        Ok(u) => panic!("{text} parsed: {u:?}"),
        Err(e) => e
            .to_string()
            .strip_prefix("Invalid UpdateExpression: ")
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{text}: {e}")),
    }
}

#[test]
fn empty_and_syntax() {
    assert_eq!(
        parse("").expect_err("empty").to_string(),
        "Invalid UpdateExpression: The expression can not be empty;"
    );
    assert_eq!(
        problem("ADD hits : incr"),
        "Syntax error; token: \":\", near: \"hits : incr\""
    );
    assert_eq!(
        problem("INVALID SYNTAX HERE"),
        "Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\""
    );
}

#[test]
fn reserved_words() {
    assert_eq!(
        problem(" set #c = :s set abOrt = true "),
        "Attribute name is a reserved keyword; reserved keyword: abOrt"
    );
    assert_eq!(
        problem(" remove Absolute "),
        "Attribute name is a reserved keyword; reserved keyword: Absolute"
    );
    assert_eq!(
        problem("SET a = if_not_exists(status, :s)"),
        "Attribute name is a reserved keyword; reserved keyword: status"
    );
}

#[test]
fn functions() {
    assert_eq!(
        problem("set #c = if_not_exist(:c) set c = d"),
        "Invalid function name; function: if_not_exist"
    );
    assert_eq!(
        problem("set a = size(b)"),
        "The function is not allowed in an update expression; function: size"
    );
    assert_eq!(
        problem("set a = if_not_exists(c)"),
        "Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1"
    );
    assert_eq!(
        problem("set a = list_append(list_append(a, b), c)"),
        "The function is not allowed to be used this way in an expression; function: list_append"
    );
    assert_eq!(
        problem("set a = list_append(c)"),
        "Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1"
    );
    for text in [
        "set a = if_not_exists(:s, c)",
        "set a = if_not_exists(if_not_exists(a, b), c)",
    ] {
        assert_eq!(
            problem(text),
            "Operator or function requires a document path; operator or function: if_not_exists",
            "{text}"
        );
    }
    for (text, function, ty) in [
        ("set a = list_append(:s, a)", "list_append", "S"),
        ("set a = list_append(a, :n)", "list_append", "N"),
        ("set a = list_append(:m, a)", "list_append", "M"),
        ("set a = a + :s", "+", "S"),
        ("set a = :s + :b", "+", "S"),
        ("set a = :b + a", "+", "B"),
        ("set a = a + :ss", "+", "SS"),
        ("set a = a - :l", "-", "L"),
        ("set a = a - :bool", "-", "BOOL"),
    ] {
        assert_eq!(
            problem(text),
            format!(
                "Incorrect operand type for operator or function; operator or function: {function}, operand type: {ty}"
            ),
            "{text}"
        );
    }
}

#[test]
fn repeated_sections() {
    for (text, section) in [
        ("set a = #c set c = :s", "SET"),
        ("remove #d set a = b remove e", "REMOVE"),
        ("add #d :e set a = b add e :f", "ADD"),
        ("delete #d :e set a = b delete #c :f", "DELETE"),
    ] {
        assert_eq!(
            problem(text),
            format!("The \"{section}\" section can only be used once in an update expression;"),
            "{text}"
        );
    }
}

#[test]
fn undefined_placeholders() {
    assert_eq!(
        problem("SET #zz = if_not_exists(:c)"),
        "An expression attribute name used in the document path is not defined; attribute name: #zz"
    );
    assert_eq!(
        problem("SET #a = if_not_exists(:c)"),
        "An expression attribute value used in expression is not defined; attribute value: :c"
    );
    // Names before values, whatever the order written.
    assert_eq!(
        problem("SET a = :zz, b = #zz"),
        "An expression attribute name used in the document path is not defined; attribute name: #zz"
    );
}

#[test]
fn overlapping_and_conflicting_paths() {
    assert_eq!(
        problem("set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)"),
        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [c, [1], a], path two: [c]"
    );
    assert_eq!(
        problem("set #c[3].#idx = a, #c[3] = a"),
        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [c, [3], [3]], path two: [c, [3]]"
    );
    assert_eq!(
        problem("set #c[3].#idx = a, #c.#idx[3] = if_not_exists(a)"),
        "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [c, [3], [3]], path two: [c, [3], [3]]"
    );
    assert_eq!(
        problem("remove a.#c set a[1] = #idx"),
        "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, c], path two: [a, [1]]"
    );
    assert_eq!(
        problem("SET a = :s REMOVE a"),
        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"
    );
}

#[test]
fn add_and_delete_operand_types() {
    // The ADD type outranks the function problems before it.
    assert_eq!(
        problem("set b = list_append(:s, a), c = if_not_exists(a) add a.b :s"),
        "Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"
    );
    for (value, add_ty) in [
        (":s", "STRING"),
        (":null", "NULL"),
        (":bool", "BOOLEAN"),
        (":b", "BINARY"),
        (":m", "MAP"),
        (":l", "LIST"),
    ] {
        assert_eq!(
            problem(&format!("add a.b {value}")),
            format!(
                "Incorrect operand type for operator or function; operator: ADD, operand type: {add_ty}, typeSet: ALLOWED_FOR_ADD_OPERAND"
            )
        );
        assert_eq!(
            problem(&format!("delete a.b {value}")),
            format!(
                "Incorrect operand type for operator or function; operator: DELETE, operand type: {add_ty}, typeSet: ALLOWED_FOR_DELETE_OPERAND"
            )
        );
    }
    assert_eq!(
        problem("delete a.b :n"),
        "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND"
    );
    for text in [
        "add a :n",
        "add a :ss",
        "add a :ns",
        "add a :bs",
        "delete a :ss",
        "delete a :bs",
    ] {
        assert!(parse(text).is_ok(), "{text}");
    }
}

#[test]
fn operator_limit() {
    let actions: Vec<String> = (0..301).map(|i| format!("a{i}=b+:n")).collect();
    let text = format!("SET {}", actions.join(","));
    assert!(text.len() <= 4096);
    assert_eq!(
        problem(&text),
        "The expression contains too many operators; operator count: 301"
    );
    let text = format!("SET {}", actions[..300].join(","));
    assert!(parse(&text).is_ok());
}

#[test]
fn targets_paths_and_types() {
    let u = parse(
        "SET a = :s, b.c = list_append(b.c, :l), n = x + :n REMOVE r[1] ADD s :ss DELETE #d :ss",
    )
    .expect("parses");
    let targets: Vec<String> = u.target_paths().iter().map(ToString::to_string).collect();
    assert_eq!(
        targets,
        ["[a]", "[b, c]", "[n]", "[r, [1]]", "[s]", "[data]"]
    );
    let all: Vec<String> = u.paths().iter().map(ToString::to_string).collect();
    assert_eq!(
        all,
        [
            "[a]", "[b, c]", "[b, c]", "[n]", "[x]", "[r, [1]]", "[s]", "[data]"
        ]
    );
    assert_eq!(u.assigned_type("a"), Some(AttrType::S));
    assert_eq!(u.assigned_type("n"), Some(AttrType::N));
    assert_eq!(u.assigned_type("s"), Some(AttrType::Ss));
    assert_eq!(u.assigned_type("b"), None);
    assert_eq!(u.assigned_type("r"), None);
    let u = parse("SET a = if_not_exists(a, :n), l = list_append(:l, l)").expect("parses");
    assert_eq!(u.assigned_type("a"), Some(AttrType::N));
    assert_eq!(u.assigned_type("l"), Some(AttrType::L));
}
