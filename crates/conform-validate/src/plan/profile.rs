//! Profiles (StructureDefinitions with `derivation: constraint`) compiled
//! from their snapshots into trees of constraint nodes. The base type plans
//! already check structure; a profile node carries only what a profile can
//! add: tighter cardinality and types, fixed and pattern values, bindings,
//! length and value limits, and slicing.

use super::lazy::Lazy;
use super::{Binding, Strength};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// Index into its profile's nodes ([`ProfilePlan::node`]).
pub type NodeIdx = u32;

/// All compiled profiles of a package set.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ProfileSet {
    pub profiles: Vec<ProfilePlan>,
    pub by_url: FxHashMap<String, u32>,
    /// Fixed and pattern values as JSON text (parsed once when the
    /// validator is built; see [`crate::profile::Values`]).
    pub values: Vec<String>,
    /// Profiles that are loaded but unusable (their snapshot could not be
    /// generated), with the reason, to say so when one is asked for.
    pub failed: FxHashMap<String, String>,
}

impl ProfileSet {
    /// A profile by canonical URL (`url` or `url|version`).
    pub fn get(&self, canonical: &str) -> Option<&ProfilePlan> {
        let url = canonical.split('|').next().unwrap_or(canonical);
        self.by_url.get(url).map(|&i| &self.profiles[i as usize])
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ProfilePlan {
    pub url: String,
    /// The definition's `version`, if it has one.
    pub version: Option<String>,
    /// A short name for messages (the SD's `name`).
    pub name: String,
    /// The type it constrains (`Patient`, `Extension`...).
    pub type_name: String,
    pub root: NodeIdx,
    /// For extension definitions: where the extension may be used, as
    /// (context type, expression), e.g. (`element`, `Patient.contact`).
    pub contexts: Vec<(String, String)>,
    /// For extension definitions: the `contextInvariant` expressions (as
    /// indices into [`super::Plans::constraints`]), evaluated on the
    /// element that holds the extension, with `%extension` bound to it.
    pub context_invariants: Vec<u32>,
    /// For extension definitions: a modifier extension (its root element's
    /// `isModifier`), which belongs in `modifierExtension` and only there.
    pub is_modifier: bool,
    /// For extension definitions: the urls of the parts a complex extension
    /// defines (the fixed `Extension.extension.url` values).
    pub sub_extensions: Vec<String>,
    /// The profile's elements, decoded from the plan cache on first use.
    pub nodes: Lazy<Vec<ProfileNode>>,
}

impl ProfilePlan {
    #[inline]
    pub fn node(&self, i: NodeIdx) -> &ProfileNode {
        &self.nodes.get()[i as usize]
    }
}

/// One element of a profile.
#[derive(Debug, Serialize, Deserialize)]
pub struct ProfileNode {
    /// The element id (`Patient.identifier:nhsNumber.system`), for messages.
    pub id: String,
    /// The element name without `[x]`.
    pub name: String,
    pub choice: bool,
    pub min: u32,
    pub max: u32,
    /// This profile (or a profile it derives from) constrains the element
    /// itself, so its cardinality, types, binding and values are checked;
    /// elements merely inherited from the base type were checked already.
    pub constrained: bool,
    /// Allowed types (empty = as the base).
    pub types: Vec<ProfileType>,
    pub fixed: Option<u32>,
    pub pattern: Option<u32>,
    pub binding: Option<Binding>,
    pub max_length: Option<u32>,
    /// The `minLength` extension on the element (characters).
    pub min_length: Option<u32>,
    /// `minValue[x]`/`maxValue[x]` as JSON values (indices into values).
    pub min_value: Option<u32>,
    pub max_value: Option<u32>,
    pub must_support: bool,
    /// Invariants this profile adds (not those of the base definitions,
    /// which the walk already evaluates), as indices into
    /// [`super::Plans::constraints`].
    pub constraints: Vec<u32>,
    /// Non-slice children, by element name.
    pub children: Vec<NodeIdx>,
    pub slicing: Option<Slicing>,
}

impl ProfileNode {
    /// The resource types its `Reference` types allow as targets (from
    /// their target profiles).
    pub fn reference_target_types(&self) -> impl Iterator<Item = &String> {
        self.types
            .iter()
            .filter(|t| t.code == "Reference")
            .flat_map(|t| t.target_types.iter())
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ProfileType {
    pub code: String,
    /// `type.profile`: the value must conform to one of these.
    pub profiles: Vec<String>,
    /// `type.targetProfile`, as resource type names.
    pub target_types: Vec<String>,
    /// `type.targetProfile` as written (canonical URLs).
    pub target_profiles: Vec<String>,
    /// `type.aggregation`: where a referenced resource may be (`contained`,
    /// `referenced`, `bundled`); empty when the profile does not say.
    pub aggregation: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Slicing {
    pub discriminators: Vec<Discriminator>,
    pub rules: SlicingRules,
    pub ordered: bool,
    pub slices: Vec<NodeIdx>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlicingRules {
    Open,
    Closed,
    OpenAtEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiscriminatorKind {
    Value,
    Pattern,
    Type,
    Profile,
    Exists,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Discriminator {
    pub kind: DiscriminatorKind,
    /// The FHIRPath of the discriminator, step by step (`$this` = empty).
    pub path: Vec<Step>,
}

/// One step of a discriminator's path. FHIR R4 (ElementDefinition,
/// "Discriminator") restricts the path to element names and three
/// functions: `extension(url)`, `resolve()` and `ofType(type)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// An element by name; a choice element's name (`value`) also reaches
    /// its typed forms (`valueCode`).
    Element(String),
    /// `extension('url')`: the extensions with this url.
    Extension(String),
    /// `resolve()`: the resource a reference leads to.
    Resolve,
    /// `ofType(T)`: the values of type `T`.
    OfType(String),
    /// Any other function: not a discriminator FHIR allows, so nothing
    /// matches through it.
    Unsupported(String),
}

impl Step {
    /// Splits a discriminator path at the dots outside quotes and
    /// parentheses (an extension's url has dots of its own); `$this`
    /// names the value itself and adds no step.
    pub fn parse_path(path: &str) -> Vec<Step> {
        conform_fhirpath::split_top_level(path, '.')
            .into_iter()
            .filter_map(Step::parse_one)
            .collect()
    }

    fn parse_one(text: &str) -> Option<Step> {
        let text = text.trim();
        if text.is_empty() || text == "$this" {
            return None;
        }
        let Some((name, rest)) = text.split_once('(') else {
            return Some(Step::Element(text.to_string()));
        };
        let argument = rest
            .strip_suffix(')')
            .map(|a| a.trim().trim_matches(|c| c == '\'' || c == '"'));
        Some(match (name.trim(), argument) {
            ("resolve", Some("")) => Step::Resolve,
            ("extension", Some(url)) if !url.is_empty() => Step::Extension(url.to_string()),
            ("ofType", Some(t)) if !t.is_empty() => Step::OfType(t.to_string()),
            _ => Step::Unsupported(text.to_string()),
        })
    }

    /// The element name of an element step.
    pub fn element(&self) -> Option<&str> {
        match self {
            Step::Element(name) => Some(name),
            _ => None,
        }
    }
}

impl Strength {
    pub fn parse(s: &str) -> Strength {
        match s {
            "required" => Strength::Required,
            "extensible" => Strength::Extensible,
            "preferred" => Strength::Preferred,
            _ => Strength::Example,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Step;

    #[test]
    fn discriminator_paths_split_outside_quotes_and_parentheses() {
        assert_eq!(
            Step::parse_path("extension('http://example.org/a.b').value.ofType(Quantity)"),
            [
                Step::Extension("http://example.org/a.b".into()),
                Step::Element("value".into()),
                Step::OfType("Quantity".into()),
            ]
        );
        assert_eq!(
            Step::parse_path("$this.item.resolve()"),
            [Step::Element("item".into()), Step::Resolve]
        );
        assert_eq!(Step::parse_path("$this"), []);
        assert_eq!(
            Step::parse_path("code.where(true)"),
            [
                Step::Element("code".into()),
                Step::Unsupported("where(true)".into())
            ]
        );
    }
}
