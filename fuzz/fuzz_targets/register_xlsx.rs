//! The register reader of the server on any bytes (XLSX containers, XLS, CSV): never panics,
//! never allocates beyond its limits (libFuzzer's `-rss_limit_mb` catches it).
#![no_main]
use affianca_domain::register::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let catalog = affianca_api::register::default_catalog();
    let _ = affianca_api::register::read(data, &catalog, Limits::default(), |_, _| {});
});
