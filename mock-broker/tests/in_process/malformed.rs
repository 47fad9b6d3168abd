//! Issue 11: a catalogue of malformed requests to every route, built as data from the
//! broker's own OpenAPI document (`GET /openapi.json`), so a new route is covered
//! without a new test. Each case must answer a 4xx (never a 5xx) with the error body
//! `{"code","message"}` and a code from the README's table, and the whole catalogue
//! must change nothing (a snapshot of the QA state before and after).
//!
//! Two kinds of case:
//! - **shapes** (the body's bytes): wrong JSON types for each field, each required
//!   field missing, an unknown field, no body, not JSON, invalid UTF-8, a raw control
//!   character, over 16 KiB, no `Content-Type`. These must stop at the decoder
//!   (`invalid_json`, `invalid_field`, `body_too_large`, `unsupported_media_type`)
//!   and leave the audit log as it was: every schema says `additionalProperties:
//!   false`, so an unknown field is refused, never ignored.
//! - **values** (well-formed JSON, hostile strings): SQL- and script-shaped strings,
//!   a 10 KB username, homoglyphs (Cyrillic `а`, full-width letters), NUL and control
//!   characters, in every string field and every path parameter (URL-encoded). These
//!   reach the rules; they may be refused and audited as refusals, but no lockout
//!   count, device, session, clock, fault or setting may move.
//! - **query strings** of the reads that take one: an unknown key, hostile strings in
//!   every parameter, and `-1`, `1.5`, `abc` in the numeric and boolean ones. A
//!   hostile value in a string filter (`/qa/audit?username=`, `/qa/pushes?username=`,
//!   `/qa/sms?number=`) may also answer 200 listing nothing: those filters match, they
//!   do not validate (`/qa/journal`'s do).
//!
//! Every route with a body is also sent a well-formed request on a twin broker (same
//! setup), which must not be refused by the decoder: so the catalogue's requests carry
//! what the route needs (session or phone token) to reach it.

use crate::util::{card_response, Answer, TestBroker, AVERY_PIN, AVERY_SECRET};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Routes left out: they reset or delete by design (a malformed request to them could
/// only be told from a well-formed one by what it destroys).
const SKIPPED: [(&str, &str); 3] = [
    ("post", "/qa/reset"),
    ("post", "/qa/faults/routes/clear"),
    ("delete", "/qa/faults/routes/{id}"),
];

/// The codes a request stopped by the decoder answers.
const DECODER_CODES: [&str; 4] = [
    "invalid_json",
    "invalid_field",
    "body_too_large",
    "unsupported_media_type",
];

/// Audit events a hostile value may legitimately leave. A hostile string in a password
/// field is a wrong password, and L2/L4 count it even against a name no one has (the
/// placeholder `x1`, which ends up locked): the lockouts of the scenario's users are
/// compared instead, and must not move.
const REFUSALS: [&str; 7] = [
    "bad_character",
    "invalid_credentials",
    "locked",
    "refused_locked",
    "sharing_refused",
    "settings_refused",
    "profile_change_refused",
];

/// The error codes the README's "Error codes and statuses" table lists.
fn readme_codes() -> BTreeSet<String> {
    let readme = include_str!("../../../README.md");
    let table = readme
        .split("Error codes and statuses:")
        .nth(1)
        .and_then(|rest| rest.split("\n#").next())
        .expect("the README's table of error codes");
    let codes: BTreeSet<String> = table
        .lines()
        .filter_map(|line| line.strip_prefix("| "))
        .filter_map(|line| line.split(" |").next())
        .flat_map(|cell| cell.split('`').skip(1).step_by(2).map(str::to_owned))
        .collect();
    assert!(codes.len() > 30, "the README's codes: {codes:?}");
    codes
}

/// The hostile strings, each with a name for the failure message.
fn hostile_strings() -> Vec<(&'static str, String)> {
    vec![
        ("sql_or", "' OR 1=1 --".to_owned()),
        ("sql_drop", "\"; DROP TABLE users; --".to_owned()),
        ("script", "<script>alert(1)</script>".to_owned()),
        ("overlong_10kb", "a".repeat(10 * 1024)),
        ("homoglyph_cyrillic", "\u{0430}very".to_owned()),
        (
            "homoglyph_fullwidth",
            "\u{FF41}\u{FF56}\u{FF45}\u{FF52}\u{FF59}".to_owned(),
        ),
        ("nul", "avery\u{0}".to_owned()),
        ("control", "av\u{7}\u{1b}[2J\r\nery".to_owned()),
        ("empty", String::new()),
    ]
}

/// Every byte outside RFC 3986's unreserved set as `%XX`.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One route of the document, as the catalogue needs it.
struct Route {
    method: Method,
    path: String,
    /// The body's object schema (properties, required), if the route takes a body.
    body: Option<Value>,
    /// Whether the body may be left out (`requestBody.required` false).
    body_optional: bool,
    /// `session_token`, `phone_token` or none.
    security: Option<String>,
    /// The query parameters and their JSON types.
    query: Vec<(String, String)>,
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().expect("a schema name");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// The object schema inside `schema` (the optional body is `oneOf: [null, object]`).
fn object_schema<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = resolve(doc, schema);
    match schema["oneOf"].as_array() {
        Some(alternatives) => alternatives
            .iter()
            .map(|s| resolve(doc, s))
            .find(|s| s["type"] == "object")
            .expect("an object alternative"),
        None => schema,
    }
}

fn routes(doc: &Value) -> Vec<Route> {
    let mut all = Vec::new();
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let body = &operation["requestBody"];
            all.push(Route {
                method: method.to_uppercase().parse().expect("a method"),
                path: path.clone(),
                body: body["content"]["application/json"]["schema"]
                    .as_object()
                    .map(|_| {
                        object_schema(doc, &body["content"]["application/json"]["schema"]).clone()
                    }),
                body_optional: body.is_object() && body["required"] != true,
                security: operation["security"][0]
                    .as_object()
                    .and_then(|s| s.keys().next().cloned()),
                query: operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "query")
                    .map(|p| {
                        let name = p["name"].as_str().expect("a name").to_owned();
                        (name, types_of(doc, &p["schema"]).join(","))
                    })
                    .collect(),
            });
        }
    }
    all
}

/// The JSON types a property's schema allows (`"type"` a string or a list; an enum
/// through `$ref` is a string).
fn types_of(doc: &Value, property: &Value) -> Vec<String> {
    let property = resolve(doc, property);
    if let Some(t) = property["type"].as_str() {
        return vec![t.to_owned()];
    }
    if let Some(ts) = property["type"].as_array() {
        return ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect();
    }
    if let Some(alternatives) = property["oneOf"].as_array() {
        return alternatives.iter().flat_map(|s| types_of(doc, s)).collect();
    }
    vec!["string".to_owned()]
}

/// A well-formed value for `property`: the enum's first member, else a harmless one.
fn plain_value(doc: &Value, property: &Value) -> Value {
    let resolved = resolve(doc, property);
    if let Some(first) = resolved["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    if let Some(alternatives) = resolved["oneOf"].as_array() {
        if let Some(first) = alternatives
            .iter()
            .find(|s| resolve(doc, s)["type"] != "null")
        {
            return plain_value(doc, first);
        }
    }
    let types = types_of(doc, property);
    match types.iter().find(|t| *t != "null").map(String::as_str) {
        Some("integer") => json!(1),
        Some("number") => json!(1),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        Some("object") => {
            let mut object = Map::new();
            for (name, p) in resolved["properties"].as_object().into_iter().flatten() {
                object.insert(name.clone(), plain_value(doc, p));
            }
            Value::Object(object)
        }
        _ => json!("x1"),
    }
}

/// Fields whose plain value the rules refuse with a code the decoder also uses
/// (`invalid_field`): a value the rules take instead, so the control can tell them
/// apart.
fn control_value(field: &str) -> Option<Value> {
    match field {
        "route" => Some(json!("/v1/login")),
        "method" => Some(json!("POST")),
        "error" => Some(Value::Null),
        _ => None,
    }
}

/// A well-formed body for `schema`: every property, plainly.
fn plain_body(doc: &Value, schema: &Value) -> Map<String, Value> {
    let mut body = Map::new();
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        let value = control_value(name)
            .filter(|_| !resolve(doc, property)["enum"].is_array())
            .unwrap_or_else(|| plain_value(doc, property));
        body.insert(name.clone(), value);
    }
    body
}

/// Values of the wrong JSON type for a property of `types`.
fn wrong_types(types: &[String]) -> Vec<(&'static str, Value)> {
    let candidates = [
        ("string", "string", json!("1")),
        ("integer", "integer", json!(1)),
        ("fraction", "number", json!(1.5)),
        ("boolean", "boolean", json!(true)),
        ("array", "array", json!([])),
        ("object", "object", json!({})),
        ("null", "null", Value::Null),
    ];
    candidates
        .into_iter()
        .filter(|(_, t, _)| {
            !types.iter().any(|allowed| {
                // An integer field may not hold 1.5; a number field may hold 1.
                allowed == t || (allowed == "number" && *t == "integer")
            })
        })
        .map(|(name, _, value)| (name, value))
        .collect()
}

/// One request of the catalogue.
struct Case {
    route: String,
    name: String,
    path: String,
    /// The raw body and whether to send `Content-Type: application/json`.
    body: Option<(Vec<u8>, bool)>,
    /// Must be stopped by the decoder.
    shape: bool,
    /// A hostile value in a read's string filter: refused, or a 200 listing nothing.
    empty_read_ok: bool,
}

fn cases(doc: &Value, route: &Route) -> Vec<Case> {
    let label = format!("{} {}", route.method, route.path);
    let mut all = Vec::new();
    let plain = route
        .body
        .as_ref()
        .map(|schema| plain_body(doc, schema))
        .unwrap_or_default();
    let params: Vec<String> = route
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_owned)
        .collect();
    let plain_path = params.iter().fold(route.path.clone(), |p, name| {
        p.replace(&format!("{{{name}}}"), "x1")
    });
    let json_body = |v: &Value| Some((v.to_string().into_bytes(), true));
    let mut shape = |name: String, body: Option<(Vec<u8>, bool)>| {
        all.push(Case {
            route: label.clone(),
            name,
            path: plain_path.clone(),
            body,
            shape: true,
            empty_read_ok: false,
        });
    };

    if let Some(schema) = &route.body {
        let properties = schema["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (field, property) in &properties {
            for (kind, wrong) in wrong_types(&types_of(doc, property)) {
                let mut body = plain.clone();
                body.insert(field.clone(), wrong);
                shape(format!("{field}: {kind}"), json_body(&Value::Object(body)));
            }
            if resolve(doc, property)["enum"].is_array() {
                let mut body = plain.clone();
                body.insert(field.clone(), json!("not_a_member"));
                shape(
                    format!("{field}: not a member"),
                    json_body(&Value::Object(body)),
                );
            }
        }
        for field in schema["required"].as_array().into_iter().flatten() {
            let field = field.as_str().expect("a field name");
            let mut body = plain.clone();
            body.remove(field);
            shape(format!("missing {field}"), json_body(&Value::Object(body)));
        }
        let mut unknown = plain.clone();
        unknown.insert("unexpected".to_owned(), json!(1));
        shape("unknown field".into(), json_body(&Value::Object(unknown)));
        if !route.body_optional {
            shape("no body".into(), Some((Vec::new(), true)));
            shape("null".into(), json_body(&Value::Null));
        }
        for (name, top) in [
            ("array", json!([])),
            ("string", json!("{}")),
            ("number", json!(7)),
        ] {
            shape(format!("top-level {name}"), json_body(&top));
        }
        shape(
            "not JSON".into(),
            Some((b"username=avery&password=x".to_vec(), true)),
        );
        shape("truncated JSON".into(), Some((b"{\"a\":".to_vec(), true)));
        shape(
            "invalid UTF-8".into(),
            Some((b"{\"x\":\"\xff\xfe\xc3\x28\"}".to_vec(), true)),
        );
        shape(
            "raw control character".into(),
            Some((b"{\"x\":\"a\x01b\"}".to_vec(), true)),
        );
        let padding = "a".repeat(16 * 1024 + 1);
        shape(
            "over 16 KiB".into(),
            json_body(&json!({ "padding": padding })),
        );
        shape("no Content-Type".into(), Some((b"{}".to_vec(), false)));

        for (field, property) in &properties {
            if !types_of(doc, property).iter().any(|t| t == "string")
                || resolve(doc, property)["enum"].is_array()
            {
                continue;
            }
            for (kind, text) in hostile_strings() {
                let mut body = plain.clone();
                body.insert(field.clone(), json!(text));
                all.push(Case {
                    route: label.clone(),
                    name: format!("{field}: {kind}"),
                    path: plain_path.clone(),
                    body: json_body(&Value::Object(body)),
                    shape: false,
                    empty_read_ok: false,
                });
            }
        }
    }
    let mut segments: Vec<(&str, String)> = hostile_strings()
        .into_iter()
        // An empty segment is another path, not this route's.
        .filter(|(_, text)| !text.is_empty())
        .map(|(kind, text)| (kind, url_encode(&text)))
        .collect();
    segments.push(("invalid_utf8", "%FF%FEx".to_owned()));
    for param in &params {
        for (kind, encoded) in &segments {
            let path = params.iter().fold(route.path.clone(), |p, name| {
                let value = if name == param {
                    encoded.clone()
                } else {
                    "x1".to_owned()
                };
                p.replace(&format!("{{{name}}}"), &value)
            });
            all.push(Case {
                route: label.clone(),
                name: format!("path {param}: {kind}"),
                path,
                body: route
                    .body
                    .as_ref()
                    .map(|_| (Value::Object(plain.clone()).to_string().into_bytes(), true)),
                shape: false,
                empty_read_ok: false,
            });
        }
    }
    let mut queries = vec![(
        "unknown query key".to_owned(),
        "unexpected=1".to_owned(),
        false,
    )];
    for (param, types) in &route.query {
        let mut values: Vec<(String, String)> = hostile_strings()
            .into_iter()
            .map(|(kind, text)| (kind.to_owned(), text))
            .collect();
        if types != "string" {
            values.extend(
                [("-1", "-1"), ("1.5", "1.5"), ("word", "abc")]
                    .map(|(k, v)| (k.to_owned(), v.to_owned())),
            );
        }
        for (kind, text) in values {
            if text.is_empty() && types == "string" {
                continue; // an empty filter is no filter
            }
            queries.push((
                format!("query {param}: {kind}"),
                format!("{param}={}", url_encode(&text)),
                types == "string",
            ));
        }
    }
    if !route.query.is_empty() {
        for (name, query, empty_read_ok) in queries {
            all.push(Case {
                route: label.clone(),
                name,
                path: format!("{plain_path}?{query}"),
                body: None,
                shape: false,
                empty_read_ok,
            });
        }
    }
    all
}

/// A broker with what the routes need: avery's portal session through her DSC+, and
/// the demo phone's token.
struct Setup {
    broker: TestBroker,
    session: String,
    phone: String,
}

async fn setup() -> Setup {
    let broker = TestBroker::demo();
    let step = broker.login_on("avery", "portal").await;
    let response = card_response(AVERY_SECRET, AVERY_PIN, step.str("challenge"));
    let opened = broker.respond(step.str("ticket"), &response).await;
    assert_eq!(opened.status, StatusCode::OK, "{opened:?}");
    let session = opened.str("token").to_owned();
    let provision = broker
        .post("/qa/phones/demo-phone/provision", json!({}))
        .await;
    assert_eq!(provision.status, StatusCode::OK, "{provision:?}");
    let phone = provision.str("phone_token").to_owned();
    Setup {
        broker,
        session,
        phone,
    }
}

impl Setup {
    async fn send(
        &self,
        method: &Method,
        security: Option<&str>,
        case_path: &str,
        body: Option<&(Vec<u8>, bool)>,
    ) -> Answer {
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(case_path)
            .header(header::HOST, "127.0.0.1");
        match security {
            Some("session_token") => {
                builder = builder.header(header::AUTHORIZATION, format!("Bearer {}", self.session));
            }
            Some("phone_token") => {
                builder = builder.header(header::AUTHORIZATION, format!("Bearer {}", self.phone));
            }
            _ => {}
        }
        let request = match body {
            Some((bytes, content_type)) => {
                if *content_type {
                    builder = builder.header(header::CONTENT_TYPE, "application/json");
                }
                builder.body(Body::from(bytes.clone()))
            }
            None => builder.body(Body::empty()),
        }
        .expect("a valid request");
        tokio::time::timeout(Duration::from_secs(10), self.broker.send(request))
            .await
            .unwrap_or_else(|_| panic!("{method} {case_path}: no answer within 10 s"))
    }

    /// What must not move: lockouts, devices, the clock's offset, faults, settings,
    /// the sessions and the phone's token, and the audit log's events (all of them,
    /// or all but `REFUSALS`).
    async fn snapshot(&self, with_refusals: bool) -> Value {
        let b = &self.broker;
        let devices = b.get("/qa/devices").await.body;
        let owners: BTreeSet<String> = devices["devices"]
            .as_array()
            .expect("devices")
            .iter()
            .filter_map(|d| d["owner"].as_str().map(str::to_owned))
            .collect();
        let mut lockouts = BTreeMap::new();
        for owner in owners.clone() {
            let lockout = b.get(&format!("/qa/users/{owner}/lockout")).await.body;
            lockouts.insert(
                owner,
                json!([lockout["locked"], lockout["failures_in_window"]]),
            );
        }
        let audit = b.get("/qa/audit?limit=10000").await.body;
        let events: Vec<Value> = audit["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| {
                with_refusals || !REFUSALS.contains(&e["event"].as_str().unwrap_or_default())
            })
            .map(|e| json!([e["event"], e["username"], e["detail"]]))
            .collect();
        let session = b
            .with_token(Method::GET, "/v1/session", &self.session, None)
            .await;
        let phone = b
            .with_token(Method::GET, "/v1/phone/pushes", &self.phone, None)
            .await;
        json!({
            "lockouts": lockouts,
            "devices": devices,
            "clock": b.get("/qa/clock").await.body["offset_ms"],
            "faults": b.get("/qa/faults").await.body,
            "route_faults": b.get("/qa/faults/routes").await.body,
            "settings": b.get("/qa/settings").await.body,
            "sharings": b.with_token(Method::GET, "/v1/sharing", &self.session, None).await.body,
            "orders": b.with_token(Method::GET, "/v1/devices/orders", &self.session, None).await.body,
            "account": b.with_token(Method::GET, "/v1/account", &self.session, None).await.body,
            "session_live": session.status.as_u16(),
            "phone_live": phone.status.as_u16(),
            "events": events,
        })
    }
}

#[tokio::test]
async fn issue11_malformed_requests_to_every_route_are_4xx_with_a_stable_code_and_change_nothing() {
    let known = readme_codes();
    let subject = setup().await;
    let doc = subject.broker.get("/openapi.json").await.body;
    let all_routes = routes(&doc);
    assert!(
        all_routes.len() > 60,
        "the document lists the routes: {}",
        all_routes.len()
    );
    let covered: Vec<&Route> = all_routes
        .iter()
        .filter(|r| {
            !SKIPPED
                .iter()
                .any(|(m, p)| r.method.as_str().eq_ignore_ascii_case(m) && r.path == *p)
        })
        .collect();

    // Controls, on a twin broker: a well-formed request gets past the decoder with the
    // same credentials, so the catalogue's refusals are the decoder's, not the door's.
    let twin = setup().await;
    let mut controls = 0;
    for route in &covered {
        let Some(schema) = &route.body else { continue };
        let body = Value::Object(plain_body(&doc, schema))
            .to_string()
            .into_bytes();
        let path = route
            .path
            .split('/')
            .map(|s| if s.starts_with('{') { "x1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let answer = twin
            .send(
                &route.method,
                route.security.as_deref(),
                &path,
                Some(&(body, true)),
            )
            .await;
        assert!(
            !DECODER_CODES.contains(&answer.code()) && !answer.status.is_server_error(),
            "control {} {path}: a well-formed body must reach the route: {answer:?}",
            route.method
        );
        controls += 1;
    }

    let before_all = subject.snapshot(true).await;
    let before = subject.snapshot(false).await;
    let mut shapes = 0;
    let mut values = 0;
    let mut failures = Vec::new();
    let mut empty_reads = 0;
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut reached: BTreeSet<String> = BTreeSet::new();
    for pass_shapes in [true, false] {
        for route in &covered {
            for case in cases(&doc, route)
                .into_iter()
                .filter(|c| c.shape == pass_shapes)
            {
                let answer = subject
                    .send(
                        &route.method,
                        route.security.as_deref(),
                        &case.path,
                        case.body.as_ref(),
                    )
                    .await;
                let code = answer.code();
                *codes
                    .entry(format!("{} {code}", answer.status.as_u16()))
                    .or_default() += 1;
                reached.insert(case.route.clone());
                let empty_read = case.empty_read_ok
                    && answer.status == StatusCode::OK
                    && answer.body.as_object().is_some_and(|o| {
                        o.values().all(|v| v.as_array().is_some_and(Vec::is_empty))
                    });
                if empty_read {
                    empty_reads += 1;
                }
                let well_formed = empty_read
                    || answer.status.is_client_error()
                        && known.contains(code)
                        && answer.body["message"]
                            .as_str()
                            .is_some_and(|m| !m.is_empty())
                        && (!case.shape || DECODER_CODES.contains(&code));
                if !well_formed {
                    failures.push(format!(
                        "{} [{}] {}: {} {}",
                        case.route,
                        case.name,
                        case.path.chars().take(80).collect::<String>(),
                        answer.status,
                        answer.body
                    ));
                }
                if case.shape {
                    shapes += 1;
                } else {
                    values += 1;
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} cases answered wrongly:\n{}",
            failures.len(),
            failures.join("\n")
        );
        if pass_shapes {
            // Stopped at the decoder: not even a refusal is audited, no failure counted.
            assert_eq!(
                subject.snapshot(true).await,
                before_all,
                "the shape cases changed something (the audit log included)"
            );
        } else {
            assert_eq!(
                subject.snapshot(false).await,
                before,
                "the value cases changed something"
            );
        }
    }
    let with_body = covered.iter().filter(|r| r.body.is_some()).count();
    let with_params = covered.iter().filter(|r| r.path.contains('{')).count();
    println!(
        "malformed catalogue: {} routes in the document ({} skipped), {} sent cases: {with_body} with a body, {with_params} with path parameters; {} cases ({shapes} shapes, {values} values), {controls} controls; answers {codes:?} ({empty_reads} of them 200s listing nothing)",
        all_routes.len(),
        SKIPPED.len(),
        reached.len(),
        shapes + values
    );
}

#[tokio::test]
async fn issue11_a_path_parameter_that_is_not_utf8_is_bad_request_in_the_error_body() {
    let b = TestBroker::demo();
    // Was axum's plain-text 400 ("Invalid URL: Invalid UTF-8 in `username`"), no code.
    let answer = b.get("/qa/users/%FF%FEavery/lockout").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::BAD_REQUEST, "bad_request"),
        "{answer:?}"
    );
    let answer = b.post("/qa/devices/%C3%28/activate", json!({})).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::BAD_REQUEST, "bad_request"),
        "{answer:?}"
    );
}
