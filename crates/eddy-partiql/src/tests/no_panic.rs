//! No input makes any phase panic.

use eddy_types::{AttributeValue, Number};

use super::*;

/// Random statements built from PartiQL's pieces, and every prefix of valid ones, never panic
/// in any phase: parse, bind, key extraction, lowering, evaluation, application, projection.
#[test]
fn random_and_truncated_statements_never_panic() {
    const PIECES: [&str; 56] = [
        "SELECT",
        "*",
        "FROM",
        "\"t\"",
        "t",
        ".",
        "\"i\"",
        "WHERE",
        "pk",
        "sk",
        "a",
        "b.c",
        "[0]",
        "=",
        "<>",
        "<",
        ">=",
        "AND",
        "OR",
        "NOT",
        "IN",
        "BETWEEN",
        "IS",
        "MISSING",
        "NULL",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "<<",
        ">>",
        ",",
        ":",
        "?",
        "'x'",
        "1",
        "-2.5",
        "1e200",
        "INSERT INTO",
        "VALUE",
        "UPDATE",
        "SET",
        "REMOVE",
        "DELETE",
        "RETURNING ALL OLD *",
        "ORDER BY",
        "DESC",
        "EXISTS",
        "size",
        "begins_with",
        "set_add",
        "list_append",
        "+",
        ";",
    ];
    let valid = [
        "SELECT a, b.c[1] FROM \"t\" WHERE pk = ? AND sk BETWEEN 1 AND 5 ORDER BY sk DESC",
        "INSERT INTO t VALUE {'pk': 'a', 'l': [1, ?, {'m': <<'x'>>}], 'n': -0.5}",
        "UPDATE t SET a = a + ?, l = list_append(l, [1]), s = set_add(s, <<1>>) REMOVE b.c[0] WHERE pk = 'a' AND sk = 2 RETURNING ALL NEW *",
        "DELETE FROM t WHERE pk = ? AND (x IS MISSING OR NOT contains(y, 'z'))",
        "EXISTS(SELECT * FROM t WHERE pk = 'a' AND sk = 1 AND size(l) > 2)",
    ];
    let params = [
        s("a"),
        n("3"),
        AttributeValue::Ss(vec!["q".into()]),
        AttributeValue::L(vec![n("1")]),
        AttributeValue::Null,
    ];
    let it = item(&[
        ("pk", s("a")),
        ("sk", n("2")),
        ("a", n("1")),
        (
            "b",
            AttributeValue::M(item(&[("c", AttributeValue::L(vec![n("1")]))])),
        ),
        ("l", AttributeValue::L(vec![n("1"), n("2"), n("3")])),
        ("s", AttributeValue::Ns(vec![Number::from_i64(2)])),
    ]);
    let bound_count = std::cell::Cell::new(0usize);
    let lowered = std::cell::Cell::new(0usize);
    let exercise = |text: &str| {
        let Ok(st) = parse(text) else { return };
        let _ = (st.table(), st.is_read(), st.has_returning());
        let bound_params: Vec<AttributeValue> = params
            .iter()
            .cycle()
            .take(st.param_count())
            .cloned()
            .collect();
        let Ok(b) = st.bind(&bound_params) else {
            return;
        };
        bound_count.set(bound_count.get() + 1);
        let check_where = |w: &Where| {
            if let Ok(c) = w.condition() {
                c.evaluate(&it);
                lowered.set(lowered.get() + 1);
            }
            for range in [None, Some("sk")] {
                if let Ok(t) = w.single_item("pk", range)
                    && let Some(c) = t.condition
                {
                    c.evaluate(&it);
                }
                let range: Vec<&str> = range.into_iter().collect();
                let _ = w.key_condition(eddy_expr::KeyNames {
                    hash: &["pk"],
                    range: &range,
                });
            }
        };
        match b {
            BoundStatement::Select(sel) | BoundStatement::Exists(sel) => {
                sel.project(&it);
                let _ = sel.scan_forward("pk", Some("sk"));
                let _ = sel.single_item_key(SingleRead::Batch, "pk", None);
                let _ = sel.condition_check("pk", Some("sk"));
                if let Some(w) = &sel.filter {
                    check_where(w);
                }
            }
            BoundStatement::Insert(_) => {}
            BoundStatement::Update(u) => {
                let _ = u.target("pk", Some("sk"));
                if let Ok(update) = u.update_expression() {
                    let mut copy = it.clone();
                    let _ = update.apply(&mut copy);
                }
            }
            BoundStatement::Delete(d) => {
                let _ = d.target("pk", None);
            }
        }
    };
    for text in valid {
        assert!(parse(text).is_ok(), "{text}");
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            exercise(&text[..end]);
        }
    }
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 16) as usize + 1;
        let mut text = String::new();
        for i in 0..len {
            let pick = (seed.rotate_left(i as u32 * 7) % PIECES.len() as u64) as usize;
            text.push_str(PIECES[pick]);
            text.push(' ');
        }
        exercise(&text);
    }
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..3_000 {
        let text = rng.statement();
        exercise(&text);
        // The same statement with one word dropped.
        let words: Vec<&str> = text.split(' ').collect();
        let drop = rng.below(words.len());
        let mutated: Vec<&str> = words
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != drop)
            .map(|(_, w)| *w)
            .collect();
        exercise(&mutated.join(" "));
    }
    // The generator reaches the later phases, not just the parser's errors.
    assert!(bound_count.get() > 2_000, "{} bound", bound_count.get());
    assert!(lowered.get() > 500, "{} lowered", lowered.get());
}

/// A generator of mostly well-formed statements, to drive every phase with varied input.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len())]
    }

    fn path(&mut self) -> String {
        self.pick(&[
            "pk", "sk", "a", "b.c", "b.c[0]", "l[1]", "\"q r\"", "s", "m['k']",
        ])
        .to_owned()
    }

    fn value(&mut self, depth: usize) -> String {
        match self.below(if depth > 2 { 7 } else { 10 }) {
            0 => "'x'".into(),
            1 => self
                .pick(&["1", "-2.5", "0.0", "1e5", "12345678901234567890"])
                .into(),
            2 => "?".into(),
            3 => self.pick(&["true", "false", "null"]).into(),
            4 => self.pick(&["<<'a', 'b'>>", "<<1, 2>>", "<<3>>"]).into(),
            5 | 6 => "'2'".into(),
            7 => format!("[{}, {}]", self.value(depth + 1), self.value(depth + 1)),
            8 => format!("{{'k': {}}}", self.value(depth + 1)),
            _ => "[]".into(),
        }
    }

    fn operand(&mut self) -> String {
        match self.below(5) {
            0 | 1 => self.path(),
            2 | 3 => self.value(0),
            _ => format!("size({})", self.path()),
        }
    }

    fn cond(&mut self, depth: usize) -> String {
        match self.below(if depth > 3 { 6 } else { 10 }) {
            0 | 1 => {
                let op = self.pick(&["=", "<>", "<", "<=", ">", ">=", "!="]);
                format!("{} {op} {}", self.operand(), self.operand())
            }
            2 => format!(
                "{} BETWEEN {} AND {}",
                self.path(),
                self.value(0),
                self.value(0)
            ),
            3 => format!("{} IN [{}, {}]", self.path(), self.value(0), self.value(0)),
            4 => {
                let f = self.pick(&["begins_with", "contains", "attribute_type"]);
                format!("{f}({}, {})", self.path(), self.value(0))
            }
            5 => {
                let ty = self.pick(&[
                    "MISSING",
                    "NOT MISSING",
                    "NULL",
                    "STRING",
                    "NUMERIC",
                    "LIST",
                ]);
                format!("{} IS {ty}", self.path())
            }
            6 => format!("NOT {}", self.cond(depth + 1)),
            7 => format!("({} OR {})", self.cond(depth + 1), self.cond(depth + 1)),
            _ => format!("{} AND {}", self.cond(depth + 1), self.cond(depth + 1)),
        }
    }

    fn key(&mut self) -> String {
        match self.below(4) {
            0 => format!("pk = {}", self.value(3)),
            1 => format!("pk = {} AND sk = {}", self.value(3), self.value(3)),
            2 => format!("sk = {} AND pk = ? AND {}", self.value(3), self.cond(2)),
            _ => self.cond(0),
        }
    }

    fn statement(&mut self) -> String {
        match self.below(5) {
            0 => {
                let projection = self.pick(&["*", "a", "a, b.c", "l[1], m['k']"]);
                let order = self.pick(&["", " ORDER BY sk DESC", " ORDER BY pk"]);
                format!("SELECT {projection} FROM t WHERE {}{order}", self.key())
            }
            1 => format!(
                "INSERT INTO t VALUE {{'pk': {}, 'a': {}, 'b': {}}}",
                self.value(2),
                self.value(0),
                self.value(0)
            ),
            2 => {
                let target = self.path();
                let value = match self.below(5) {
                    0 => format!("{} + {}", self.operand(), self.operand()),
                    1 => format!("list_append({}, [1])", self.path()),
                    2 => format!("set_add({target}, {})", self.value(0)),
                    3 => format!("if_not_exists({}, {})", self.path(), self.value(0)),
                    _ => self.value(0),
                };
                let remove = self.path();
                let returning =
                    self.pick(&["", " RETURNING ALL NEW *", " RETURNING MODIFIED OLD *"]);
                format!(
                    "UPDATE t SET {target} = {value} REMOVE {remove} WHERE {}{returning}",
                    self.key()
                )
            }
            3 => format!("DELETE FROM t WHERE {}", self.key()),
            _ => format!("EXISTS(SELECT * FROM t WHERE {})", self.key()),
        }
    }
}
