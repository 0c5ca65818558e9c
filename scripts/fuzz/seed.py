"""Writes the fuzzers' seed inputs: real keys, certificates, properties, base64 and cloud
answers, made here with cryptography (never copied from elsewhere), so each target starts from
inputs that parse. scripts/fuzz/run.sh calls it when a target has no corpus yet.

    python scripts/fuzz/seed.py OUT_DIR     # writes OUT_DIR/<target>/<name>
"""

import base64
import datetime
import json
import pathlib
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.x509.oid import NameOID

out = pathlib.Path(sys.argv[1])
# Index of each status in the harness's STATUSES table (crates/glance-sig-fuzz/src/cloud.rs).
STATUS = {200: 0, 201: 1, 202: 2, 204: 3, 400: 5, 401: 6, 403: 7, 404: 8, 409: 9, 413: 10}


def put(target, name, data):
    path = out / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def answer(status, body, headers=()):
    head = "".join(f"{k}: {v}\n" for k, v in headers)
    payload = body if isinstance(body, (bytes, str)) else json.dumps(body)
    if isinstance(payload, str):
        payload = payload.encode()
    return bytes([STATUS[status]]) + head.encode() + b"\n" + b"\n" + payload


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "glance-sig fuzz")])


def certificate(key, subject, issuer_key=None, issuer=None, ca=False, algorithm=hashes.SHA256()):
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(name(subject))
               .issuer_name(name(issuer or subject)).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=365))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    return builder.sign(issuer_key or key, algorithm)


# Keys: small RSA so each input runs fast; every format the CLI reads.
keys = {
    "rsa1024": rsa.generate_private_key(65537, 1024),
    "p384": ec.generate_private_key(ec.SECP384R1()),
    "p521": ec.generate_private_key(ec.SECP521R1()),
    "p256": ec.generate_private_key(ec.SECP256R1()),
    "dsa1024": dsa.generate_private_key(1024),
}
PEM, DER = serialization.Encoding.PEM, serialization.Encoding.DER
P8, TRAD = serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL
none = serialization.NoEncryption()


def encrypted(pem, *kdf):
    """PKCS#8 encrypted by OpenSSL under the passphrase the harness tries ("fuzz"), at a cost
    low enough not to slow the fuzzer."""
    return subprocess.run(["openssl", "pkcs8", "-topk8", "-passout", "pass:fuzz", *kdf],
                          input=pem, capture_output=True, check=True).stdout


for label, key in keys.items():
    put("private_key", f"{label}.p8.pem", key.private_bytes(PEM, P8, none))
    put("private_key", f"{label}.p8.der", key.private_bytes(DER, P8, none))
    put("private_key", f"{label}.trad.pem", key.private_bytes(PEM, TRAD, none))
    put("private_key", f"{label}.trad.der", key.private_bytes(DER, TRAD, none))
    plain = key.private_bytes(PEM, P8, none)
    put("private_key", f"{label}.pbkdf2.pem", encrypted(plain, "-v2", "aes-128-cbc", "-iter", "1"))
    put("private_key", f"{label}.scrypt.der", encrypted(plain, "-scrypt", "-scrypt_N", "16",
                                                         "-scrypt_r", "1", "-scrypt_p", "1", "-outform", "DER"))
    put("private_key", f"{label}.spki.der", key.public_key().public_bytes(
        DER, serialization.PublicFormat.SubjectPublicKeyInfo))

# Certificates: each key type, a CA chain, SHA-1 signed, PEM and DER, a bundle.
root_key, inter_key = keys["p384"], keys["rsa1024"]
root = certificate(root_key, "fuzz root", ca=True)
inter = certificate(inter_key, "fuzz intermediate", root_key, "fuzz root", ca=True)
leaf = certificate(keys["p521"], "fuzz leaf", inter_key, "fuzz intermediate")
for label, key in keys.items():
    cert = certificate(key, f"fuzz {label}")
    put("certificate", f"{label}.pem", cert.public_bytes(PEM))
    put("certificate", f"{label}.der", cert.public_bytes(DER))
# cryptography no longer signs with SHA-1; OpenSSL still does.
sha1 = subprocess.run(["openssl", "req", "-x509", "-new", "-key", "/dev/stdin", "-sha1", "-days", "1",
                       "-subj", "/CN=sha1"], input=keys["rsa1024"].private_bytes(PEM, P8, none),
                      capture_output=True, check=True).stdout
put("certificate", "sha1.pem", sha1)
put("certificate", "chain.pem", b"".join(c.public_bytes(PEM) for c in (leaf, inter, root)))
put("certificate", "leaf.der", leaf.public_bytes(DER))

# Properties files: Glance's image, openstack image show -f json, partial sets, odd types.
digest_sig = keys["rsa1024"].sign(b"fuzz", padding.PSS(padding.MGF1(hashes.SHA256()),
                                                       padding.PSS.MAX_LENGTH), hashes.SHA256())
signature = base64.b64encode(digest_sig).decode()
four = {"img_signature": signature, "img_signature_hash_method": "SHA-256",
        "img_signature_key_type": "RSA-PSS",
        "img_signature_certificate_uuid": "0f3f0fa2-5b0e-4a3c-9d35-2b7e0d3f5a11"}
put("properties_json", "flat.json", json.dumps(four))
put("properties_json", "nested.json", json.dumps({"id": "x", "name": "cirros", "properties": four}))
put("properties_json", "partial.json", json.dumps({"img_signature": signature}))
put("properties_json", "ecc.json", json.dumps({**four, "img_signature_key_type": "ECC_SECP521R1",
                                               "img_signature_hash_method": "SHA-512"}))
put("properties_json", "null.json", json.dumps({**four, "img_signature": None}))
put("properties_json", "number.json", json.dumps({**four, "img_signature_hash_method": 256}))
put("properties_json", "conflict.json", json.dumps({**four, "properties": {**four, "img_signature": "QQ=="}}))
put("properties_json", "unicode.json", json.dumps({**four, "img_signature_key_type": "RSA\u2010PSS\u202e"}))
put("properties_json", "deep.json", "[" * 64 + "]" * 64)
put("properties_json", "empty.json", "{}")

# base64 as Glance stores it: canonical, unpadded, wrapped, urlsafe, with junk.
for i, text in enumerate([signature, signature.rstrip("="), "\n".join(signature[j:j + 64] for j in range(0, len(signature), 64)),
                          base64.urlsafe_b64encode(digest_sig).decode(), " " + signature + " \t",
                          "QQ", "QQ=", "QQ==", "QUI=", "=", "", "Zm9v\x00YmFy", "Zm9v!YmFy"]):
    put("base64", f"b64-{i:02}", text)

# Glance's answers.
image = {"id": "2d7a6b8e-0b1e-4bd8-9b1d-4e5a0c2f7f11", "name": "cirros", "status": "active",
         "disk_format": "qcow2", "container_format": "bare", "size": 16338944,
         "checksum": "1d3062cd89af34e419f7100277f38b2b", "os_hash_algo": "sha512",
         "os_hash_value": "ab" * 64, "visibility": "private", "owner": "p1",
         "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
         "file": "/v2/images/2d7a6b8e-0b1e-4bd8-9b1d-4e5a0c2f7f11/file", **four}
put("glance_response", "image", answer(200, image))
put("glance_response", "created", answer(201, {**image, "status": "queued", "size": None}))
put("glance_response", "list", answer(200, {"images": [image, {**image, "id": "x"}],
                                            "next": "/v2/images?marker=x&limit=2", "first": "/v2/images"}))
put("glance_response", "list-last", answer(200, {"images": [], "first": "/v2/images"}))
put("glance_response", "list-foreign-next", answer(200, {"images": [], "next": "https://evil.example/v2/images?marker=a"}))
put("glance_response", "download", answer(200, b"\x00" * 16, [("Content-Length", "16"), ("Content-MD5", "00" * 16)]))
put("glance_response", "no-data", answer(204, b""))
put("glance_response", "import-info", answer(200, {"import-methods": {"type": "array", "value": ["glance-direct", "web-download", "copy-image"]}}))
put("glance_response", "refused", answer(400, {"message": "400 Bad Request\n\nSignature verification failed: ...", "code": "400 Bad Request", "title": "Bad Request"},
                                         [("X-Openstack-Request-Id", "req-1")]))
put("glance_response", "html-error", answer(413, "<html><body><h1>413 Request Entity Too Large</h1></body></html>"))

# Keystone's answers.
catalog = [{"type": t, "name": n, "id": n, "endpoints": [
    {"interface": i, "region": "RegionOne", "region_id": "RegionOne", "url": f"https://cloud.example/{n}", "id": n + i}
    for i in ("public", "internal", "admin")]} for t, n in (("image", "glance"), ("key-manager", "barbican"), ("identity", "keystone"))]
token = {"token": {"methods": ["password"], "expires_at": "2026-01-01T01:00:00.000000Z",
                   "issued_at": "2026-01-01T00:00:00.000000Z",
                   "user": {"id": "u1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
                   "project": {"id": "p1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
                   "roles": [{"id": "r1", "name": "member"}], "catalog": catalog}}
put("keystone_response", "token", answer(201, token, [("X-Subject-Token", "gAAAAAB-token")]))
put("keystone_response", "unscoped", answer(201, {"token": {k: v for k, v in token["token"].items() if k not in ("project", "catalog")}},
                                             [("X-Subject-Token", "gAAAAAB-token")]))
put("keystone_response", "no-header", answer(201, token))
put("keystone_response", "projects", answer(200, {"projects": [{"id": "p1", "name": "demo", "domain_id": "default", "enabled": True}]}))
put("keystone_response", "unauthorized", answer(401, {"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}}))

# Barbican's answers.
secret = {"secret_ref": "https://barbican.example:9311/v1/secrets/0f3f0fa2-5b0e-4a3c-9d35-2b7e0d3f5a11",
          "name": "fuzz", "secret_type": "certificate", "status": "ACTIVE", "algorithm": None,
          "content_types": {"default": "application/octet-stream"}, "expiration": None,
          "created": "2026-01-01T00:00:00", "creator_id": "u1"}
put("barbican_response", "stored", answer(201, {"secret_ref": secret["secret_ref"]}))
put("barbican_response", "secret", answer(200, secret))
put("barbican_response", "opaque", answer(200, {**secret, "secret_type": "opaque", "content_types": {"default": "text/plain"}}))
put("barbican_response", "list", answer(200, {"secrets": [secret], "total": 3, "next": "https://barbican.example:9311/v1/secrets?limit=1&offset=1"}))
put("barbican_response", "payload", answer(200, leaf.public_bytes(DER), [("Content-Type", "application/octet-stream")]))
put("barbican_response", "acl-ref", answer(200, {"acl_ref": secret["secret_ref"] + "/acl"}))
put("barbican_response", "acl", answer(200, {"read": {"users": ["nova"], "project-access": False, "created": "x", "updated": "x"}}))
put("barbican_response", "uuid-dots", answer(201, {"secret_ref": "https://barbican.example:9311/v1/secrets/../../evil"}))
put("barbican_response", "forbidden", answer(403, {"code": 403, "description": "SecretACL", "title": "Forbidden"}))
put("barbican_response", "deleted", answer(204, b""))

# clouds.yaml.
clouds = {
    "password": "clouds:\n  demo:\n    auth:\n      auth_url: https://cloud.example:5000/v3\n      username: demo\n      password: secret\n      project_name: demo\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n    interface: public\n    cacert: /etc/ssl/private-ca.pem\n",
    "appcred": "clouds:\n  ci:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: http://127.0.0.1:5000\n      application_credential_id: abc\n      application_credential_secret: xyz\n",
    "token": "clouds:\n  t:\n    auth_type: v3token\n    auth: {auth_url: 'http://k:5000/v3', token: gAAAA, project_id: p1}\n    image_endpoint_override: http://glance:9292\n",
    "anchors": "base: &b\n  auth_url: http://k:5000/v3\nclouds:\n  a:\n    auth: *b\n  b:\n    auth:\n      <<: *b\n      username: u\n",
    "json": json.dumps({"clouds": {"j": {"auth": {"auth_url": "http://k:5000", "username": "u", "password": "p"}, "verify": False}}}),
    "no-clouds": "profiles: {}\n",
    "bad-type": "clouds:\n  x: [1, 2]\n  y:\n    auth: 5\n",
}
for label, text in clouds.items():
    put("clouds_yaml", label, text)

for target in ("properties_json", "base64", "certificate", "private_key", "glance_response",
               "keystone_response", "barbican_response", "clouds_yaml"):
    print(target, len(list((out / target).iterdir())))
