//! The browser transport for `openstack-proto`: a [`Request`] goes out through `fetch` (or
//! `XMLHttpRequest` when upload progress is wanted) and comes back as a [`Response`].
//!
//! Every request the portal makes to the cloud goes through this module, so the
//! Content-Security-Policy's `connect-src` and the end-to-end tests' request capture see all
//! of them.

use js_sys::{Array, Promise, Uint8Array};
use openstack_proto::{Body, Request, Response};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, ProgressEvent, ReadableStream, RequestInit, RequestMode, RequestRedirect, XmlHttpRequest,
};

/// Headers the browser sets itself (setting them is an error or silently ignored).
fn browser_managed(name: &str) -> bool {
    ["content-length", "host", "connection", "accept-encoding"]
        .iter()
        .any(|forbidden| name.eq_ignore_ascii_case(forbidden))
}

/// Text for a JavaScript error value.
pub fn js_error(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

fn window() -> Result<web_sys::Window, String> {
    web_sys::window().ok_or_else(|| "no window".to_owned())
}

fn init_for(request: &Request, body: Option<&JsValue>) -> Result<RequestInit, String> {
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    init.set_mode(RequestMode::Cors);
    // fetch would carry X-Auth-Token along a redirect, to wherever it points: refuse them all
    // (OpenStack APIs answer the page directly). The CSP's connect-src bounds XHR uploads.
    init.set_redirect(RequestRedirect::Error);
    let headers = web_sys::Headers::new().map_err(|e| js_error(&e))?;
    for (name, value) in &request.headers {
        if !browser_managed(name) {
            headers.append(name, value).map_err(|e| js_error(&e))?;
        }
    }
    init.set_headers(&headers);
    match (&request.body, body) {
        (_, Some(body)) => init.set_body(body),
        (Body::Json(bytes), None) => {
            let array = Uint8Array::from(bytes.as_slice());
            init.set_body(&array);
        }
        (Body::None | Body::Stream, None) => {}
    }
    Ok(init)
}

async fn fetch_raw(request: &Request, body: Option<&JsValue>) -> Result<web_sys::Response, String> {
    let init = init_for(request, body)?;
    let promise = window()?.fetch_with_str_and_init(&request.url, &init);
    let value = JsFuture::from(promise).await.map_err(|error| {
        format!(
            "could not reach {} ({}): the service is down, or its CORS settings do not allow this page",
            origin_of(&request.url),
            js_error(&error)
        )
    })?;
    value
        .dyn_into::<web_sys::Response>()
        .map_err(|_| "fetch returned no response".to_owned())
}

fn headers_of(response: &web_sys::Response) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(Some(iter)) = js_sys::try_iter(&response.headers()) {
        for entry in iter.flatten() {
            let pair = Array::from(&entry);
            if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                out.push((name, value));
            }
        }
    }
    out
}

/// Sends `request` with `fetch` and reads the whole answer (for API calls, whose answers are
/// small).
///
/// # Errors
/// In words, when the request cannot be sent or the answer cannot be read (a CORS refusal
/// shows up here too). HTTP error statuses are not errors here: the parsers judge them.
pub async fn send(request: &Request) -> Result<Response, String> {
    let response = fetch_raw(request, None).await?;
    let status = response.status();
    let headers = headers_of(&response);
    let buffer = JsFuture::from(response.array_buffer().map_err(|e| js_error(&e))?)
        .await
        .map_err(|e| format!("reading the answer from {}: {}", request.url, js_error(&e)))?;
    let body = Uint8Array::new(&buffer).to_vec();
    Ok(Response::new(status, headers, body))
}

/// Sends `request` and hands back the status and headers with the body as a stream, for image
/// downloads: nothing is read here. For an error status the (small) body is read instead.
///
/// # Errors
/// As [`send`].
pub async fn send_streaming(
    request: &Request,
) -> Result<(Response, Option<ReadableStream>), String> {
    let response = fetch_raw(request, None).await?;
    let status = response.status();
    let headers = headers_of(&response);
    if !(200..300).contains(&status) {
        let buffer = JsFuture::from(response.array_buffer().map_err(|e| js_error(&e))?)
            .await
            .map_err(|e| js_error(&e))?;
        let body = Uint8Array::new(&buffer).to_vec();
        return Ok((Response::new(status, headers, body), None));
    }
    Ok((Response::new(status, headers, Vec::new()), response.body()))
}

/// Sends `request` with `body` (a `File` or `Blob`, streamed from disk by the browser, never
/// copied into memory here) through `XMLHttpRequest`, reporting upload progress as
/// (bytes sent, bytes in all).
///
/// # Errors
/// In words, when the request cannot be sent or the connection fails.
pub async fn upload(
    request: &Request,
    body: &Blob,
    on_progress: impl Fn(f64, f64) + 'static,
) -> Result<Response, String> {
    let xhr = XmlHttpRequest::new().map_err(|e| js_error(&e))?;
    xhr.open_with_async(request.method.as_str(), &request.url, true)
        .map_err(|e| js_error(&e))?;
    for (name, value) in &request.headers {
        if !browser_managed(name) {
            xhr.set_request_header(name, value)
                .map_err(|e| js_error(&e))?;
        }
    }
    let progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |event: ProgressEvent| {
        on_progress(event.loaded(), event.total());
    });
    xhr.upload()
        .map_err(|e| js_error(&e))?
        .set_onprogress(Some(progress.as_ref().unchecked_ref()));
    let finished = Promise::new(&mut |resolve, reject| {
        xhr.set_onload(Some(&resolve));
        xhr.set_onerror(Some(&reject));
        xhr.set_onabort(Some(&reject));
        xhr.set_ontimeout(Some(&reject));
    });
    xhr.send_with_opt_blob(Some(body))
        .map_err(|e| js_error(&e))?;
    let result = JsFuture::from(finished).await;
    drop(progress);
    if result.is_err() {
        return Err(format!(
            "the upload to {} broke off (connection closed, CORS refused, or aborted)",
            origin_of(&request.url)
        ));
    }
    let status = xhr.status().map_err(|e| js_error(&e))?;
    let headers = xhr
        .get_all_response_headers()
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let body = xhr
        .response_text()
        .ok()
        .flatten()
        .unwrap_or_default()
        .into_bytes();
    Ok(Response::new(status, headers, body))
}

/// Waits `duration` (the upload plan's pauses) on the page's timer.
pub async fn sleep(duration: std::time::Duration) {
    let millis = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let promise = Promise::new(&mut |resolve, _| {
        let scheduled = web_sys::window().map(|window| {
            window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis)
        });
        // Without a timer, go on at once rather than wait forever.
        if !matches!(scheduled, Some(Ok(_))) {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// `scheme://host:port` of a URL, for messages.
pub fn origin_of(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    match url[after..].find('/') {
        Some(slash) => &url[..after + slash],
        None => url,
    }
}

/// Reads `len` bytes at the start of a blob (a small slice, never the whole file).
///
/// # Errors
/// In words, when the browser cannot read the file.
pub async fn read_head(blob: &Blob, len: u32) -> Result<Vec<u8>, String> {
    let end = f64::from(len).min(blob.size());
    let slice = blob
        .slice_with_f64_and_f64(0.0, end)
        .map_err(|e| js_error(&e))?;
    let buffer = JsFuture::from(slice.array_buffer())
        .await
        .map_err(|e| js_error(&e))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Reads a small file (a certificate) whole, refusing anything over `limit` bytes.
///
/// # Errors
/// In words, when the file is too large or cannot be read.
pub async fn read_small(blob: &Blob, limit: u32) -> Result<Vec<u8>, String> {
    if blob.size() > f64::from(limit) {
        return Err(format!(
            "the file is larger than {} KiB: not a certificate",
            limit / 1024
        ));
    }
    read_head(blob, limit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_of_urls() {
        assert_eq!(
            origin_of("http://127.0.0.1:9292/v2/images"),
            "http://127.0.0.1:9292"
        );
        assert_eq!(origin_of("http://127.0.0.1:9292"), "http://127.0.0.1:9292");
        assert!(browser_managed("Content-Length"));
        assert!(!browser_managed("X-Auth-Token"));
    }
}
