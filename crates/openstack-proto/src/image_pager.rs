//! Listing every image, page after page, without I/O: [`ImagePager`] hands out the first
//! request, reads each answer into a [`Page`] (its images and the request for the next one),
//! and refuses a `next` link that would list forever or send the token elsewhere. The CLI's
//! `audit` and the portal's catalog both drive it.

use std::collections::BTreeSet;

use crate::error::ApiError;
use crate::glance::{parse_image_list, Glance, Image, ImageQuery};
use crate::http::{Request, Response};
use crate::service::Service;
use crate::url::{self, parse_query};

/// Drives an image listing across Glance's `next` links.
#[derive(Clone, Debug)]
pub struct ImagePager {
    glance: Glance,
    /// The query strings already asked for: a `next` back to one of them would loop.
    seen: BTreeSet<Vec<(String, String)>>,
}

/// One page, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The images on it.
    pub images: Vec<Image>,
    /// The request for the following page; `None` when this was the last.
    pub next: Option<Request>,
}

impl ImagePager {
    /// A pager for `glance`, and the request for the first page of `query`.
    pub fn new(glance: &Glance, query: &ImageQuery) -> (Self, Request) {
        let first = glance.list_images(query);
        let mut pager = Self {
            glance: glance.clone(),
            seen: BTreeSet::new(),
        };
        pager.seen.insert(query_of(&first.url));
        (pager, first)
    }

    /// Reads the answer to the last request handed out. An empty page ends the listing even
    /// when it carries a `next` link (some Glance versions link past the end).
    ///
    /// # Errors
    /// What [`parse_image_list`] returns; [`ApiError::InvalidResponse`] when the `next` link
    /// points at another origin than the image endpoint's, or back at a page already listed.
    pub fn page(&mut self, response: &Response) -> Result<Page, ApiError> {
        let list = parse_image_list(response)?;
        let next = match list.next.as_deref() {
            Some(link) if !list.images.is_empty() => Some(link),
            _ => None,
        };
        let Some(link) = next else {
            return Ok(Page {
                images: list.images,
                next: None,
            });
        };
        if leaves_origin(link, &self.glance.base_url()) {
            return Err(ApiError::invalid_response(
                Service::Image,
                response,
                format!("the next-page link {link:?} leaves the image endpoint's origin"),
            ));
        }
        let request = self.glance.list_images_next(&list);
        if let Some(request) = &request {
            if !self.seen.insert(query_of(&request.url)) {
                return Err(ApiError::invalid_response(
                    Service::Image,
                    response,
                    format!("the next-page link {link:?} points back at a page already listed"),
                ));
            }
        }
        Ok(Page {
            images: list.images,
            next: request,
        })
    }
}

/// Whether `link` names a host: an absolute (`https://...`) or scheme-relative (`//host/...`)
/// link on another origin. A relative link stays on the endpoint.
fn leaves_origin(link: &str, endpoint: &str) -> bool {
    if let Some(rest) = link.strip_prefix("//") {
        let scheme = endpoint.split_once("://").map_or("", |(scheme, _)| scheme);
        return url::origin(&format!("{scheme}://{rest}")) != url::origin(endpoint);
    }
    link.contains("://") && url::origin(link) != url::origin(endpoint)
}

/// The query pairs of a URL, sorted: the same page whatever the order of its parameters.
fn query_of(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, query)| query);
    let mut pairs = parse_query(query);
    pairs.sort();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;

    fn glance() -> Glance {
        Glance::new("https://cloud.example/image", &Secret::from("tok"))
    }

    fn page(ids: &[&str], next: Option<&str>) -> Response {
        let images: Vec<_> = ids
            .iter()
            .map(|id| serde_json::json!({ "id": id, "status": "active" }))
            .collect();
        let mut body = serde_json::json!({ "images": images });
        if let Some(next) = next {
            body["next"] = next.into();
        }
        Response::new(200, Vec::new(), body.to_string().into_bytes())
    }

    fn ids(page: &Page) -> Vec<&str> {
        page.images.iter().map(|i| i.id.as_str()).collect()
    }

    #[test]
    fn follows_next_links_to_the_last_page() {
        let query = ImageQuery {
            limit: Some(2),
            ..ImageQuery::default()
        };
        let (mut pager, first) = ImagePager::new(&glance(), &query);
        assert_eq!(first.url, "https://cloud.example/image/v2/images?limit=2");
        let one = pager
            .page(&page(&["a", "b"], Some("/v2/images?limit=2&marker=b")))
            .expect("page 1");
        assert_eq!(ids(&one), ["a", "b"]);
        let next = one.next.expect("a second page");
        // Glance's link is relative to its own root: only its query is kept.
        assert_eq!(
            next.url,
            "https://cloud.example/image/v2/images?limit=2&marker=b"
        );
        assert_eq!(next.header("x-auth-token"), Some("tok"));
        let two = pager.page(&page(&["c"], None)).expect("page 2");
        assert_eq!(ids(&two), ["c"]);
        assert!(two.next.is_none());
    }

    #[test]
    fn an_empty_page_ends_the_listing() {
        let (mut pager, _) = ImagePager::new(&glance(), &ImageQuery::default());
        let empty = pager
            .page(&page(&[], Some("/v2/images?marker=z")))
            .expect("page");
        assert!(empty.images.is_empty());
        assert!(empty.next.is_none());
    }

    #[test]
    fn a_next_link_back_to_a_listed_page_is_refused() {
        let (mut pager, _) = ImagePager::new(&glance(), &ImageQuery::default());
        pager
            .page(&page(&["a"], Some("/v2/images?marker=a&limit=1")))
            .expect("page 1");
        // The same page with its parameters in another order.
        let error = pager
            .page(&page(&["b"], Some("/v2/images?limit=1&marker=a")))
            .expect_err("loop");
        assert_eq!(error.kind(), crate::ErrorKind::InvalidResponse);
        assert!(error.to_string().contains("already listed"), "{error}");
        // A link to the first page (no query) loops too.
        let (mut pager, _) = ImagePager::new(&glance(), &ImageQuery::default());
        assert!(pager.page(&page(&["a"], Some("/v2/images"))).is_err());
    }

    #[test]
    fn a_next_link_to_another_origin_is_refused() {
        for link in [
            "https://evil.example/v2/images?marker=a",
            "http://cloud.example/image/v2/images?marker=a",
            "//evil.example/v2/images?marker=a",
        ] {
            let (mut pager, _) = ImagePager::new(&glance(), &ImageQuery::default());
            let error = pager.page(&page(&["a"], Some(link))).expect_err(link);
            assert!(error.to_string().contains("origin"), "{error}");
        }
        // An absolute link on the endpoint's own origin is followed.
        let (mut pager, _) = ImagePager::new(&glance(), &ImageQuery::default());
        let same = pager
            .page(&page(
                &["a"],
                Some("https://CLOUD.example:443/image/v2/images?marker=a"),
            ))
            .expect("same origin");
        assert!(same.next.is_some());
    }

    #[test]
    fn an_error_answer_is_glances_error() {
        let (mut pager, _) = ImagePager::new(&glance(), &ImageQuery::default());
        let error = pager
            .page(&Response::new(403, Vec::new(), b"{}".to_vec()))
            .expect_err("403");
        assert_eq!(error.status(), Some(403));
    }
}
