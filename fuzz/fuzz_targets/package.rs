//! The package tarball reader: any bytes are read as a `.tgz` the way
//! loading reads one (entries checked, limits kept) or refused with an
//! error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = conform_packages::read_tarball_bytes(data, "fuzz.tgz");
});
