//! What the crate's unit tests share: answers to feed the parsers, a look into request bodies,
//! and one Glance client and signature to build requests with.

use serde_json::Value;

use crate::glance::Glance;
use crate::http::{Body, Request, Response};
use crate::signature::SignatureProperties;
use crate::Secret;

/// An answer with the given status, headers and body.
pub(crate) fn response(status: u16, headers: &[(&str, &str)], body: impl AsRef<[u8]>) -> Response {
    let headers = headers
        .iter()
        .map(|&(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    Response::new(status, headers, body.as_ref().to_vec())
}

/// The JSON body of a request; panics for any other body.
pub(crate) fn json_body(request: &Request) -> Value {
    match &request.body {
        Body::Json(bytes) => serde_json::from_slice(bytes).expect("JSON body"),
        other => panic!("expected a JSON body, got {other:?}"),
    }
}

/// A Glance at `http://127.0.0.1:9292` with token `tok`.
pub(crate) fn glance() -> Glance {
    Glance::new("http://127.0.0.1:9292", &Secret::from("tok"))
}

/// All four signature properties, as an upload sends them.
pub(crate) fn signature() -> SignatureProperties {
    SignatureProperties {
        signature: Some("c2lnbmF0dXJl".into()),
        hash_method: Some("SHA-256".into()),
        key_type: Some("RSA-PSS".into()),
        certificate_uuid: Some("0f3f0fa2-5b0e-4a3c-9d35-2b7e0d3f5a11".into()),
    }
}
