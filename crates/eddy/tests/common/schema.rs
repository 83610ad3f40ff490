//! Builders for the schema pieces tests create tables and indexes with.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, KeySchemaElement, KeyType, Projection, ProjectionType, ScalarAttributeType,
};

/// An AttributeDefinition.
pub fn def(name: &str, ty: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ty)
        .build()
        .expect("def")
}

/// A KeySchemaElement.
pub fn key(name: &str, kt: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kt)
        .build()
        .expect("key")
}

/// A Projection, with NonKeyAttributes for INCLUDE.
pub fn projection(pt: ProjectionType, include: &[&str]) -> Projection {
    let mut p = Projection::builder().projection_type(pt);
    for a in include {
        p = p.non_key_attributes(*a);
    }
    p.build()
}
