//! The broker's OpenAPI document as a checker: every answer the tests receive is
//! validated against the schema the document gives for its route and status, so the
//! document cannot drift from what the broker sends.
//!
//! An answer on a documented route is checked against that operation's response for
//! its status, or its `default` (the error body); an answer on a path the document does
//! not have must be the error body (404 `not_found`, 405 `method_not_allowed`).

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;

/// One broker's document, and the validators built from it so far.
pub struct Contract {
    document: Value,
    validators: Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

/// The pointer (in the document) of the error body's schema.
const ERROR_BODY: &str = "/components/schemas/ErrorBody";

impl Contract {
    pub fn new(document: Value) -> Contract {
        assert!(
            document["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1")),
            "the broker serves an OpenAPI 3.1 document"
        );
        Contract {
            document,
            validators: Mutex::new(HashMap::new()),
        }
    }

    pub fn document(&self) -> &Value {
        &self.document
    }

    /// Panics, naming the route and what differs, unless `body` is what the document
    /// says `method path` answers with `status`. `body` is None when the answer was not
    /// JSON.
    #[track_caller]
    pub fn check(&self, method: &str, path: &str, status: u16, body: Option<&Value>) {
        let path = path.split('?').next().unwrap_or(path);
        let method = method.to_ascii_lowercase();
        let pointer = match self.operation(&method, path) {
            Some(op) => self.response_schema(&op, status),
            None => {
                assert!(
                    status == 404 || status == 405,
                    "{method} {path} is not in the document, yet it answered {status}"
                );
                Some(ERROR_BODY.to_owned())
            }
        };
        let Some(pointer) = pointer else {
            panic!("{method} {path}: the document has no schema for status {status}");
        };
        let Some(body) = body else {
            panic!("{method} {path} answered {status} without a JSON body; the document says {pointer}");
        };
        let validator = self.validator(&pointer);
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} answered {status} with a body the OpenAPI document does not allow \
             ({pointer}):\n  {}\nbody: {body}",
            errors.join("\n  ")
        );
    }

    /// The pointer of the operation answering `method path`, matching `{param}`
    /// segments with any one segment.
    fn operation(&self, method: &str, path: &str) -> Option<String> {
        let paths = self.document["paths"].as_object()?;
        let segments: Vec<&str> = path.split('/').collect();
        let template = paths.iter().find_map(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            let fits = parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')));
            (fits && item.get(method).is_some()).then(|| template.clone())
        })?;
        Some(format!("/paths/{}/{method}", escape(&template)))
    }

    /// The pointer of the JSON schema an operation gives for `status` (or `default`),
    /// through a `$ref` to a shared response.
    fn response_schema(&self, operation: &str, status: u16) -> Option<String> {
        let responses = format!("{operation}/responses");
        let status_key = status.to_string();
        let key = if self.at(&format!("{responses}/{status_key}")).is_some() {
            status_key
        } else {
            "default".to_owned()
        };
        let mut response = format!("{responses}/{key}");
        if let Some(target) = self.at(&response)?.get("$ref").and_then(Value::as_str) {
            response = target.trim_start_matches('#').to_owned();
        }
        let content = self.at(&format!("{response}/content"))?.as_object()?;
        let media = content
            .keys()
            .find(|m| m.as_str() == "application/json")
            .or_else(|| content.keys().next())?;
        Some(format!("{response}/content/{}/schema", escape(media)))
    }

    fn at(&self, pointer: &str) -> Option<&Value> {
        self.document.pointer(pointer)
    }

    /// A validator for the schema at `pointer`, its `$ref`s resolved in the document.
    fn validator(&self, pointer: &str) -> std::sync::Arc<jsonschema::Validator> {
        let mut cache = self.validators.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(pointer.to_owned())
            .or_insert_with(|| {
                // The whole document is the schema's resource, so `#/components/…`
                // resolves; the root refers to a copy of the schema wanted (a pointer
                // through `/paths/…{id}…` is no valid URI fragment).
                let wanted = self.at(pointer).cloned().unwrap_or(Value::Bool(false));
                let mut root = self.document.clone();
                root["$defs"] = serde_json::json!({ "wanted": wanted });
                root["$ref"] = Value::String("#/$defs/wanted".into());
                std::sync::Arc::new(
                    jsonschema::draft202012::options()
                        .build(&root)
                        .unwrap_or_else(|e| panic!("the schema at {pointer} compiles: {e}")),
                )
            })
            .clone()
    }
}

/// JSON Pointer escaping of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
