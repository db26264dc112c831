//! ISTAT codes: never panic; what parses is 2, 3 or 6 digits.
#![no_main]
use affianca_domain::IstatCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = IstatCode::parse(s) {
        assert!(matches!(c.as_str().len(), 2 | 3 | 6));
        assert!(c.as_str().bytes().all(|b| b.is_ascii_digit()));
    }
});
