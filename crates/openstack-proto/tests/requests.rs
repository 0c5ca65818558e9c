//! Every authenticated request carries the token, and every URL is joined correctly from the
//! catalog endpoint, whatever form the operator registered it in.

use openstack_proto::barbican::{Barbican, ReadAcl};
use openstack_proto::glance::{Glance, ImageQuery, NewImage, PatchOp};
use openstack_proto::keystone::{self, EndpointFilter, Keystone};
use openstack_proto::{Request, Response, Secret, AUTH_TOKEN_HEADER};

const TOKEN: &str = "gAAAAABnQf3xTOKEN";
const ID: &str = "8a2ea42d-06b5-42c2-a54d-97105420f2bb";
const PEM: &[u8] = include_bytes!("fixtures/cert.pem");

/// A token answer whose catalog registers Glance and Barbican at `image` and `key_manager`.
fn token_with_catalog(image: &str, key_manager: &str) -> keystone::Token {
    let body = serde_json::json!({"token": {
        "methods": ["password"],
        "user": {"id": "u1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
        "project": {"id": "p1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
        "expires_at": "2026-11-23T12:41:57.000000Z",
        "issued_at": "2026-11-23T11:41:57.000000Z",
        "roles": [{"id": "r1", "name": "member"}],
        "catalog": [
            {"type": "image", "name": "glance", "id": "s1", "endpoints": [
                {"id": "e1", "interface": "public", "region": "RegionOne",
                 "region_id": "RegionOne", "url": image}]},
            {"type": "key-manager", "name": "barbican", "id": "s2", "endpoints": [
                {"id": "e2", "interface": "public", "region": "RegionOne",
                 "region_id": "RegionOne", "url": key_manager}]}
        ]
    }});
    let response = Response::new(
        201,
        vec![("X-Subject-Token".into(), TOKEN.into())],
        body.to_string().into_bytes(),
    );
    keystone::parse_token(&response).expect("token")
}

fn glance_requests(glance: &Glance) -> Vec<Request> {
    let list = openstack_proto::glance::ImageList {
        images: Vec::new(),
        next: Some(format!("/v2/images?marker={ID}&limit=10")),
    };
    vec![
        glance
            .create_image(&NewImage::new("n", "raw", "bare"))
            .expect("create"),
        glance.upload(ID, Some(3)),
        glance.stage(ID, None),
        glance.import_glance_direct(ID),
        glance.import_info(),
        glance.show_image(ID),
        glance.list_images(&ImageQuery {
            limit: Some(10),
            ..ImageQuery::default()
        }),
        glance.list_images_next(&list).expect("next"),
        glance.download(ID),
        glance.delete_image(ID),
        glance.patch_image(ID, &[PatchOp::Remove { name: "x".into() }]),
    ]
}

fn barbican_requests(barbican: &Barbican) -> Vec<Request> {
    vec![
        barbican
            .store_certificate("signer", PEM, None)
            .expect("store"),
        barbican.list_certificates(10, 20),
        barbican.secret(ID),
        barbican.payload(ID),
        barbican.set_acl(ID, &ReadAcl::default()),
        barbican.acl(ID),
        barbican.delete_secret(ID),
    ]
}

fn assert_carries_token(request: &Request) {
    assert_eq!(
        request.header(AUTH_TOKEN_HEADER),
        Some(TOKEN),
        "{} {}",
        request.method,
        request.url
    );
    assert_eq!(
        request
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(AUTH_TOKEN_HEADER))
            .count(),
        1,
        "one token header: {request:?}"
    );
}

fn assert_joined(request: &Request, base: &str) {
    assert!(
        request.url.starts_with(base),
        "{} does not start with {base}",
        request.url
    );
    let path = &request.url[base.len()..];
    assert!(path.starts_with('/'), "{}", request.url);
    assert!(!path.contains("//"), "{}", request.url);
    assert!(
        !path.starts_with("/v2") && !path.starts_with("/v1"),
        "{}",
        request.url
    );
}

#[test]
fn glance_urls_from_every_endpoint_form() {
    for (endpoint, base) in [
        ("http://127.0.0.1:9292", "http://127.0.0.1:9292/v2"),
        ("http://127.0.0.1:9292/", "http://127.0.0.1:9292/v2"),
        ("http://127.0.0.1:9292/v2", "http://127.0.0.1:9292/v2"),
        ("http://127.0.0.1:9292/v2/", "http://127.0.0.1:9292/v2"),
        (
            "https://cloud.example/image",
            "https://cloud.example/image/v2",
        ),
        (
            "https://cloud.example/image/v2/",
            "https://cloud.example/image/v2",
        ),
    ] {
        let token = token_with_catalog(endpoint, "http://127.0.0.1:9311");
        let url = token.endpoint(&EndpointFilter::image()).expect("image");
        assert_eq!(url, endpoint);
        let glance = Glance::new(url, &token.value);
        assert_eq!(glance.base_url(), base);
        let requests = glance_requests(&glance);
        assert_eq!(requests.len(), 11);
        for request in &requests {
            assert_carries_token(request);
            assert_joined(request, base);
            assert_eq!(request.header("Accept"), Some("application/json"));
        }
        assert_eq!(requests[0].url, format!("{base}/images"));
        assert_eq!(requests[1].url, format!("{base}/images/{ID}/file"));
        assert_eq!(requests[2].url, format!("{base}/images/{ID}/stage"));
        assert_eq!(requests[3].url, format!("{base}/images/{ID}/import"));
        assert_eq!(requests[4].url, format!("{base}/info/import"));
        assert_eq!(requests[5].url, format!("{base}/images/{ID}"));
        assert_eq!(requests[6].url, format!("{base}/images?limit=10"));
        assert_eq!(
            requests[7].url,
            format!("{base}/images?marker={ID}&limit=10")
        );
        assert_eq!(requests[8].url, format!("{base}/images/{ID}/file"));
    }
}

#[test]
fn barbican_urls_from_every_endpoint_form() {
    for (endpoint, base) in [
        ("http://127.0.0.1:9311", "http://127.0.0.1:9311/v1"),
        ("http://127.0.0.1:9311/", "http://127.0.0.1:9311/v1"),
        ("http://127.0.0.1:9311/v1", "http://127.0.0.1:9311/v1"),
        ("http://127.0.0.1:9311/v1/", "http://127.0.0.1:9311/v1"),
        (
            "https://cloud.example/key-manager",
            "https://cloud.example/key-manager/v1",
        ),
    ] {
        let token = token_with_catalog("http://127.0.0.1:9292", endpoint);
        let url = token
            .endpoint(&EndpointFilter::key_manager())
            .expect("key-manager");
        let barbican = Barbican::new(url, &token.value);
        assert_eq!(barbican.base_url(), base);
        let requests = barbican_requests(&barbican);
        for request in &requests {
            assert_carries_token(request);
            assert_joined(request, base);
        }
        assert_eq!(requests[0].url, format!("{base}/secrets"));
        assert_eq!(
            requests[1].url,
            format!("{base}/secrets?secret_type=certificate&limit=10&offset=20")
        );
        assert_eq!(requests[2].url, format!("{base}/secrets/{ID}"));
        assert_eq!(requests[3].url, format!("{base}/secrets/{ID}/payload"));
        assert_eq!(requests[4].url, format!("{base}/secrets/{ID}/acl"));
    }
}

#[test]
fn keystone_urls_and_tokens() {
    for auth_url in [
        "http://127.0.0.1:5000",
        "http://127.0.0.1:5000/",
        "http://127.0.0.1:5000/v3",
        "http://127.0.0.1:5000/v3/",
    ] {
        let keystone = Keystone::new(auth_url);
        let list = keystone.list_projects(&Secret::from(TOKEN));
        assert_eq!(list.url, "http://127.0.0.1:5000/v3/auth/projects");
        assert_carries_token(&list);
        let auth = keystone.authenticate(&keystone::Auth::Token {
            token: Secret::from(TOKEN),
            scope: keystone::Scope::Unscoped,
        });
        assert_eq!(auth.url, "http://127.0.0.1:5000/v3/auth/tokens");
        // Authentication carries its credentials in the body, never in X-Auth-Token.
        assert_eq!(auth.header(AUTH_TOKEN_HEADER), None);
    }
}
