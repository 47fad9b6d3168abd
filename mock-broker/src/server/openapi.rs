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
