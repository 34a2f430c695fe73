//! The uk-core pack agrees with the real UK Core package: every profile it
//! names is a UK Core profile of that resource type, and every resource
//! type UK Core profiles has one.

use conform_packages::{DefinitionSet, PackageSpec, SourceConfig};
use conform_validate::pack::Pack;
use std::collections::BTreeSet;

#[test]
fn uk_core_pack_profiles_are_the_packages_profiles() {
    let pack = Pack::builtin("uk-core").unwrap().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut cfg = SourceConfig::with_cache(cache.path());
    cfg.source_dirs = vec![conform_testdata::packages_dir()];
    cfg.offline = true;
    let specs: Vec<PackageSpec> = pack
        .packages
        .iter()
        .map(|s| PackageSpec::parse(s).unwrap())
        .collect();
    let resolved = conform_packages::resolve(&cfg, &specs).expect("the pack's packages resolve");
    let defs = DefinitionSet::load(&resolved).unwrap();

    for (resource_type, url) in &pack.profiles {
        let sd = defs
            .get(url)
            .unwrap_or_else(|| panic!("{resource_type}: {url} is not in the packages"));
        assert_eq!(sd["resourceType"], "StructureDefinition", "{url}");
        assert_eq!(sd["type"], resource_type.as_str(), "{url}");
        assert_eq!(sd["kind"], "resource", "{url}");
        assert_eq!(sd["derivation"], "constraint", "{url}");
    }

    let profiled: BTreeSet<String> = defs
        .by_type("StructureDefinition")
        .filter(|sd| sd["kind"] == "resource" && sd["derivation"] == "constraint")
        .filter(|sd| {
            sd["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://fhir.hl7.org.uk/"))
        })
        .filter_map(|sd| sd["type"].as_str().map(str::to_string))
        .collect();
    let in_pack: BTreeSet<String> = pack.profiles.keys().cloned().collect();
    assert_eq!(in_pack, profiled);
}
