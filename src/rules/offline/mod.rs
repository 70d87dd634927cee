//! Rules that need nothing but the blueprint.

pub mod conflicting_connection_keys;
pub mod connection_dynamic;
pub mod connection_invalid_value;
pub mod connection_missing;
pub mod connection_placeholder;
pub mod connection_type_not_allowed;
pub mod credential_placeholder;
pub mod designer_message;
pub mod duplicate_key;
pub mod duplicate_module_id;
pub mod external_call_without_error_handler;
pub mod filter_operand_literal;
pub mod filter_without_conditions;
pub mod hardcoded_secret;
pub mod invalid_module_id;
pub mod invalid_module_name;
pub mod malformed_expression;
pub mod malformed_structure;
pub mod module_unconfigured;
pub mod route_disabled;
pub mod zone_mismatch;
