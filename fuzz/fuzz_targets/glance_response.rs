#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    glance_sig_fuzz::cloud::glance_response(data);
});
