#!/usr/bin/env bash
# A stand-in KMS for the signer-command tests (docs/signers.md's protocol). It signs the digest
# glance-sig hands over the way AWS KMS, Google Cloud KMS and Azure Key Vault sign: RSA-PSS with
# a digest-length salt, ECDSA as raw r||s (JWS/P1363, as Azure and PKCS#11 return it), with
# `openssl pkeyutl` over the digest. glance-sig must normalize both and verify the result.
#   KMS_KEY     the private key (PEM) the "KMS" holds
#   KMS_PYTHON  a Python with cryptography, for the DER -> r||s step openssl has no option for
set -euo pipefail
case "$GLANCE_SIG_KEY_TYPE" in
  RSA-PSS)
    openssl pkeyutl -sign -inkey "$KMS_KEY" -in "$GLANCE_SIG_DIGEST_FILE" \
      -pkeyopt digest:"$GLANCE_SIG_HASH" -pkeyopt rsa_padding_mode:pss \
      -pkeyopt rsa_pss_saltlen:digest -pkeyopt rsa_mgf1_md:"$GLANCE_SIG_HASH" | base64 -w0
    ;;
  ECC_SECP384R1 | ECC_SECP521R1)
    size=48
    [ "$GLANCE_SIG_KEY_TYPE" = ECC_SECP521R1 ] && size=66
    openssl pkeyutl -sign -inkey "$KMS_KEY" -in "$GLANCE_SIG_DIGEST_FILE" |
      "$KMS_PYTHON" -c '
import sys
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
r, s = decode_dss_signature(sys.stdin.buffer.read())
n = int(sys.argv[1])
sys.stdout.buffer.write(r.to_bytes(n, "big") + s.to_bytes(n, "big"))' "$size"
    ;;
  *)
    echo "stand-in KMS: no key type $GLANCE_SIG_KEY_TYPE" >&2
    exit 3
    ;;
esac
