//! Garbage, empty and huge inputs: every parser answers with an error (or a value), never a
//! panic, and error messages stay short.

use openstack_proto::config::CloudsYaml;
use openstack_proto::{barbican, glance, keystone, server_message, Response};

fn bodies() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{}".to_vec(),
        b"\"text\"".to_vec(),
        b"{\"token\": null, \"images\": 3, \"secrets\": {}, \"projects\": \"x\"}".to_vec(),
        vec![0xff, 0x00, 0xfe, 0x80],
        "[".repeat(10_000).into_bytes(),
        "{\"a\":".repeat(10_000).into_bytes(),
        vec![b'a'; 256 << 10],
        b"<html><title>".to_vec(),
        b"<<<<>>>>&amp;&#39;".to_vec(),
    ]
}

#[test]
fn parsers_never_panic() {
    let headers = vec![
        ("X-Subject-Token".to_owned(), "t".to_owned()),
        ("Content-Length".to_owned(), "-1".to_owned()),
    ];
    for status in [200, 201, 204, 302, 400, 404, 500, 0] {
        for body in bodies() {
            let response = Response::new(status, headers.clone(), body);
            let _ = keystone::parse_token(&response);
            let _ = keystone::parse_projects(&response);
            let _ = barbican::parse_secret_ref(&response);
            let _ = barbican::parse_secret(&response);
            let _ = barbican::parse_secret_list(&response);
            let _ = barbican::parse_payload(&response);
            let _ = barbican::parse_acl_ref(&response);
            let _ = barbican::parse_acl(&response);
            let _ = barbican::parse_deleted(&response);
            let _ = glance::parse_image(&response);
            let _ = glance::parse_image_list(&response);
            let _ = glance::parse_uploaded(&response);
            let _ = glance::parse_import_methods(&response);
            let _ = glance::parse_download(&response);
            if !(200..300).contains(&status) {
                let error = glance::parse_image(&response).expect_err("error status");
                let message = error.server_message().expect("message");
                assert!(message.chars().count() <= 1001, "{status}");
                assert!(!message.is_empty());
            }
        }
    }
}

#[test]
fn server_message_of_huge_html_is_cut() {
    let page = format!(
        "<html><body><p>{}</p></body></html>",
        "word ".repeat(1_000_000)
    );
    assert!(server_message(page.as_bytes()).chars().count() <= 1001);
}

#[test]
fn clouds_yaml_garbage() {
    for text in [
        String::new(),
        "clouds:".to_owned(),
        "clouds: [1, 2]".to_owned(),
        "\u{0}\u{1}".to_owned(),
        "[".repeat(1_000),
        "clouds:\n".to_owned() + &"  ".repeat(5000) + "x",
        // Alias expansion ("billion laughs").
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
         c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
         e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
         g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n\
         clouds: {x: {auth: *h}}\n"
            .to_owned(),
    ] {
        if let Ok(clouds) = CloudsYaml::parse(&text) {
            for name in clouds.names() {
                let _ = clouds.cloud(&name).map(|cloud| cloud.auth());
            }
        }
    }
}
