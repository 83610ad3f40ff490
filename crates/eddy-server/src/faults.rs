//! Fault injection, for testing clients' retry code: rules that fail a share of requests with
//! the errors DynamoDB throttles or fails with, or delay them. The same text form comes from
//! `--inject-errors` / `--inject-latency` and from the test-control endpoint `/_eddy/faults`:
//! `op=PutItem,rate=0.1,error=ProvisionedThroughputExceededException` and
//! `op=*,p=0.01,delay=200ms`.

use std::fmt;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use eddy_types::parse_duration;

use crate::error::{ApiError, ErrorKind, ThrottlingReason};
use crate::protocol::Operation;

/// Which requests a rule applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpMatch {
    /// Every operation (`op=*`).
    Any,
    /// One operation.
    One(Operation),
}

/// The errors a rule can answer with: those a client's retry code must handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InjectedError {
    /// ProvisionedThroughputExceededException: a provisioned table's capacity.
    ProvisionedThroughputExceeded,
    /// ThrottlingException: an on-demand table's throughput.
    Throttling,
    /// RequestLimitExceeded: the account's throughput quota.
    RequestLimitExceeded,
    /// InternalServerError (HTTP 500).
    InternalServerError,
}

impl InjectedError {
    const ALL: [Self; 4] = [
        Self::ProvisionedThroughputExceeded,
        Self::Throttling,
        Self::RequestLimitExceeded,
        Self::InternalServerError,
    ];

    fn kind(self) -> ErrorKind {
        match self {
            Self::ProvisionedThroughputExceeded => ErrorKind::ProvisionedThroughputExceeded,
            Self::Throttling => ErrorKind::Throttling,
            Self::RequestLimitExceeded => ErrorKind::RequestLimitExceeded,
            Self::InternalServerError => ErrorKind::InternalServerError,
        }
    }

    /// DynamoDB's message for the error.
    fn message(self) -> &'static str {
        match self {
            Self::ProvisionedThroughputExceeded => {
                "The level of configured provisioned throughput for the table was exceeded. \
                 Consider increasing your provisioning level with the UpdateTable API."
            }
            Self::Throttling => {
                "Throughput exceeds the current capacity of your table or index. DynamoDB is \
                 automatically scaling your table or index so please try again shortly. If \
                 exceptions persist, check if you have a hot key: \
                 https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html"
            }
            Self::RequestLimitExceeded => {
                "Throughput exceeds the current throughput limit for your account. Please \
                 contact AWS Support at https://aws.amazon.com/support request a limit increase"
            }
            Self::InternalServerError => "Internal server error",
        }
    }

    /// The limit part of a ThrottlingReason (`Table` + `Read`/`Write` + this); None for errors
    /// that are not throttling.
    fn limit(self) -> Option<&'static str> {
        match self {
            Self::ProvisionedThroughputExceeded => Some("ProvisionedThroughputExceeded"),
            Self::Throttling => Some("MaxOnDemandThroughputExceeded"),
            Self::RequestLimitExceeded => Some("AccountLimitExceeded"),
            Self::InternalServerError => None,
        }
    }
}

/// What a rule does to the requests it picks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Effect {
    /// Answer this error instead of running the request.
    Error(InjectedError),
    /// Wait this long before running the request.
    Latency(Duration),
}

/// One fault rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaultRule {
    /// The requests it applies to.
    pub op: OpMatch,
    /// The share of those requests it picks, from 0 to 1.
    pub probability: f64,
    /// What it does to them.
    pub effect: Effect,
}

impl std::str::FromStr for FaultRule {
    type Err = String;

    /// Parses `op=NAME|*` (default `*`), `rate=` or `p=` (a share from 0 to 1), and either
    /// `error=NAME` or `delay=DURATION`, separated by commas.
    fn from_str(text: &str) -> Result<Self, String> {
        let mut op = OpMatch::Any;
        let mut probability = None;
        let mut effect = None;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}` in `{text}` is not key=value"))?;
            match key.trim() {
                "op" => op = parse_op(value.trim())?,
                "rate" | "p" => {
                    let share: f64 = value.trim().parse().map_err(|_| {
                        format!("{key}=`{value}` in `{text}` is not a number from 0 to 1")
                    })?;
                    if !(0.0..=1.0).contains(&share) {
                        return Err(format!("{key}={value} in `{text}` is not between 0 and 1"));
                    }
                    probability = Some(share);
                }
                "error" => effect = Some(Effect::Error(parse_error(value.trim())?)),
                "delay" => {
                    let delay =
                        parse_duration(value).map_err(|e| format!("delay in `{text}`: {e}"))?;
                    effect = Some(Effect::Latency(delay));
                }
                other => {
                    return Err(format!(
                        "unknown key `{other}` in `{text}`: use op, rate (or p), and error or delay"
                    ));
                }
            }
        }
        Ok(Self {
            op,
            probability: probability
                .ok_or_else(|| format!("`{text}` needs rate= (or p=), a share from 0 to 1"))?,
            effect: effect.ok_or_else(|| format!("`{text}` needs error= or delay="))?,
        })
    }
}

impl fmt::Display for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            OpMatch::Any => f.write_str("op=*")?,
            OpMatch::One(op) => write!(f, "op={}", op.name())?,
        }
        match self.effect {
            Effect::Error(e) => write!(f, ",rate={},error={}", self.probability, e.kind().name()),
            Effect::Latency(d) => write!(f, ",p={},delay={}ms", self.probability, d.as_millis()),
        }
    }
}

fn parse_op(name: &str) -> Result<OpMatch, String> {
    if name == "*" {
        return Ok(OpMatch::Any);
    }
    Operation::from_name(name)
        .map(OpMatch::One)
        .ok_or_else(|| format!("op=`{name}` is not a DynamoDB or DynamoDB Streams operation"))
}

fn parse_error(name: &str) -> Result<InjectedError, String> {
    InjectedError::ALL
        .into_iter()
        .find(|e| e.kind().name() == name)
        .ok_or_else(|| {
            let names: Vec<_> = InjectedError::ALL.iter().map(|e| e.kind().name()).collect();
            format!("error=`{name}` is not one of {}", names.join(", "))
        })
}

/// The rules in force, replaceable while the server runs.
#[derive(Debug)]
pub struct Faults {
    rules: RwLock<Vec<FaultRule>>,
    /// xorshift64 state: a draw per rule per request, without a lock.
    rng: AtomicU64,
}

impl Default for Faults {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl Faults {
    /// These rules.
    pub fn new(rules: Vec<FaultRule>) -> Self {
        let seed = crate::state::time_seed();
        Self {
            rules: RwLock::new(rules),
            rng: AtomicU64::new(seed),
        }
    }

    /// The rules in force.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.rules.read().map(|r| r.clone()).unwrap_or_default()
    }

    /// Puts these rules in force instead.
    pub fn replace(&self, rules: Vec<FaultRule>) {
        if let Ok(mut current) = self.rules.write() {
            *current = rules;
        }
    }

    /// The delay the latency rules pick for a request to `op` (their sum); zero for none.
    pub(crate) fn delay(&self, op: Operation) -> Duration {
        self.picked(op)
            .filter_map(|effect| match effect {
                Effect::Latency(d) => Some(d),
                Effect::Error(_) => None,
            })
            .sum()
    }

    /// The error the first error rule picking this request answers, if one does. `table` and
    /// the scope name the throttled resource in the error's ThrottlingReasons.
    pub(crate) fn error(
        &self,
        op: Operation,
        table: Option<&str>,
        scope: &eddy_engine::Scope,
    ) -> Option<ApiError> {
        let injected = self.picked(op).find_map(|effect| match effect {
            Effect::Error(e) => Some(e),
            Effect::Latency(_) => None,
        })?;
        let mut error = ApiError::new(injected.kind(), injected.message());
        if let (Some(limit), Some(table)) = (injected.limit(), table) {
            let access = if op.is_read_only() { "Read" } else { "Write" };
            error.throttling_reasons = Some(Box::new(vec![ThrottlingReason {
                reason: format!("Table{access}{limit}"),
                resource: format!(
                    "arn:aws:dynamodb:{}:{}:table/{table}",
                    scope.region, scope.account_id
                ),
            }]));
        }
        Some(error)
    }

    /// The effects of the rules that apply to `op` and pick this request.
    fn picked(&self, op: Operation) -> impl Iterator<Item = Effect> + '_ {
        let rules = self.rules.read().map(|r| r.clone()).unwrap_or_default();
        rules.into_iter().filter_map(move |rule| {
            let applies = match rule.op {
                OpMatch::Any => true,
                OpMatch::One(o) => o == op,
            };
            (applies && self.draw() < rule.probability).then_some(rule.effect)
        })
    }

    /// A uniform draw in [0, 1).
    fn draw(&self) -> f64 {
        let mut x = self.rng.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.store(x, Ordering::Relaxed);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Whether any rule is in force: the common case of none costs one read lock.
    pub(crate) fn any(&self) -> bool {
        self.rules.read().map(|r| !r.is_empty()).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_print_back() {
        let rule: FaultRule = "op=PutItem,rate=0.1,error=ProvisionedThroughputExceededException"
            .parse()
            .unwrap();
        assert_eq!(rule.op, OpMatch::One(Operation::PutItem));
        assert_eq!(rule.probability, 0.1);
        assert_eq!(
            rule.effect,
            Effect::Error(InjectedError::ProvisionedThroughputExceeded)
        );
        assert_eq!(rule.to_string().parse::<FaultRule>().unwrap(), rule);
        let rule: FaultRule = "op=*,p=0.01,delay=200ms".parse().unwrap();
        assert_eq!(rule.op, OpMatch::Any);
        assert_eq!(rule.effect, Effect::Latency(Duration::from_millis(200)));
        assert_eq!(rule.to_string(), "op=*,p=0.01,delay=200ms");
        let rule: FaultRule = "op=GetRecords,rate=1,error=InternalServerError"
            .parse()
            .unwrap();
        assert_eq!(rule.op, OpMatch::One(Operation::GetRecords));
    }

    #[test]
    fn bad_rules_name_what_is_wrong() {
        let err = |t: &str| t.parse::<FaultRule>().unwrap_err();
        assert!(err("op=Put,rate=1,error=InternalServerError").contains("op=`Put`"));
        assert!(err("op=PutItem,rate=2,error=InternalServerError").contains("between 0 and 1"));
        assert!(err("op=PutItem,rate=x,error=InternalServerError").contains("rate=`x`"));
        assert!(err("op=PutItem,error=InternalServerError").contains("needs rate="));
        assert!(err("op=PutItem,rate=1").contains("needs error= or delay="));
        assert!(err("op=PutItem,rate=1,error=Oops").contains("error=`Oops`"));
        assert!(err("op=PutItem,rate=1,delay=fast").contains("delay"));
        assert!(err("op=PutItem,rate=1,color=red").contains("unknown key `color`"));
    }

    #[test]
    fn certain_and_impossible_rules_are_exact() {
        let scope = eddy_engine::Scope::new("123456789012", "eu-west-1");
        let faults = Faults::new(vec![
            "op=PutItem,rate=1,error=ProvisionedThroughputExceededException"
                .parse()
                .unwrap(),
            "op=GetItem,rate=0,error=InternalServerError"
                .parse()
                .unwrap(),
            "op=*,p=1,delay=5ms".parse().unwrap(),
        ]);
        for _ in 0..100 {
            assert!(
                faults
                    .error(Operation::GetItem, Some("t"), &scope)
                    .is_none()
            );
            let e = faults.error(Operation::PutItem, Some("t"), &scope).unwrap();
            assert_eq!(e.kind, ErrorKind::ProvisionedThroughputExceeded);
            let reasons = e.throttling_reasons.unwrap();
            assert_eq!(reasons[0].reason, "TableWriteProvisionedThroughputExceeded");
            assert_eq!(
                reasons[0].resource,
                "arn:aws:dynamodb:eu-west-1:123456789012:table/t"
            );
            assert_eq!(faults.delay(Operation::Scan), Duration::from_millis(5));
        }
    }

    #[test]
    fn a_share_picks_about_that_share() {
        let faults = Faults::new(vec!["op=*,p=0.25,delay=1ms".parse().unwrap()]);
        let picked = (0..10_000)
            .filter(|_| !faults.delay(Operation::GetItem).is_zero())
            .count();
        assert!((2_000..3_000).contains(&picked), "{picked}");
    }
}
