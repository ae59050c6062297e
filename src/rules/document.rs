//! TEMPORARY stub.
use super::{Rule, RuleError, Warning};
use std::path::Path;
pub fn parse_document(_id: &str, source: &Path, _text: &str) -> Result<(Rule, Vec<Warning>), RuleError> {
    Err(RuleError { path: source.to_path_buf(), message: "stub".into() })
}
