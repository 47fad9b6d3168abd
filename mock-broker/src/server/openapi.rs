//! The broker's OpenAPI 3.1 document: the api crate's schemas and each route's
//! operation, gathered by `utoipa-axum` as the routes are registered, so a route cannot
//! be served without being documented. Served at `GET /openapi.json`.
//!
//! Every operation answers its documented success, and otherwise an error body
//! (`default`): which codes a route can answer is the README's to tell, not the
//! schema's, since the edge (`Host`, `Origin`, content type, size) refuses any route.

use axum::{Extension, Json};
use portcullis_api::{ErrorBody, PhoneEvent};
use std::sync::Arc;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// The name of the shared error response in `components.responses`.
const ERROR_RESPONSE: &str = "Error";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portcullis mock broker",
        description = "The broker's HTTP API: the desktop's login and session, the phone's \
                       IB Key endpoints, and (with --qa only) the QA controls. Every error \
                       is an ErrorBody; clients branch on its code."
    ),
    components(schemas(ErrorBody, PhoneEvent)),
    modifiers(&Shared),
    tags(
        (name = "broker", description = "The broker itself"),
        (name = "login", description = "The desktop's login and session"),
        (name = "phone", description = "IB Key on the phone"),
        (name = "portal", description = "The Client Portal's online card and the user's messages"),
        (name = "account", description = "The account home: opt-out and opt-in, orders, withdrawals, deposits"),
        (name = "sharing", description = "Sharing one Secure Login device between usernames (S1-S6)"),
        (name = "devices", description = "Ordering, returning and reporting devices; deposits held"),
        (name = "qa", description = "QA controls: present only on a broker started with --qa"),
    )
)]
struct ApiDoc;

/// What the operations share: the token schemes and the error response.
struct Shared;

impl Modify for Shared {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer =
            || SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        components.add_security_scheme("session_token", bearer());
        components.add_security_scheme("phone_token", bearer());
        components.add_security_scheme(
            "qa_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-QA-Token"))),
        );
        components.responses.insert(
            ERROR_RESPONSE.into(),
            RefOr::T(
                ResponseBuilder::new()
                    .description("An error: `code` says which (the status follows from it).")
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            ),
        );
    }
}

/// The document before any route is added.
pub(super) fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Gives every operation the error response as its `default`.
pub(super) fn finish(document: &mut utoipa::openapi::OpenApi) {
    for item in document.paths.paths.values_mut() {
        let operations: [&mut Option<Operation>; 5] = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            operation
                .responses
                .responses
                .entry("default".into())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name(ERROR_RESPONSE)));
        }
    }
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "broker",
    responses((status = 200, description = "The OpenAPI 3.1 document of this broker",
        content_type = "application/json", body = Object)))]
pub(super) async fn document(
    Extension(document): Extension<Arc<utoipa::openapi::OpenApi>>,
) -> Json<utoipa::openapi::OpenApi> {
    Json(document.as_ref().clone())
}

#[cfg(test)]
mod tests {
    use super::super::{app, openapi, AppState};
    use crate::broker::Broker;
    use crate::password::Argon2Settings;
    use crate::scenario::Scenario;
    use axum::body::Body;
    use axum::http::{header, Request, StatusCode};
    use std::collections::BTreeSet;
    use std::sync::Arc;
    use tower::ServiceExt;

    /// The router's routes, by hand: a route added with plain `.route()` (so served
    /// but undocumented) or documented but never served breaks one of the tests below.
    const ROUTES: &[(&str, &str)] = &[
        ("get", "/health"),
        ("get", "/openapi.json"),
        ("post", "/v1/login"),
        ("post", "/v1/login/device"),
        ("post", "/v1/login/fallback"),
        ("post", "/v1/login/resend"),
        ("post", "/v1/login/wait"),
        ("post", "/v1/login/response"),
        ("post", "/v1/login/cancel"),
        ("get", "/v1/session"),
        ("post", "/v1/session/keepalive"),
        ("post", "/v1/logout"),
        ("post", "/v1/phone/activation/start"),
        ("post", "/v1/phone/activation/verify"),
        ("post", "/v1/phone/activation/finish"),
        ("get", "/v1/phone/events"),
        ("get", "/v1/phone/pushes"),
        ("post", "/v1/phone/pushes/{id}/approve"),
        ("post", "/v1/phone/pushes/{id}/deny"),
        ("get", "/v1/phone/access"),
        ("post", "/v1/portal/online-card"),
        ("post", "/v1/portal/online-card/activate"),
        ("get", "/v1/messages"),
        ("get", "/v1/devices"),
        ("post", "/v1/portal/reactivate"),
        ("post", "/v1/portal/reactivate/confirm"),
        ("get", "/v1/account"),
        ("post", "/v1/settings/secure-login/opt-out"),
        ("post", "/v1/settings/secure-login/opt-in"),
        ("post", "/v1/orders"),
        ("post", "/v1/withdrawals"),
        ("post", "/v1/deposits"),
        ("post", "/v1/settings/bank-instructions"),
        ("post", "/v1/settings/email"),
        ("post", "/v1/sharing/start"),
        ("post", "/v1/sharing/{id}/answer"),
        ("post", "/v1/sharing/{id}/confirm"),
        ("post", "/v1/sharing/{id}/cancel"),
        ("get", "/v1/sharing"),
        ("post", "/v1/devices/order"),
        ("post", "/v1/devices/order/confirm"),
        ("get", "/v1/devices/orders"),
        ("post", "/v1/devices/{id}/return"),
        ("post", "/v1/devices/{id}/report-lost"),
        ("get", "/v1/holds"),
    ];

    const QA_ROUTES: &[(&str, &str)] = &[
        ("get", "/qa/clock"),
        ("post", "/qa/clock/advance"),
        ("post", "/qa/clock/set"),
        ("post", "/qa/reset"),
        ("get", "/qa/users/{username}/lockout"),
        ("post", "/qa/users/{username}/unlock"),
        ("get", "/qa/audit"),
        ("get", "/qa/journal"),
        ("get", "/qa/devices"),
        ("post", "/qa/devices/{id}/provision"),
        ("post", "/qa/phones/{id}/provision"),
        ("get", "/qa/sms"),
        ("get", "/qa/faults"),
        ("post", "/qa/faults"),
        ("get", "/qa/faults/routes"),
        ("post", "/qa/faults/routes"),
        ("delete", "/qa/faults/routes/{id}"),
        ("post", "/qa/faults/routes/clear"),
        ("post", "/qa/freeze"),
        ("post", "/qa/thaw"),
        ("get", "/qa/settings"),
        ("post", "/qa/settings"),
        ("get", "/qa/pushes"),
        ("post", "/qa/users/{username}/temporary-passcode"),
        ("post", "/qa/devices/{id}/activate"),
        ("post", "/qa/sharing/{id}/approve"),
        ("post", "/qa/sharing/{id}/reject"),
        ("post", "/qa/users/{username}/close-account"),
    ];

    fn operations(document: &utoipa::openapi::OpenApi) -> BTreeSet<(String, String)> {
        let value = serde_json::to_value(document).expect("the document serializes");
        let mut out = BTreeSet::new();
        for (path, item) in value["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                out.insert((method.clone(), path.clone()));
            }
        }
        out
    }

    fn listed(routes: &[&[(&str, &str)]]) -> BTreeSet<(String, String)> {
        routes
            .iter()
            .flat_map(|r| r.iter())
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect()
    }

    #[test]
    fn the_document_lists_every_route_and_only_those() {
        assert_eq!(
            operations(&openapi(true)),
            listed(&[ROUTES, QA_ROUTES]),
            "a --qa broker documents each route it serves, QA included"
        );
        assert_eq!(
            operations(&openapi(false)),
            listed(&[ROUTES]),
            "without --qa the QA routes are neither served nor documented"
        );
    }

    #[test]
    fn the_document_is_openapi_3_1_with_an_error_for_every_operation() {
        let value = serde_json::to_value(openapi(true)).unwrap();
        assert!(value["openapi"].as_str().unwrap().starts_with("3.1"));
        for (path, item) in value["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                assert!(
                    op["responses"]["200"].is_object() && op["responses"]["default"].is_object(),
                    "{method} {path} documents its answer and its errors"
                );
            }
        }
    }

    /// Walks the document and asks the router each operation (path parameters filled
    /// in, an empty JSON body): none may be unknown to the router.
    #[tokio::test]
    async fn every_documented_operation_is_served() {
        let broker = Broker::open(
            None,
            Scenario::demo(),
            Argon2Settings {
                memory_kib: 8,
                iterations: 1,
                parallelism: 1,
            },
        )
        .expect("an in-memory broker");
        let router = app(AppState::new(Arc::new(broker), true));
        for (method, path) in operations(&openapi(true)) {
            let uri = path
                .replace("{id}", "nothing")
                .replace("{username}", "nobody");
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .header(header::HOST, "127.0.0.1")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            if path == "/qa/freeze" {
                // A frozen broker would hold every later request: thaw it at once.
                let thaw = Request::builder()
                    .method("POST")
                    .uri("/qa/thaw")
                    .header(header::HOST, "127.0.0.1")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from("{}"))
                    .unwrap();
                assert!(router
                    .clone()
                    .oneshot(thaw)
                    .await
                    .unwrap()
                    .status()
                    .is_success());
            }
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            let unknown = status == StatusCode::METHOD_NOT_ALLOWED
                || (status == StatusCode::NOT_FOUND
                    && String::from_utf8_lossy(&body).contains("No such endpoint"));
            assert!(
                !unknown,
                "{method} {path} is documented but not served ({status})"
            );
        }
    }
}
