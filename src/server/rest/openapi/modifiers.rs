//! What the OpenAPI document says once for many operations, added after utoipa derives it: the
//! bearer scheme, versions (ETags and preconditions), idempotency keys, and public operations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::Modify;

use super::BEARER;

/// Adds the bearer scheme the secured operations name.
pub(super) struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An HS256 JWT from /api/auth/register, /api/auth/login or \
                         /api/auth/refresh, or one minted by a trusted main app sharing the \
                         secret; or a personal access token (`tdp_…`) from /api/tokens, within \
                         its scopes.",
                    ))
                    .build(),
            ),
        );
    }
}

/// An optional header parameter of type string.
fn header_param(
    name: &str,
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::path::Parameter> {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(utoipa::openapi::Required::False)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
        .into()
}

/// Versions as HTTP sees them (API-sync.md; `rest/preconditions.rs`), said once for every
/// operation they concern: the `ETag` of each answer that carries one task, project or label;
/// `If-None-Match` and its 304 on the `GET` of one; `If-Match` and its 412 on each write of one.
pub(super) struct Versions;

impl Versions {
    fn etag() -> utoipa::openapi::header::Header {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let mut header =
            utoipa::openapi::header::Header::new(ObjectBuilder::new().schema_type(Type::String));
        header.description = Some("The resource's version in double quotes, e.g. `\"3\"`".into());
        header
    }
}

impl Modify for Versions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Ref, RefOr};
        for (path, item) in openapi.paths.paths.iter_mut() {
            let collection =
                ["/api/tasks", "/api/projects", "/api/labels"].contains(&path.as_str());
            let one = ["/api/tasks/{id}", "/api/projects/{id}", "/api/labels/{id}"]
                .contains(&path.as_str())
                || path == "/api/tasks/{id}/toggle"
                || path == "/api/tasks/{id}/move";
            if !collection && !one {
                continue;
            }
            let operations = [
                (&mut item.get, true),
                (&mut item.put, false),
                (&mut item.post, false),
                (&mut item.delete, false),
                (&mut item.patch, false),
            ];
            for (operation, reading) in operations {
                let Some(operation) = operation else { continue };
                if collection && reading {
                    continue; // a listing: its resources carry `version` in the body
                }
                for (status, response) in operation.responses.responses.iter_mut() {
                    if matches!(status.as_str(), "200" | "201") {
                        if let RefOr::T(response) = response {
                            response.headers.insert("ETag".into(), Self::etag().into());
                        }
                    }
                }
                if collection {
                    continue; // a creation: no precondition
                }
                let parameters = operation.parameters.get_or_insert_with(Vec::new);
                if reading {
                    parameters.push(header_param(
                        "If-None-Match",
                        "ETags (or `*`): when one names the current version, the answer is 304",
                    ));
                    operation
                        .responses
                        .responses
                        .insert("304".into(), Ref::from_response_name("NotModified").into());
                } else {
                    parameters.push(header_param(
                        "If-Match",
                        "ETags (or `*`): unless one names the current version, nothing \
                         changes and the answer is 412",
                    ));
                    operation.responses.responses.insert(
                        "412".into(),
                        Ref::from_response_name("PreconditionFailed").into(),
                    );
                }
            }
        }
    }
}

/// `Idempotency-Key` (API-sync.md; `rest/idempotency.rs`), said once for every operation that
/// honours it: the header, `Idempotent-Replayed` on a replayed answer, and the 400, 409 and 422
/// of a malformed, busy or reused key.
pub(super) struct Idempotency;

impl Modify for Idempotency {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{Ref, RefOr};
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                (&mut item.post, axum::http::Method::POST),
                (&mut item.patch, axum::http::Method::PATCH),
            ];
            for (operation, method) in operations {
                let Some(operation) = operation else { continue };
                if !crate::server::rest::idempotency::honoured(&method, path) {
                    continue;
                }
                operation
                    .parameters
                    .get_or_insert_with(Vec::new)
                    .push(header_param(
                        "Idempotency-Key",
                        "1 to 255 visible ASCII characters (double quotes around them are \
                         removed), kept for 24 hours: a repeat of this request with the same key, \
                         method, path and body gets the first 2xx answer again (status, body, \
                         `Location`, `ETag`) with `Idempotent-Replayed: true`, and changes \
                         nothing",
                    ));
                let responses = &mut operation.responses.responses;
                for (status, response) in responses.iter_mut() {
                    if status.starts_with('2') {
                        if let RefOr::T(response) = response {
                            let mut replayed = utoipa::openapi::header::Header::new(
                                ObjectBuilder::new().schema_type(Type::String),
                            );
                            replayed.description = Some(
                                "`true` when this is the kept answer to an earlier request with \
                                 the same Idempotency-Key"
                                    .into(),
                            );
                            response
                                .headers
                                .insert("Idempotent-Replayed".into(), replayed.into());
                        }
                    }
                }
                responses
                    .entry("400".into())
                    .or_insert_with(|| Ref::from_response_name("BadRequest").into());
                responses
                    .entry("409".into())
                    .or_insert_with(|| Ref::from_response_name("IdempotencyInFlight").into());
                responses
                    .entry("422".into())
                    .or_insert_with(|| Ref::from_response_name("UnprocessableContent").into());
            }
        }
    }
}

/// Says of every operation without the bearer scheme that it is public (`security: []`), so that
/// no reader (or linter) takes a missing requirement for an oversight; and leaves out the license
/// utoipa copies from Cargo.toml, which names none (the API is not published under one).
pub(super) struct PublicOperations;

impl Modify for PublicOperations {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.info.license = None;
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                let secured = operation
                    .security
                    .get_or_insert_with(Vec::new)
                    .iter()
                    .any(|requirement| requirement != &Default::default());
                // Every caller with a token has a request rate limit, and a personal access
                // token may be outside its scopes.
                if secured {
                    operation
                        .responses
                        .responses
                        .entry("403".to_owned())
                        .or_insert_with(|| {
                            utoipa::openapi::Ref::from_response_name("Forbidden").into()
                        });
                    operation
                        .responses
                        .responses
                        .entry("429".to_owned())
                        .or_insert_with(|| {
                            utoipa::openapi::Ref::from_response_name("RateLimited").into()
                        });
                }
                // Any operation that reaches the database can meet it unavailable.
                operation
                    .responses
                    .responses
                    .entry("503".to_owned())
                    .or_insert_with(|| {
                        utoipa::openapi::Ref::from_response_name("ServiceUnavailable").into()
                    });
            }
        }
    }
}
