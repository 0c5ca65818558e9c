"""Regenerates the test-only keys and certificates in this folder (python3 make.py).

Keys here sign nothing real. Certificates have fixed dates so tests can judge them at a
fixed instant: the chain is valid 2020-01-01 .. 2040-01-01, 'expired-leaf' ends 2021-01-01.
"""
import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import NameOID

HERE = Path(__file__).parent
T0 = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
T1 = dt.datetime(2040, 1, 1, tzinfo=dt.timezone.utc)


def write_key(name, key, fmt=serialization.PrivateFormat.PKCS8):
    (HERE / name).write_bytes(key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()))


def cert(subject, key, issuer=None, issuer_key=None, ca=None, key_cert_sign=False, start=T0, end=T1):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    b = (x509.CertificateBuilder().subject_name(name)
         .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]) if issuer else name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(start).not_valid_after(end))
    if ca is not None:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=ca), critical=True)
    b = b.add_extension(x509.KeyUsage(digital_signature=not key_cert_sign, content_commitment=False,
                                      key_encipherment=False, data_encipherment=False, key_agreement=False,
                                      key_cert_sign=key_cert_sign, crl_sign=key_cert_sign,
                                      encipher_only=False, decipher_only=False), critical=True)
    return b.sign(issuer_key or key, hashes.SHA256())


def write_cert(name, c):
    (HERE / name).write_bytes(c.public_bytes(serialization.Encoding.PEM))


keys = {
    "rsa2048": rsa.generate_private_key(65537, 2048),
    "rsa-other": rsa.generate_private_key(65537, 2048),
    "p384": ec.generate_private_key(ec.SECP384R1()),
    "p521": ec.generate_private_key(ec.SECP521R1()),
    "dsa2048": dsa.generate_private_key(2048),
}
for n, k in keys.items():
    write_key(f"{n}-key.pem", k)
    write_cert(f"{n}-cert.pem", cert(n, k))
write_key("rsa2048-pkcs1-key.pem", keys["rsa2048"], serialization.PrivateFormat.TraditionalOpenSSL)
write_key("p384-sec1-key.pem", keys["p384"], serialization.PrivateFormat.TraditionalOpenSSL)
write_key("dsa2048-openssl-key.pem", keys["dsa2048"], serialization.PrivateFormat.TraditionalOpenSSL)
(HERE / "p384-encrypted-key.pem").write_bytes(keys["p384"].private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
    serialization.BestAvailableEncryption(b"correct horse")))
(HERE / "rsa2048-cert.der").write_bytes(
    x509.load_pem_x509_certificate((HERE / "rsa2048-cert.pem").read_bytes()).public_bytes(serialization.Encoding.DER))

root_key = rsa.generate_private_key(65537, 2048)
inter_key = ec.generate_private_key(ec.SECP384R1())
leaf_key = ec.generate_private_key(ec.SECP384R1())
write_cert("chain-root.pem", cert("Test Root", root_key, ca=1, key_cert_sign=True))
write_cert("chain-inter.pem", cert("Test Intermediate", inter_key, "Test Root", root_key, ca=0, key_cert_sign=True))
write_cert("chain-leaf.pem", cert("Test Leaf", leaf_key, "Test Intermediate", inter_key))
write_key("chain-leaf-key.pem", leaf_key)
write_cert("chain-leaf-expired.pem", cert("Test Leaf", leaf_key, "Test Intermediate", inter_key,
                                           end=dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc)))
# Same issuer name, another key: a forged issuer.
write_cert("chain-leaf-forged.pem", cert("Test Leaf", leaf_key, "Test Intermediate", ec.generate_private_key(ec.SECP384R1())))
