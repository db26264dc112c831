//! Semester parsing (`2024S1`): never panics; what parses prints back the same.
#![no_main]
use affianca_domain::Period;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = Period::parse(s) {
        assert_eq!(Period::parse(&p.to_string()), Ok(p));
    }
    let _ = affianca_domain::monitoring::parse_sem(s);
    let _ = affianca_domain::register::parse_date(s);
});
