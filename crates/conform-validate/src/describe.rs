//! What each of the validator's rules is about, in one line.

/// A one-line description of the validator's own rules, for writers
/// that list the rules that fired (SARIF); `None` for an invariant's key or
/// a rule of another checker.
pub fn describe_rule(id: &str) -> Option<&'static str> {
    use crate::rules::*;
    Some(match id {
        JSON_SYNTAX => "The file is not valid JSON.",
        XML_SYNTAX => "The file is not well-formed FHIR XML (or has a DOCTYPE, an entity, or is not UTF-8).",
        XML_NAMESPACE => "An element is not in the FHIR namespace http://hl7.org/fhir.",
        XML_VALUE_ATTRIBUTE => "A primitive without its value attribute (text instead), or a value attribute on an element that is not a primitive.",
        XML_UNKNOWN_ATTRIBUTE => "An XML attribute FHIR does not define on that element.",
        XML_EMPTY_ELEMENT => "An XML element with no value, attributes or children.",
        XML_ELEMENT_ORDER => "XML elements not in the order their definition gives.",
        XML_XHTML_NAMESPACE => "The narrative div is not in the XHTML namespace.",
        LIMIT_EXCEEDED => "The input is over one of the limits of docs/limits.md (nesting, string length, NDJSON line length): it was not validated.",
        FINDINGS_TRUNCATED => "The resource has more findings than the max-findings limit: the rest are counted, not listed.",
        RESOURCE_TYPE => "The resourceType is missing or not a resource type of the FHIR release validated.",
        FHIR_RELEASE => "The resource was written for another FHIR release (STU3 or R4) than the one validated.",
        UNKNOWN_ELEMENT => "An element that the definition does not have.",
        DUPLICATE_ELEMENT => "The same JSON property appears twice.",
        CHOICE_MULTIPLE => "More than one type of a choice element ([x]) is present.",
        CARDINALITY_MIN => "A required element is missing (minimum cardinality).",
        CARDINALITY_MAX => "An element repeats more often than allowed (maximum cardinality).",
        ARRAY_EXPECTED => "A repeating element is not a JSON array.",
        ARRAY_UNEXPECTED => "A single element is given as a JSON array.",
        JSON_TYPE => "A value has the wrong JSON type for its FHIR type.",
        EMPTY => "An empty object, array or string (FHIR forbids them).",
        NULL_VALUE => "A null where a value is needed.",
        PRIMITIVE_ALIGNMENT => "A primitive's value and its _element array do not line up.",
        PRIMITIVE_FORMAT => "A primitive value does not match its type's format.",
        BINDING_REQUIRED => "A code is not in the value set of a required binding.",
        BINDING_NOT_CHECKED => "A code could not be checked (offline, or the terminology server could not decide it).",
        CODE_INVALID => "A code does not exist in its code system (a loaded CodeSystem's content, or a terminology server's answer).",
        CODE_DISPLAY => "A display is not one of the code's displays (in a CodeSystem the loaded packages hold, or a terminology server's answer).",
        CODE_INACTIVE => "A code is inactive in its code system (a terminology server's answer).",
        CODE_SYSTEM_VERSION => "A coding names a code system version the terminology server does not know.",
        BINDING_EXTENSIBLE => "A code is not in the value set of an extensible binding.",
        BINDING_PREFERRED => "A code is not in the value set of a preferred or example binding.",
        REFERENCE_FORMAT => "A reference is not a valid literal reference.",
        REFERENCE_TARGET => "A reference points to a resource type the element does not allow.",
        CONTAINED_NOT_FOUND => "A local reference names no contained resource.",
        REFERENCE_TARGET_PROFILE => "A resolved reference leads to a resource that conforms to none of the allowed target profiles.",
        REFERENCE_NOT_RESOLVED => {
            "A reference resolves to nothing here, and the reference policy asks that it resolve."
        }
        BUNDLE_FULLURL => "A Bundle entry's fullUrl is missing or does not match the resource.",
        BUNDLE_DUPLICATE => "Two Bundle entries have the same identity.",
        INPUT => "The input could not be read.",
        NARRATIVE => "The narrative XHTML is not allowed by FHIR.",
        EMBEDDED_HTML => "A string carries HTML markup.",
        PROFILE_UNKNOWN => "A profile the resource declares is not in the loaded packages.",
        PROFILE_VITAL_SIGNS => "An Observation of a vital sign was also validated against that sign's core profile, as FHIR R4 requires.",
        PROFILE_FIXED => "A value differs from the profile's fixed value.",
        PROFILE_PATTERN => "A value does not match the profile's pattern.",
        PROFILE_TYPE => "A type the profile does not allow here.",
        PROFILE_NO_MATCH => "A value conforms to none of the profiles its element allows for its type.",
        PROFILE_MAX_LENGTH => "A string is longer than the profile allows.",
        PROFILE_MIN_LENGTH => "A string is shorter than the profile's minLength extension allows.",
        QUESTIONNAIRE_EXCLUSIVE => "An exclusive answer option is given with other answers.",
        EXPERIMENTAL_CONTENT => "A resource marked experimental where experimental content is not allowed (when asked).",
        NARRATIVE_LANGUAGE => "The narrative does not declare the resource's language (lang and xml:lang).",
        SECURITY_LABEL_DUPLICATE => "A security label is given twice in a resource's meta.",
        MUST_SUPPORT => {
            "An element present that the profile does not mark mustSupport (when asked)."
        }
        PROFILE_SLICE_MULTIPLE => "A value matches more than one slice of a slicing.",
        PROFILE_VALUE_LIMIT => "A value is outside the profile's minimum or maximum.",
        SEARCH_PARAMETER_DERIVATION => {
            "A SearchParameter changes the base, type or expression of the one it is derived from."
        }
        SEARCH_PARAMETER_EXPRESSION => {
            "A SearchParameter's expression does not fit the types it searches."
        }
        SEARCH_PARAMETER_CODE => {
            "A SearchParameter's code has a character with a meaning of its own in search URLs."
        }
        SEARCH_PARAMETER_COMPONENTS => {
            "A composite SearchParameter without the components it combines."
        }
        OPERATION_DEFINITION_PROFILE => {
            "An OperationDefinition's parameters disagree with its input or output profile."
        }
        OPERATION_DEFINITION_BASE => "An OperationDefinition's base chain leads back to itself.",
        CODE_SYSTEM_SUPPLEMENT => "A CodeSystem supplement that does not say what it supplements or that it is one.",
        CODE_SYSTEM_COUNT => "A CodeSystem's count or content that disagrees with the concepts it holds.",
        CODE_SYSTEM_DESIGNATION => "A CodeSystem designation that reads as a second, different display.",
        CODE_SYSTEM_PROPERTY => "A CodeSystem property declared twice, or unlike the known property its URI or code names.",
        CONCEPT_MAP_CODE => "A ConceptMap code not in the map's value set or the group's code system.",
        MEASURE_REPORT_MEASURE => "A MeasureReport whose Measure cannot be resolved, or whose scoring is unknown.",
        MEASURE_REPORT_GROUP => "A MeasureReport group or population that does not match its Measure's, or whose count or subjects disagree with the report type.",
        MEASURE_GROUP => "A Measure without groups, or whose groups, populations or stratifiers lack the codes that tell them apart.",
        MEASURE_CRITERIA => "A Measure stratifier's CQL criteria name no loaded Library, no compiled ELM, or no statement of the Library.",
        MEASURE_REPORT_SCORE => "A MeasureReport measureScore the report type or the Measure's scoring forbids, requires, or limits.",
        STRUCTURE_DEFINITION_TYPE_PROFILE => "A StructureDefinition element type whose profile or target profile is not a definition of a type it allows.",
        QUESTIONNAIRE_ENABLE_WHEN => "A Questionnaire enableWhen naming no item, an inner item or the item itself, or one after it.",
        VALUE_SET_FILTER => "A ValueSet filter on a property its code system lacks, with an operation or a value the property does not take.",
        VALUE_SET_PARAMETER => "A ValueSet filter's expression that is not FHIRPath or uses an undeclared parameter, or a declared parameter unused or undocumented.",
        CODE_SYSTEM_CONCEPT_PROPERTY => "A concept property that is undeclared, without a value, of the wrong type, or naming a code the system lacks.",
        CAPABILITY_SEARCH_PARAM => {
            "A CapabilityStatement search parameter's type differs from its definition's."
        }
        PROFILE_SLICE_CLOSED => "An item matches no slice of a closed slicing.",
        PROFILE_SLICE_ORDER => "Slices are out of the order the profile requires.",
        PROFILE_SLICE_CARDINALITY => "A slice occurs fewer or more times than the profile allows.",
        EXTENSION_UNKNOWN => "An extension whose definition is not in the loaded packages.",
        EXTENSION_ON_ID => "An extension on an element id (not allowed).",
        EXTENSION_CONTEXT => "An extension used where its definition's context does not allow it.",
        INVARIANT_NOT_EVALUATED => "An invariant could not be evaluated.",
        STRING_WHITESPACE => "A value is only whitespace, or a string starts or ends with it.",
        UNICODE_CONTROL => {
            "A value holds control characters (below U+0020, other than tab and line breaks)."
        }
        UNICODE_BIDI => "A value opens a Unicode bidirectional control it never closes.",
        BASE64_WHITESPACE => "A base64 value contains whitespace.",
        DATE_REASONABLE => "A date's year is implausible (before 1800 or far in the future).",
        DECIMAL_RANGE => "A decimal has more digits than implementations commonly hold.",
        CANONICAL_URL => "A canonical resource's url is not an absolute URL.",
        ATTACHMENT_CONTENT => "An Attachment has no data, url, contentType or language.",
        ATTACHMENT_BASE64 => "An Attachment's data or hash is not strict base64.",
        ATTACHMENT_SIZE => "An Attachment's size is not that of its data.",
        ATTACHMENT_HASH => "An Attachment's hash is not the SHA-1 of its data.",
        IDENTIFIER_SYSTEM => "An Identifier's system is not an absolute URI.",
        IDENTIFIER_VALUE => {
            "An Identifier's value does not fit its IETF system (RFC 3986, RFC 4122)."
        }
        CODING_SYSTEM => {
            "A code system URI is local, or a variant of a well-known terminology's URI."
        }
        CODING_NO_SYSTEM => "A Coding has a code but no system.",
        QUANTITY_UCUM => "A Quantity's UCUM unit code is not valid UCUM.",
        QUANTITY_UCUM_ANNOTATION => "A UCUM unit code relies on an annotation ({...}).",
        _ if id.starts_with("questionnaire-") => {
            "A QuestionnaireResponse does not agree with its Questionnaire."
        }
        _ => return None,
    })
}

/// A type name with its indefinite article, for messages: "a Coding", "an
/// Organization".
pub(crate) fn with_article(ty: &str) -> String {
    let vowel = ty.starts_with(|c: char| "aeiouAEIOU".contains(c));
    format!("{} {ty}", if vowel { "an" } else { "a" })
}
