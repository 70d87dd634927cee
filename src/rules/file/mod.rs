//! Rules raised by the pipeline itself while reading a file, before there is a model.

pub mod file_too_large;
pub mod invalid_json;
pub mod not_a_blueprint;
pub mod unreadable_file;
pub mod unused_ignore;
