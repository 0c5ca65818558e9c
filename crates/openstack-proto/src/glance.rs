//! Glance v2: images, their data, and their properties.
//!
//! A signed upload is two requests: [`Glance::create_image`] with all four signature properties
//! in the one create request ([`NewImage::with_signature`]), then [`Glance::upload`] with the
//! data, which Glance verifies while storing it. Every request says `Accept: application/json`,
//! so Glance's error bodies are JSON and [`ApiError`] can quote them.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

use crate::client::{Client, ImageApi};
use crate::error::{check_status, parse_json, ApiError};
use crate::http::{Method, Request, Response, JSON};
use crate::service::Service;
use crate::signature::{SignatureProperties, SigningState};
use crate::url::{encode, parse_query, query_string};

/// Glance's media type for JSON-patch requests.
pub const JSON_PATCH: &str = "application/openstack-images-v2.1-json-patch";

/// Attributes Glance sets itself or that [`NewImage`] has fields for: not extra properties.
const RESERVED: &[&str] = &[
    "id",
    "name",
    "status",
    "visibility",
    "protected",
    "os_hidden",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "owner",
    "size",
    "virtual_size",
    "min_ram",
    "min_disk",
    "container_format",
    "disk_format",
    "created_at",
    "updated_at",
    "tags",
    "direct_url",
    "locations",
    "self",
    "file",
    "schema",
    "stores",
];

/// A version 4 uuid from 16 random bytes, for [`NewImage::id`]: an id chosen by the client
/// lets it find (and delete) an image whose create answer was lost.
pub fn image_id_from_random(mut random: [u8; 16]) -> String {
    random[6] = (random[6] & 0x0f) | 0x40;
    random[8] = (random[8] & 0x3f) | 0x80;
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Checks that `id` has the form of a Glance image id (a uuid, `8-4-4-4-12` hex digits), so
/// that anything else is refused before a request rather than coming back as a 404.
///
/// # Errors
/// What is wrong with the id, and what an id looks like.
pub fn check_image_id(id: &str) -> Result<(), String> {
    let groups: Vec<&str> = id.split('-').collect();
    let shaped = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
    if shaped {
        return Ok(());
    }
    let shown: String = id.chars().take(60).collect();
    Err(if id.is_empty() {
        "no image id: paste one, or choose the image in the list".to_owned()
    } else {
        format!(
            "\"{shown}\" is not a Glance image id: ids are uuids such as 6f0c2a4e-1b5d-4c3e-9a7f-0d8e2b1c4a5f (openstack image list shows them)"
        )
    })
}

/// Builds Glance v2 requests for one endpoint and token: `Glance::new(endpoint, token)`, then
/// the methods below. Every request says `Accept: application/json`.
pub type Glance = Client<ImageApi>;

impl Glance {
    fn image_path(id: &str) -> String {
        format!("/images/{}", encode(id))
    }

    /// `POST /v2/images`: a new image record (status `queued`), extra properties as top-level
    /// string keys. The answer (201) goes to [`parse_image`].
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] when a property name is one of Glance's own attributes (`id`,
    /// `status`, `size`, ...), is empty, or is longer than Glance's 255 characters.
    pub fn create_image(&self, image: &NewImage) -> Result<Request, ApiError> {
        for key in image.properties.keys() {
            if key.is_empty() || key.chars().count() > 255 {
                return Err(ApiError::InvalidInput(format!(
                    "image property names must be 1 to 255 characters: {key:?}"
                )));
            }
            if RESERVED.contains(&key.as_str()) {
                return Err(ApiError::InvalidInput(format!(
                    "{key:?} is an image attribute, not an extra property"
                )));
            }
        }
        // Checked above: no extra property stands for one of the fields.
        Ok(self
            .request(Method::Post, "/images")
            .with_json(JSON, &json!(image)))
    }

    /// `PUT /v2/images/{id}/file` with `Content-Type: application/octet-stream` and, if given,
    /// `Content-Length`; the caller streams the data as the body. With all four signature
    /// properties set, Glance verifies the data while storing it. The answer (204) goes to
    /// [`parse_uploaded`].
    pub fn upload(&self, id: &str, content_length: Option<u64>) -> Request {
        self.request(Method::Put, &format!("{}/file", Self::image_path(id)))
            .with_stream(content_length)
    }

    /// `PUT /v2/images/{id}/stage`: the data for an interoperable import, streamed by the
    /// caller. Nothing is verified here. The answer (204) goes to [`parse_staged`].
    pub fn stage(&self, id: &str, content_length: Option<u64>) -> Request {
        self.request(Method::Put, &format!("{}/stage", Self::image_path(id)))
            .with_stream(content_length)
    }

    /// `POST /v2/images/{id}/import` with method `glance-direct` (after [`Glance::stage`]). The
    /// answer (202) goes to [`parse_import_started`]; the result shows later in the image's
    /// status and its `os_glance_failed_import` property.
    pub fn import_glance_direct(&self, id: &str) -> Request {
        self.request(Method::Post, &format!("{}/import", Self::image_path(id)))
            .with_json(JSON, &json!({ "method": { "name": "glance-direct" } }))
    }

    /// `GET /v2/info/import`: the import methods this Glance offers. The answer goes to
    /// [`parse_import_methods`].
    pub fn import_info(&self) -> Request {
        self.request(Method::Get, "/info/import")
    }

    /// `GET /v2/images/{id}`. The answer goes to [`parse_image`].
    pub fn show_image(&self, id: &str) -> Request {
        self.request(Method::Get, &Self::image_path(id))
    }

    /// `GET /v2/images?...`: the first page. The answer goes to [`parse_image_list`]; further
    /// pages come from [`Glance::list_images_next`].
    pub fn list_images(&self, query: &ImageQuery) -> Request {
        let pairs = query.pairs();
        if pairs.is_empty() {
            self.request(Method::Get, "/images")
        } else {
            self.request(Method::Get, &format!("/images?{}", query_string(&pairs)))
        }
    }

    /// The request for the page after `list`, or `None` on the last page. Glance's `next` link
    /// (`/v2/images?marker=...`) is relative to its own root, which need not be the catalog
    /// endpoint's (`https://cloud.example/image`), so only its query is kept.
    pub fn list_images_next(&self, list: &ImageList) -> Option<Request> {
        let next = list.next.as_deref()?;
        let query = next.split_once('?').map_or("", |(_, query)| query);
        let pairs = parse_query(query);
        Some(self.request(Method::Get, &format!("/images?{}", query_string(&pairs))))
    }

    /// `GET /v2/images/{id}/file`: the caller streams the body. Check the status and headers
    /// with [`parse_download`] before reading it.
    pub fn download(&self, id: &str) -> Request {
        self.request(Method::Get, &format!("{}/file", Self::image_path(id)))
    }

    /// `DELETE /v2/images/{id}`. The answer (204) goes to [`parse_deleted`].
    pub fn delete_image(&self, id: &str) -> Request {
        self.request(Method::Delete, &Self::image_path(id))
    }

    /// `PATCH /v2/images/{id}` with `Content-Type: application/openstack-images-v2.1-json-patch`.
    /// The answer (200, the updated image) goes to [`parse_image`].
    pub fn patch_image(&self, id: &str, operations: &[PatchOp]) -> Request {
        let body: Vec<Value> = operations.iter().map(PatchOp::to_json).collect();
        self.request(Method::Patch, &Self::image_path(id))
            .with_json(JSON_PATCH, &Value::Array(body))
    }
}

named_enum! {
    /// Who may see an image: everyone (`Public`), the owner project only (`Private`), the owner
    /// and member projects (`Shared`), or everyone, without listing it by default
    /// (`Community`).
    pub enum Visibility {
        Public = "public", Private = "private", Shared = "shared", Community = "community",
    }

    /// Glance's name for it.
    pub fn as_str;
}

/// The body of [`Glance::create_image`]: Glance's attributes, and the extra properties as
/// top-level string keys. An attribute left `None` (or no tags) is not sent: Glance's default.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct NewImage {
    pub name: String,
    /// `raw`, `qcow2`, `vmdk`, `vdi`, `iso`, ... (the bytes are signed as uploaded, in this
    /// format).
    pub disk_format: String,
    /// `bare`, `ovf`, `ova`, ...
    pub container_format: String,
    /// Glance's default is `shared`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// A chosen id (uuid), or `None` to let Glance choose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Minimum disk in GiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_disk: Option<u64>,
    /// Minimum RAM in MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_ram: Option<u64>,
    /// Deletion protection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protected: Option<bool>,
    /// Extra properties (none may be named like a field: see [`Glance::create_image`]).
    #[serde(flatten)]
    pub properties: BTreeMap<String, String>,
}

impl NewImage {
    /// An image with a name and formats, nothing else.
    pub fn new(name: &str, disk_format: &str, container_format: &str) -> Self {
        Self {
            name: name.to_owned(),
            disk_format: disk_format.to_owned(),
            container_format: container_format.to_owned(),
            ..Self::default()
        }
    }

    /// Adds the four signature properties (so they go in the one create request).
    #[must_use]
    pub fn with_signature(mut self, signature: &SignatureProperties) -> Self {
        for (key, value) in signature.to_pairs() {
            self.properties.insert(key.to_owned(), value.to_owned());
        }
        self
    }

    /// Adds an extra property.
    #[must_use]
    pub fn with_property(mut self, key: &str, value: &str) -> Self {
        self.properties.insert(key.to_owned(), value.to_owned());
        self
    }
}

/// Filters and paging for [`Glance::list_images`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ImageQuery {
    /// Page size.
    pub limit: Option<u32>,
    /// The id of the last image of the previous page.
    pub marker: Option<String>,
    /// Only images with this name.
    pub name: Option<String>,
    /// Only images in this status (`active`, `queued`, ...).
    pub status: Option<String>,
    /// Only images with this visibility (`all` for every visibility).
    pub visibility: Option<String>,
    /// Only images of this owner project.
    pub owner: Option<String>,
    /// Only images with all these tags.
    pub tags: Vec<String>,
    /// Sorting, e.g. `name:asc,created_at:desc`.
    pub sort: Option<String>,
    /// Filters on extra properties (`img_signature_certificate_uuid=<uuid>`).
    pub properties: Vec<(String, String)>,
}

impl ImageQuery {
    fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        let mut push = |key: &str, value: &Option<String>| {
            if let Some(value) = value {
                pairs.push((key.to_owned(), value.clone()));
            }
        };
        push("limit", &self.limit.map(|limit| limit.to_string()));
        push("marker", &self.marker);
        push("name", &self.name);
        push("status", &self.status);
        push("visibility", &self.visibility);
        push("owner", &self.owner);
        push("sort", &self.sort);
        pairs.extend(self.tags.iter().map(|tag| ("tag".to_owned(), tag.clone())));
        pairs.extend(self.properties.iter().cloned());
        pairs
    }
}

/// One JSON-patch operation on an image property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatchOp {
    /// Adds a property.
    Add {
        /// The property name.
        name: String,
        /// The value.
        value: String,
    },
    /// Replaces an existing property.
    Replace {
        /// The property name.
        name: String,
        /// The value.
        value: String,
    },
    /// Removes a property.
    Remove {
        /// The property name.
        name: String,
    },
}

impl PatchOp {
    fn to_json(&self) -> Value {
        // JSON pointer escaping (RFC 6901): '~' first, then '/'.
        let path = |name: &str| format!("/{}", name.replace('~', "~0").replace('/', "~1"));
        match self {
            Self::Add { name, value } => json!({ "op": "add", "path": path(name), "value": value }),
            Self::Replace { name, value } => {
                json!({ "op": "replace", "path": path(name), "value": value })
            }
            Self::Remove { name } => json!({ "op": "remove", "path": path(name) }),
        }
    }
}

/// An image record.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Image {
    pub id: String,
    /// The name (Glance allows none).
    pub name: Option<String>,
    /// `queued`, `saving`, `uploading`, `importing`, `active`, `killed`, `deleted`,
    /// `pending_delete`, `deactivated`.
    pub status: String,
    /// The disk format, once set.
    pub disk_format: Option<String>,
    /// The container format, once set.
    pub container_format: Option<String>,
    /// The data size in bytes, once uploaded.
    pub size: Option<u64>,
    /// The virtual size, if known.
    pub virtual_size: Option<u64>,
    /// The MD5 of the data (legacy).
    pub checksum: Option<String>,
    /// The multihash algorithm (`sha512`).
    pub os_hash_algo: Option<String>,
    /// The multihash value (hex).
    pub os_hash_value: Option<String>,
    /// `public`, `private`, `shared`, `community`.
    #[serde(default)]
    pub visibility: String,
    /// The owner project id.
    pub owner: Option<String>,
    /// When it was created.
    #[serde(default)]
    pub created_at: String,
    /// When it was last updated.
    pub updated_at: Option<String>,
    /// Deletion protection.
    #[serde(default)]
    pub protected: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Minimum disk in GiB (0 when Glance gives none).
    #[serde(default, deserialize_with = "zero_if_null")]
    pub min_disk: u64,
    /// Minimum RAM in MiB (0 when Glance gives none).
    #[serde(default, deserialize_with = "zero_if_null")]
    pub min_ram: u64,
    /// The stores holding the data (`fs`), if Glance says.
    pub stores: Option<String>,
    /// Every other top-level key: the extra properties, `img_signature*` among them. A value
    /// that is not a string (Glance's own additions) is kept as its JSON text.
    #[serde(flatten, deserialize_with = "extra_properties")]
    pub properties: BTreeMap<String, String>,
}

impl Image {
    /// Whether the image carries none, some, or all of the signature properties.
    pub fn signing_state(&self) -> SigningState {
        // Presence only, whatever the values (as Glance decides whether to verify).
        let get = |name: &str| self.properties.get(name).cloned();
        SignatureProperties {
            signature: get(crate::signature::SIGNATURE),
            hash_method: get(crate::signature::HASH_METHOD),
            key_type: get(crate::signature::KEY_TYPE),
            certificate_uuid: get(crate::signature::CERTIFICATE_UUID),
        }
        .signing_state()
    }
}

fn zero_if_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Ok(Option::deserialize(deserializer)?.unwrap_or(0))
}

/// Keys that are links or schema data, not properties.
const NOT_PROPERTIES: &[&str] = &[
    "self",
    "file",
    "schema",
    "locations",
    "direct_url",
    "os_hidden",
];

/// The keys [`Image`] has no field for, but for links and schema data and null values.
fn extra_properties<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let rest = BTreeMap::<String, Value>::deserialize(deserializer)?;
    Ok(rest
        .into_iter()
        .filter(|(key, _)| !NOT_PROPERTIES.contains(&key.as_str()))
        .filter_map(|(key, value)| match value {
            Value::String(text) => Some((key, text)),
            Value::Null => None,
            other => Some((key, other.to_string())),
        })
        .collect())
}

/// Reads an image record: the answer to [`Glance::create_image`] (201),
/// [`Glance::show_image`] or [`Glance::patch_image`] (200).
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer; [`ApiError::InvalidResponse`] for a body that is
/// not an image.
pub fn parse_image(response: &Response) -> Result<Image, ApiError> {
    parse_json(Service::Image, response)
}

/// One page of images.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ImageList {
    /// The images on this page.
    pub images: Vec<Image>,
    /// Glance's link to the next page (absent on the last page); see
    /// [`Glance::list_images_next`].
    pub next: Option<String>,
}

/// Reads the answer to [`Glance::list_images`] or [`Glance::list_images_next`].
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer; [`ApiError::InvalidResponse`] for a body without
/// an `images` list.
pub fn parse_image_list(response: &Response) -> Result<ImageList, ApiError> {
    parse_json(Service::Image, response)
}

/// Reads the answer to [`Glance::upload`]: 204 when the data is stored (and verified, for a
/// signed image).
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer; a signature refusal is a 400 whose
/// [`ApiError::signature_refusal`] says why, after which the image is `queued` again and accepts
/// a new upload. 409 when the image already has data, 413 over a size limit or quota. A
/// certificate secret stored as `text/plain` made Glance 33 answer 500 with only the generic
/// "The server has either erred ..." text: for a 500 on a signed upload, check the secret with
/// [`crate::barbican::check_certificate_secret`].
pub fn parse_uploaded(response: &Response) -> Result<(), ApiError> {
    check_status(Service::Image, response)
}

/// Reads the answer to [`Glance::stage`].
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer.
pub fn parse_staged(response: &Response) -> Result<(), ApiError> {
    check_status(Service::Image, response)
}

/// Reads the answer to [`Glance::import_glance_direct`] (202: the import runs on).
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer (409 when nothing was staged).
pub fn parse_import_started(response: &Response) -> Result<(), ApiError> {
    check_status(Service::Image, response)
}

/// Reads the answer to [`Glance::delete_image`].
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer (403 for a protected image, 404).
pub fn parse_deleted(response: &Response) -> Result<(), ApiError> {
    check_status(Service::Image, response)
}

#[derive(Deserialize)]
struct ImportInfo {
    #[serde(rename = "import-methods")]
    import_methods: ImportMethods,
}

#[derive(Deserialize)]
struct ImportMethods {
    #[serde(default)]
    value: Vec<String>,
}

/// Reads the answer to [`Glance::import_info`]: the method names (`glance-direct`,
/// `web-download`, `copy-image`, ...).
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer; [`ApiError::InvalidResponse`] for a body without
/// `import-methods`.
pub fn parse_import_methods(response: &Response) -> Result<Vec<String>, ApiError> {
    let info: ImportInfo = parse_json(Service::Image, response)?;
    Ok(info.import_methods.value)
}

/// What the headers of a download answer say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadInfo {
    /// `false` for Glance's 204: the image has no data.
    pub has_data: bool,
    /// `Content-Length`, when sent.
    pub content_length: Option<u64>,
    /// `Content-MD5`: Glance's legacy MD5 checksum of the data, hex.
    pub content_md5: Option<String>,
}

/// Checks the answer to [`Glance::download`] from its status and headers; the body (the image
/// data) is the caller's to stream and is not looked at. For an error, read the (small) body
/// into `response.body` before calling, so the message can be quoted.
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer (404, 403, ...); [`ApiError::InvalidResponse`] for
/// a `Content-Length` that is not a number.
pub fn parse_download(response: &Response) -> Result<DownloadInfo, ApiError> {
    check_status(Service::Image, response)?;
    let content_length = match response.header("Content-Length") {
        Some(text) => Some(text.trim().parse::<u64>().map_err(|_| {
            ApiError::invalid_response(
                Service::Image,
                response,
                format!("Content-Length {text:?} is not a number"),
            )
        })?),
        None => None,
    };
    Ok(DownloadInfo {
        has_data: response.status != 204,
        content_length,
        content_md5: response.header("Content-MD5").map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Body;
    use crate::signature::{CERTIFICATE_UUID, KEY_TYPE, SIGNATURE};
    use crate::test_support::{glance, json_body, response, signature};
    use crate::{ErrorKind, Secret};

    const ID: &str = "8a2ea42d-06b5-42c2-a54d-97105420f2bb";

    fn ok(status: u16, body: &str) -> Response {
        response(status, &[], body)
    }

    #[test]
    fn image_ids_are_checked_before_any_request() {
        assert_eq!(
            check_image_id("6f0c2a4e-1b5d-4c3e-9a7f-0d8e2b1c4a5F"),
            Ok(())
        );
        for bad in [
            "",
            "6f0c2a4e",
            "6f0c2a4e-1b5d-4c3e-9a7f-0d8e2b1c4a5",
            "6f0c2a4e-1b5d-4c3e-9a7f-0d8e2b1c4a5g",
            "../x",
        ] {
            let error = check_image_id(bad).expect_err(bad);
            assert!(error.contains("image id"), "{error}");
        }
    }

    #[test]
    fn client_chosen_ids_are_version_4_uuids() {
        assert_eq!(
            image_id_from_random([0xff; 16]),
            "ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
        assert_eq!(
            image_id_from_random([0; 16]),
            "00000000-0000-4000-8000-000000000000"
        );
    }

    #[test]
    fn create_image_puts_all_four_signature_properties_in_one_request() {
        let mut image = NewImage::new("cirros-signed", "qcow2", "bare")
            .with_signature(&signature())
            .with_property("os_distro", "cirros");
        image.visibility = Some(Visibility::Private);
        image.tags = vec!["signed".into()];
        let request = glance().create_image(&image).expect("request");
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.url, "http://127.0.0.1:9292/v2/images");
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("accept"), Some("application/json"));
        assert_eq!(
            json_body(&request),
            json!({
                "name": "cirros-signed",
                "disk_format": "qcow2",
                "container_format": "bare",
                "visibility": "private",
                "tags": ["signed"],
                "os_distro": "cirros",
                "img_signature": "c2lnbmF0dXJl",
                "img_signature_hash_method": "SHA-256",
                "img_signature_key_type": "RSA-PSS",
                "img_signature_certificate_uuid": "0f3f0fa2-5b0e-4a3c-9d35-2b7e0d3f5a11"
            })
        );
    }

    #[test]
    fn create_image_refuses_reserved_and_bad_names() {
        for key in ["status", "id", "size", "name", ""] {
            let image = NewImage::new("x", "raw", "bare").with_property(key, "v");
            let error = glance().create_image(&image).expect_err(key);
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{key}");
        }
        let long = "k".repeat(256);
        let image = NewImage::new("x", "raw", "bare").with_property(&long, "v");
        assert!(glance().create_image(&image).is_err());
        // Long values are fine (no 255 limit on values in v2).
        let image = NewImage::new("x", "raw", "bare").with_property(SIGNATURE, &"A".repeat(684));
        assert!(glance().create_image(&image).is_ok());
    }

    #[test]
    fn parse_created_image() {
        let image = parse_image(&ok(
            201,
            include_str!("../tests/fixtures/glance_image_queued.json"),
        ))
        .expect("image");
        assert_eq!(image.id, ID);
        assert_eq!(image.status, "queued");
        assert_eq!(image.size, None);
        assert_eq!(image.checksum, None);
        assert_eq!(image.disk_format.as_deref(), Some("qcow2"));
        assert_eq!(image.visibility, "private");
        assert_eq!(image.min_disk, 0);
        assert!(image.signing_state().is_signed());
        assert_eq!(
            image.properties.get(CERTIFICATE_UUID).map(String::as_str),
            Some("0f3f0fa2-5b0e-4a3c-9d35-2b7e0d3f5a11")
        );
        for link in ["self", "file", "schema", "os_hidden"] {
            assert!(!image.properties.contains_key(link), "{link}");
        }
        assert_eq!(image.properties.len(), 5, "{:?}", image.properties);
    }

    #[test]
    fn parse_active_image() {
        let image = parse_image(&ok(
            200,
            include_str!("../tests/fixtures/glance_image_active.json"),
        ))
        .expect("image");
        assert_eq!(image.status, "active");
        assert_eq!(image.size, Some(21_430_272));
        assert_eq!(
            image.checksum.as_deref(),
            Some("443b7623e27ecf03dc9e01ee93f67afe")
        );
        assert_eq!(image.os_hash_algo.as_deref(), Some("sha512"));
        assert!(image
            .os_hash_value
            .as_deref()
            .is_some_and(|v| v.len() == 128));
        assert_eq!(
            image.owner.as_deref(),
            Some("8e2f4b5cc1a24f5aa1f0d1b2c3d4e5f6")
        );
        assert_eq!(image.created_at, "2026-11-23T11:50:03Z");
        assert_eq!(image.stores.as_deref(), Some("fs"));
        assert_eq!(
            image.signing_state(),
            SigningState::PartiallySigned {
                missing: vec![KEY_TYPE, CERTIFICATE_UUID],
            }
        );
        assert_eq!(
            image
                .properties
                .get("hw_qemu_guest_agent")
                .map(String::as_str),
            Some("yes")
        );
    }

    #[test]
    fn parse_image_errors() {
        let not_found = response(
            404,
            &[("X-Openstack-Request-Id", "req-404")],
            br#"{"message": "The resource could not be found.<br /><br />\nNo image found with ID 8a2e\n\n\n", "code": "404 Not Found", "title": "Not Found"}"#,
        );
        let error = parse_image(&not_found).expect_err("404");
        assert!(error.is_not_found());
        assert_eq!(error.server_message(), Some("No image found with ID 8a2e"));
        assert_eq!(error.request_id(), Some("req-404"));
        let error = parse_image(&ok(200, r#"{"images": []}"#)).expect_err("not an image");
        assert_eq!(error.kind(), ErrorKind::InvalidResponse);
    }

    #[test]
    fn upload_and_stage_stream_the_body() {
        let request = glance().upload(ID, Some(1_073_741_824));
        assert_eq!(request.method, Method::Put);
        assert_eq!(
            request.url,
            format!("http://127.0.0.1:9292/v2/images/{ID}/file")
        );
        assert_eq!(request.body, Body::Stream);
        assert_eq!(
            request.header("content-type"),
            Some("application/octet-stream")
        );
        assert_eq!(request.header("content-length"), Some("1073741824"));
        assert_eq!(request.header("accept"), Some("application/json"));
        let unsized_upload = glance().upload(ID, None);
        assert_eq!(unsized_upload.header("content-length"), None);

        let stage = glance().stage(ID, Some(5));
        assert_eq!(
            stage.url,
            format!("http://127.0.0.1:9292/v2/images/{ID}/stage")
        );
        assert_eq!(stage.body, Body::Stream);
        assert_eq!(parse_staged(&ok(204, "")), Ok(()));
        assert_eq!(parse_uploaded(&ok(204, "")), Ok(()));
    }

    #[test]
    fn upload_signature_refusal() {
        let response = ok(
            400,
            include_str!("../tests/fixtures/glance_400_signature_failed.json"),
        );
        let error = parse_uploaded(&response).expect_err("refused");
        assert!(error.is_signature_refusal());
        let conflict = ok(
            409,
            include_str!("../tests/fixtures/glance_409_conflict.json"),
        );
        assert!(parse_uploaded(&conflict).expect_err("409").is_conflict());
    }

    #[test]
    fn import_requests() {
        let request = glance().import_glance_direct(ID);
        assert_eq!(request.method, Method::Post);
        assert_eq!(
            request.url,
            format!("http://127.0.0.1:9292/v2/images/{ID}/import")
        );
        assert_eq!(
            json_body(&request),
            json!({"method": {"name": "glance-direct"}})
        );
        assert_eq!(parse_import_started(&ok(202, "")), Ok(()));

        let info = glance().import_info();
        assert_eq!(info.url, "http://127.0.0.1:9292/v2/info/import");
        let methods = parse_import_methods(&ok(
            200,
            include_str!("../tests/fixtures/glance_info_import.json"),
        ))
        .expect("methods");
        assert_eq!(methods, vec!["glance-direct", "web-download", "copy-image"]);
        assert!(parse_import_methods(&ok(200, "{}")).is_err());
    }

    #[test]
    fn list_with_filters_and_paging() {
        let query = ImageQuery {
            limit: Some(2),
            status: Some("active".into()),
            tags: vec!["signed".into()],
            properties: vec![(CERTIFICATE_UUID.into(), "0f3f0fa2".into())],
            ..ImageQuery::default()
        };
        let request = glance().list_images(&query);
        assert_eq!(
            request.url,
            "http://127.0.0.1:9292/v2/images?limit=2&status=active&tag=signed&\
             img_signature_certificate_uuid=0f3f0fa2"
        );
        assert_eq!(
            glance().list_images(&ImageQuery::default()).url,
            "http://127.0.0.1:9292/v2/images"
        );
        let list = parse_image_list(&ok(
            200,
            include_str!("../tests/fixtures/glance_image_list.json"),
        ))
        .expect("list");
        assert_eq!(list.images.len(), 2);
        assert_eq!(list.images[0].name.as_deref(), Some("cirros-0.6.3"));
        assert_eq!(list.images[1].signing_state(), SigningState::Unsigned);
        let next = glance().list_images_next(&list).expect("next page");
        assert_eq!(
            next.url,
            "http://127.0.0.1:9292/v2/images?limit=2&status=active&\
             marker=3b5c7d9e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"
        );
        // Under a path prefix, the next link (relative to Glance's root) keeps the prefix.
        let prefixed = Glance::new("https://cloud.example/image/v2/", &Secret::from("t"));
        assert_eq!(
            prefixed.list_images_next(&list).expect("next").url,
            "https://cloud.example/image/v2/images?limit=2&status=active&\
             marker=3b5c7d9e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"
        );
        let last =
            parse_image_list(&ok(200, r#"{"images": [], "first": "/v2/images"}"#)).expect("last");
        assert!(glance().list_images_next(&last).is_none());
    }

    #[test]
    fn download_head() {
        let request = glance().download(ID);
        assert_eq!(request.method, Method::Get);
        assert_eq!(
            request.url,
            format!("http://127.0.0.1:9292/v2/images/{ID}/file")
        );
        let head = response(
            200,
            &[
                ("Content-Type", "application/octet-stream"),
                ("Content-Length", "21430272"),
                ("Content-MD5", "443b7623e27ecf03dc9e01ee93f67afe"),
            ],
            "",
        );
        assert_eq!(
            parse_download(&head),
            Ok(DownloadInfo {
                has_data: true,
                content_length: Some(21_430_272),
                content_md5: Some("443b7623e27ecf03dc9e01ee93f67afe".into()),
            })
        );
        let empty = parse_download(&ok(204, "")).expect("204");
        assert!(!empty.has_data);
        let bad = response(200, &[("Content-Length", "lots")], "");
        assert!(parse_download(&bad).is_err());
        assert!(parse_download(&ok(404, ""))
            .expect_err("404")
            .is_not_found());
    }

    #[test]
    fn delete() {
        let request = glance().delete_image(ID);
        assert_eq!(request.method, Method::Delete);
        assert_eq!(request.url, format!("http://127.0.0.1:9292/v2/images/{ID}"));
        assert_eq!(parse_deleted(&ok(204, "")), Ok(()));
        let protected = ok(
            403,
            "403 Forbidden\n\nAccess was denied to this resource.\n\n Image 8a2e is protected and cannot be deleted.\n\n",
        );
        let error = parse_deleted(&protected).expect_err("403");
        assert!(error.is_forbidden());
        assert_eq!(
            error.server_message(),
            Some("Image 8a2e is protected and cannot be deleted.")
        );
    }

    #[test]
    fn patch_properties() {
        let request = glance().patch_image(
            ID,
            &[
                PatchOp::Add {
                    name: SIGNATURE.into(),
                    value: "MGUC".into(),
                },
                PatchOp::Replace {
                    name: "a/b~c".into(),
                    value: "v".into(),
                },
                PatchOp::Remove { name: "old".into() },
            ],
        );
        assert_eq!(request.method, Method::Patch);
        assert_eq!(request.url, format!("http://127.0.0.1:9292/v2/images/{ID}"));
        assert_eq!(
            request.header("content-type"),
            Some("application/openstack-images-v2.1-json-patch")
        );
        assert_eq!(
            json_body(&request),
            json!([
                {"op": "add", "path": "/img_signature", "value": "MGUC"},
                {"op": "replace", "path": "/a~1b~0c", "value": "v"},
                {"op": "remove", "path": "/old"}
            ])
        );
        let image = parse_image(&ok(
            200,
            include_str!("../tests/fixtures/glance_image_active.json"),
        ))
        .expect("patched image");
        assert_eq!(image.id, "3b5c7d9e-1f2a-4b3c-8d4e-5f6a7b8c9d0e");
    }

    #[test]
    fn ids_are_escaped_in_paths() {
        let request = glance().show_image("../../v3/auth/tokens?x");
        assert_eq!(
            request.url,
            "http://127.0.0.1:9292/v2/images/..%2F..%2Fv3%2Fauth%2Ftokens%3Fx"
        );
    }
}
