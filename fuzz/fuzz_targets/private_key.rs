#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    glance_sig_fuzz::scheme::private_key(data);
});
