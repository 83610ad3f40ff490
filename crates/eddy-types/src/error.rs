//! The crate's error types. Each `Display` is the text a DynamoDB client reads, without the
//! `1 validation error detected: ` envelope (the server decides whether to add it).

use crate::value::AttrType;

/// Why a number's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// More than 38 significant digits.
    #[error("Attempting to store more than 38 significant digits in a Number")]
    TooManyDigits,
    /// Magnitude above 9.9999999999999999999999999999999999999E+125.
    #[error(
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )]
    Overflow,
    /// Non-zero magnitude below 1E-130.
    #[error(
        "Number underflow. Attempting to store a number with magnitude smaller than supported range"
    )]
    Underflow,
    /// The text is not a decimal number; holds the text as sent.
    #[error("The parameter cannot be converted to a numeric value: {0}")]
    NotNumeric(String),
}

/// Why an attribute value in DynamoDB JSON was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    /// The JSON has the wrong shape for an attribute value; the server reports it as a
    /// `SerializationException` with this Java-flavoured message.
    #[error("{0}")]
    Serialization(String),
    /// `{}`, or only unknown or null type keys.
    #[error(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    )]
    Empty,
    /// More than one type key set.
    #[error(
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
    )]
    MultipleTypes,
    /// `{"NULL": false}`.
    #[error(
        "One or more parameter values were invalid: Null attribute value types must have the value of true"
    )]
    NullNotTrue,
    /// An empty SS, NS or BS.
    #[error("{}", empty_set_message(*.0))]
    EmptySet(AttrType),
    /// A JSON null among the members of an SS, NS or BS.
    #[error("{}", null_member_message(*.0))]
    NullSetMember(AttrType),
    /// A set with a repeated member; holds the full message, whose wording depends on the set type.
    #[error("{0}")]
    Duplicates(String),
    /// A number (or number-set member) that is not a valid DynamoDB number.
    #[error("{0}")]
    Number(NumberError),
    /// A document nested more than 32 levels deep.
    #[error(
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"
    )]
    NestingTooDeep,
}

impl ValueError {
    /// True when the error is a `SerializationException` (a wrong JSON shape) rather than a
    /// `ValidationException`.
    pub fn is_serialization(&self) -> bool {
        matches!(self, ValueError::Serialization(_))
    }
}

impl From<NumberError> for ValueError {
    fn from(e: NumberError) -> Self {
        ValueError::Number(e)
    }
}

fn null_member_message(ty: AttrType) -> &'static str {
    // DynamoDB's wording for a string set, "An string set" included; the number and binary
    // forms follow it.
    match ty {
        AttrType::Ns => {
            "One or more parameter values were invalid: An number set may not have a null number as a member"
        }
        AttrType::Bs => {
            "One or more parameter values were invalid: An binary set may not have a null binary as a member"
        }
        _ => {
            "One or more parameter values were invalid: An string set may not have a null string as a member"
        }
    }
}

fn empty_set_message(ty: AttrType) -> &'static str {
    // The doubled space in the SS/NS wording is DynamoDB's own.
    match ty {
        AttrType::Ns => {
            "One or more parameter values were invalid: An number set  may not be empty"
        }
        AttrType::Bs => {
            "One or more parameter values were invalid: Binary sets should not be empty"
        }
        _ => "One or more parameter values were invalid: An string set  may not be empty",
    }
}

/// Stored bytes (a key encoding or an item record) that cannot be decoded: corruption, never
/// client input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The data ends in the middle of a value.
    #[error("stored data is truncated")]
    Truncated,
    /// A type tag this codec never writes.
    #[error("unknown stored value tag {0:#04x}")]
    UnknownTag(u8),
    /// A stored string or name is not UTF-8.
    #[error("stored text is not valid UTF-8")]
    InvalidUtf8,
    /// A stored number is not a valid canonical number.
    #[error("stored number is invalid")]
    InvalidNumber,
    /// An escape sequence or digit byte in a key encoding that the encoder never produces.
    #[error("invalid byte {0:#04x} in stored key")]
    InvalidKeyByte(u8),
    /// Only S, N and B values can be key values.
    #[error("type {0} cannot be a key type")]
    NotKeyType(&'static str),
    /// Documents nested deeper than any valid item.
    #[error("stored document nests too deeply")]
    TooDeep,
    /// Bytes left over after a complete item.
    #[error("trailing bytes after stored item")]
    TrailingBytes,
    /// A length prefix larger than the address space.
    #[error("stored length is out of range")]
    LengthOutOfRange,
}
