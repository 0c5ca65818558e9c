"""`--properties` takes a flat JSON object (what the Glance API returns, other fields around the
four) and the output of `openstack image show -f json` (properties nested under "properties")."""

from __future__ import annotations

import pytest

import peerlib as pl

CERT_UUID = "5b9fb7a8-2b6e-4e5e-8c5e-1d6f0c7a9b31"
IMAGE_ID = "a3b1e6f4-7f0c-4c59-9f3c-2b2f4a0b9d11"


def openstack_image_show(props: dict) -> dict:
    """Shape of `openstack image show -f json` (python-openstackclient 10.x)."""
    return {
        "checksum": "0f343b0931126a20f133d67c2b018a3b",
        "container_format": "bare",
        "created_at": "2030-01-01T00:00:00Z",
        "disk_format": "qcow2",
        "file": f"/v2/images/{IMAGE_ID}/file",
        "id": IMAGE_ID,
        "min_disk": 0,
        "min_ram": 0,
        "name": "cirros-signed",
        "owner": "4f5d1c2b3a4e4f6a8b9c0d1e2f3a4b5c",
        "properties": {
            "os_hash_algo": "sha512",
            "os_hash_value": "ab" * 64,
            "os_hidden": False,
            "owner_specified.openstack.md5": "",
            "stores": "file",
            **props,
        },
        "protected": False,
        "schema": "/v2/schemas/image",
        "size": 307217,
        "status": "active",
        "tags": [],
        "updated_at": "2030-01-01T00:00:01Z",
        "virtual_size": None,
        "visibility": "private",
    }


def glance_api_image(props: dict) -> dict:
    """Shape of GET /v2/images/{id}: extra properties are top-level string keys."""
    return {
        "id": IMAGE_ID, "name": "cirros-signed", "status": "active", "visibility": "private",
        "size": 307217, "checksum": "0f343b0931126a20f133d67c2b018a3b", "tags": [],
        "container_format": "bare", "disk_format": "qcow2", "min_disk": 0, "min_ram": 0,
        "protected": False, "os_hidden": False, "os_hash_algo": "sha512",
        "self": f"/v2/images/{IMAGE_ID}", "file": f"/v2/images/{IMAGE_ID}/file",
        "schema": "/v2/schemas/image", **props,
    }


SHAPES = {"flat": lambda p: p, "glance-api": glance_api_image,
          "openstack-image-show": openstack_image_show}


def _props(mat, key="p521", hash_method="SHA-512", **override):
    p = pl.props(pl.b64(mat.good_sig(key, hash_method)), hash_method,
                 pl.MAIN_KEYS[key].key_type, CERT_UUID)
    p.update(override)
    return p


@pytest.mark.parametrize("shape", SHAPES)
def test_shapes_valid(mat, gs, shape):
    props = _props(mat)
    assert pl.cursive_verdict(props, mat.cert_file("p521"), mat.image())[0]
    path = pl.write_json(mat.path("props", f"shape-{shape}.json"), SHAPES[shape](props))
    r = gs(*pl.verify_args(mat.image(), mat.cert_file("p521"), path, "--json"))
    assert r.returncode == 0, r.describe()
    doc = r.json()
    pl.check_verify_doc(doc)
    assert doc["signature"]["certificate_uuid"] == CERT_UUID
    assert doc["signature"]["hash_method"] == "SHA-512"
    assert doc["signature"]["key_type"] == "ECC_SECP521R1"


@pytest.mark.parametrize("shape", SHAPES)
def test_shapes_really_read_the_nested_values(mat, gs, shape):
    """A bad hash name inside the shape is seen (so the right object was read)."""
    props = _props(mat, img_signature_hash_method="sha512")
    o = pl.cursive_outcome(props, mat.cert_file("p521"), mat.image())
    assert not o.ok
    path = pl.write_json(mat.path("props", f"shape-bad-{shape}.json"), SHAPES[shape](props))
    r = gs(*pl.verify_args(mat.image(), mat.cert_file("p521"), path, "--json"))
    assert r.returncode == 1, r.describe()
    assert r.json()["error"]["code"] == "invalid-hash-method"
    assert r.json()["error"]["cursive_message"] == o.message


def test_image_show_without_signature_properties(mat, gs):
    """An unsigned image (image show output without the four): missing-property, exit 1."""
    doc = openstack_image_show({})
    path = pl.write_json(mat.path("props", "shape-unsigned.json"), doc)
    o = pl.cursive_outcome({}, mat.cert_file("p521"), mat.image())
    r = gs(*pl.verify_args(mat.image(), mat.cert_file("p521"), path, "--json"))
    assert r.returncode == 1, r.describe()
    assert r.json()["error"]["code"] == "missing-property"
    assert r.json()["error"]["cursive_message"] == o.message


def test_image_show_multiline_signature(mat, gs):
    """Glance v2 allows multi-line values; cursive ignores the newlines, so must glance-sig."""
    props = _props(mat, "rsa4096", "SHA-256")
    props[pl.PROP_SIGNATURE] = "\n".join(pl.chunks(props[pl.PROP_SIGNATURE], 64)) + "\n"
    assert pl.cursive_verdict(props, mat.cert_file("rsa4096"), mat.image())[0]
    path = pl.write_json(mat.path("props", "shape-multiline.json"), openstack_image_show(props))
    r = gs(*pl.verify_args(mat.image(), mat.cert_file("rsa4096"), path, "--json"))
    assert r.returncode == 0, r.describe()


def test_inspect_properties_kinds(mat, gs):
    props = _props(mat)
    for shape, fn in SHAPES.items():
        path = pl.write_json(mat.path("props", f"inspect-{shape}.json"), fn(props))
        r = gs("inspect", path, "--json")
        assert r.returncode == 0, r.describe()
        assert r.json()["kind"] == "properties", (shape, r.json())
