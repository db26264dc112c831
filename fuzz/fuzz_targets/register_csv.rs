//! The CSV register reader on any bytes: never panics, every row accounted for.
#![no_main]
use affianca_domain::monitoring::TermCatalog;
use affianca_domain::register::{Limits, read_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let catalog = TermCatalog::new([("PDC", 60), ("SCIA", 30)]);
    let mut files = 0usize;
    let result = read_csv(data, &catalog, Limits { max_rows: 1000 }, |_, _| files += 1);
    if let Ok(summary) = result {
        assert_eq!(summary.rows, files);
    }
});
