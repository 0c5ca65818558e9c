//! Token states the SoftHSM2 tools cannot make: a private key whose CKA_SIGN is false. (The
//! signing matrix and the other token mistakes are in tests/signers, judged by cursive.)

#[path = "support/softhsm.rs"]
#[allow(dead_code)] // shared with cloud.rs, which imports keys too
mod softhsm;

use std::path::Path;
use std::process::Command;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::Attribute;
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;

const BIN: &str = env!("CARGO_BIN_EXE_glance-sig");

#[test]
fn a_key_that_may_not_sign_is_named_before_any_data_is_read() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pkcs11-no-sign");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let hsm = softhsm::SoftHsm::new(&dir, "no-sign");
    // SAFETY of the environment: this test binary has one test, so no thread reads it.
    std::env::set_var("SOFTHSM2_CONF", &hsm.conf);
    let ctx = Pkcs11::new(&hsm.module).expect("module loads");
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .expect("initialize");
    let slot = ctx.get_slots_with_initialized_token().expect("slots")[0];
    let session = ctx.open_rw_session(slot).expect("session");
    session
        .login(UserType::User, Some(&AuthPin::new(softhsm::PIN.into())))
        .expect("login");
    let id = Attribute::Id(vec![0x42]);
    let label = Attribute::Label(b"decrypt-only".to_vec());
    session
        .generate_key_pair(
            &Mechanism::RsaPkcsKeyPairGen,
            &[
                Attribute::Token(true),
                Attribute::ModulusBits(2048.into()),
                Attribute::PublicExponent(vec![1, 0, 1]),
                Attribute::Verify(true),
                id.clone(),
                label.clone(),
            ],
            &[
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Sign(false),
                Attribute::Decrypt(true),
                id,
                label,
            ],
        )
        .expect("key pair");
    drop(session);
    ctx.finalize().expect("finalize");

    let image = dir.join("image");
    std::fs::write(&image, b"data").expect("image");
    let out = Command::new(BIN)
        .args(["sign", "--image"])
        .arg(&image)
        .args(["--cert-uuid", "x", "--key", &hsm.uri("decrypt-only")])
        .env("SOFTHSM2_CONF", &hsm.conf)
        .output()
        .expect("glance-sig runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("the key cannot sign (its CKA_SIGN attribute is false)"),
        "{stderr}"
    );
    assert!(stderr.contains("fix:"), "{stderr}");
}
