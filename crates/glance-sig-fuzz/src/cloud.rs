//! The cloud's answers (Glance, Keystone, Barbican) and clouds.yaml. Besides not panicking,
//! a request built from an answer must stay on the service it came from: a token goes only
//! to the cloud it belongs to, whatever a `next` link or a secret reference says.

use openstack_proto::barbican::{self, Barbican, PayloadFormat};
use openstack_proto::config::CloudsYaml;
use openstack_proto::glance::{self, Glance};
use openstack_proto::keystone::{self, EndpointFilter};
use openstack_proto::{server_message, ApiError, Response, Secret, Service};

const GLANCE: &str = "https://glance.example:9292";
const BARBICAN: &str = "https://barbican.example:9311";

/// Statuses the parsers distinguish; the first input byte picks one.
const STATUSES: [u16; 12] = [200, 201, 202, 204, 300, 400, 401, 403, 404, 409, 413, 503];

/// An answer from fuzz bytes: a status byte, then `Name: value` header lines, a blank line,
/// and the body.
fn response(data: &[u8]) -> Response {
    let Some((&status, rest)) = data.split_first() else {
        return Response::new(200, Vec::new(), Vec::new());
    };
    let status = STATUSES[usize::from(status) % STATUSES.len()];
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&rest[..at], &rest[at + 2..]),
        None => (&[][..], rest),
    };
    let headers = String::from_utf8_lossy(head)
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_owned(), value.trim().to_owned()))
        .collect();
    Response::new(status, headers, body.to_vec())
}

/// What every door shows for a refusal: the message and its parts must be writable.
fn explain(error: &ApiError) {
    let _ = (
        error.to_string(),
        error.kind(),
        error.request_id(),
        error.server_message(),
    );
}

fn assert_stays_on(url: &str, base: &str) {
    assert!(
        url.starts_with(&format!("{base}/")),
        "a request built from an answer left {base}: {url}"
    );
}

/// Glance's image record, image list (and its `next` link), download headers, import
/// methods and the plain acknowledgements.
pub fn glance_response(data: &[u8]) -> bool {
    let answer = response(data);
    let _ = server_message(&answer.body);
    explain(&ApiError::from_response(Service::Image, &answer));
    let mut parsed = false;
    match glance::parse_image(&answer) {
        Ok(image) => {
            let _ = image.signing_state();
            parsed = true;
        }
        Err(error) => explain(&error),
    }
    let api = Glance::new(GLANCE, &Secret::new("token"));
    match glance::parse_image_list(&answer) {
        Ok(list) => {
            if let Some(next) = api.list_images_next(&list) {
                assert_stays_on(&next.url, &api.base_url());
            }
            parsed = true;
        }
        Err(error) => explain(&error),
    }
    for result in [
        glance::parse_download(&answer).map(|_| ()),
        glance::parse_import_methods(&answer).map(|_| ()),
        glance::parse_uploaded(&answer),
        glance::parse_staged(&answer),
        glance::parse_import_started(&answer),
        glance::parse_deleted(&answer),
    ] {
        if let Err(error) = result {
            explain(&error);
        }
    }
    parsed
}

/// Keystone's token (its catalog, looked up for every service) and project list.
pub fn keystone_response(data: &[u8]) -> bool {
    let answer = response(data);
    let mut parsed = false;
    match keystone::parse_token(&answer) {
        Ok(token) => {
            let _ = (token.expires_at_unix(), token.is_project_scoped());
            let _ = token.expires_within(0, 60);
            for filter in [
                EndpointFilter::image(),
                EndpointFilter::key_manager(),
                EndpointFilter::identity(),
            ] {
                if let Err(error) = token.endpoint(&filter) {
                    explain(&error);
                }
            }
            parsed = true;
        }
        Err(error) => explain(&error),
    }
    match keystone::parse_projects(&answer) {
        Ok(projects) => {
            projects.iter().for_each(|p| {
                let _ = p.scope();
            });
            parsed = true;
        }
        Err(error) => explain(&error),
    }
    parsed
}

/// Barbican's secret reference, metadata, list, payload and ACLs; a reference or list the
/// answer names leads only to requests on the same Barbican.
pub fn barbican_response(data: &[u8]) -> bool {
    let answer = response(data);
    let mut parsed = false;
    let api = Barbican::new(BARBICAN, &Secret::new("token"));
    match barbican::parse_secret_ref(&answer) {
        Ok(secret_ref) => {
            if let Some(uuid) = barbican::secret_uuid(&secret_ref) {
                assert_stays_on(&api.payload(uuid).url, &api.base_url());
                assert_stays_on(&api.secret(uuid).url, &api.base_url());
            }
            parsed = true;
        }
        Err(error) => explain(&error),
    }
    match barbican::parse_secret(&answer) {
        Ok(metadata) => {
            let _ = (metadata.uuid(), metadata.default_content_type());
            let payload = Some(answer.body.as_slice());
            for problem in barbican::check_certificate_secret(&metadata, payload, Some(0)) {
                let _ = (problem.to_string(), problem.is_fatal(), problem.fix());
            }
            parsed = true;
        }
        Err(error) => explain(&error),
    }
    match barbican::parse_secret_list(&answer) {
        Ok(page) => {
            let _ = page.next_offset();
            parsed = true;
        }
        Err(error) => explain(&error),
    }
    if let Ok(payload) = barbican::parse_payload(&answer) {
        let _ = PayloadFormat::of(payload);
    }
    for result in [
        barbican::parse_acl_ref(&answer).map(|_| ()),
        barbican::parse_acl(&answer).map(|_| ()),
        barbican::parse_deleted(&answer),
    ] {
        if let Err(error) = result {
            explain(&error);
        }
    }
    parsed
}

/// clouds.yaml (and secure.yaml merged over it): every cloud it names resolves to a
/// Keystone, credentials and endpoint filters, or to a clear error.
pub fn clouds_yaml(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(mut clouds) = CloudsYaml::parse(text) else {
        return false;
    };
    let secure = clouds.clone();
    clouds.merge(&secure);
    for name in clouds.names() {
        match clouds.cloud(&name) {
            Ok(cloud) => {
                let _ = cloud.keystone().map_err(|e| explain(&e));
                let _ = cloud.auth().map_err(|e| explain(&e));
                for service in [Service::Image, Service::KeyManager, Service::Identity] {
                    let _ = cloud.endpoint_filter(service).map_err(|e| explain(&e));
                }
            }
            Err(error) => explain(&error),
        }
    }
    true
}
