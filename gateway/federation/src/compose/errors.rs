//! Composition errors and hints, with Apollo's codes so messages can be searched in its docs.
use std::fmt;

/// The rule a composition error breaks (Apollo's error codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    InvalidGraphql,
    InvalidLinkDirectiveUsage,
    UnsupportedFeature,
    TypeKindMismatch,
    NoQueries,
    InvalidFieldSharing,
    FieldTypeMismatch,
    ArgumentTypeMismatch,
    ArgumentDefaultMismatch,
    InputFieldDefaultMismatch,
    KeyInvalidFields,
    KeyFieldsSelectInvalidType,
    KeyFieldsHasArgs,
    ExternalUnused,
    ExternalMissingOnBase,
    ExternalTypeMismatch,
    RequiresInvalidFields,
    RequiresFieldsMissingExternal,
    ProvidesInvalidFields,
    ProvidesFieldsMissingExternal,
    ProvidesOnNonObjectField,
    OverrideSourceHasOverride,
    OverrideFromSelfError,
    OverrideFromUnknownSubgraph,
    OverrideCollisionWithAnotherDirective,
    OverrideOnInterface,
    OverrideLabelInvalid,
    EnumValueMismatch,
    EmptyMergedEnumType,
    EmptyMergedInputType,
    RequiredInputFieldMissingInSomeSubgraph,
    RequiredArgumentMissingInSomeSubgraph,
    ExtensionWithNoBase,
    InterfaceObjectUsageError,
    InterfaceKeyNotOnImplementation,
    ImplementedByInaccessible,
    SatisfiabilityError,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidGraphql => "INVALID_GRAPHQL",
            InvalidLinkDirectiveUsage => "INVALID_LINK_DIRECTIVE_USAGE",
            UnsupportedFeature => "UNSUPPORTED_FEATURE",
            TypeKindMismatch => "TYPE_KIND_MISMATCH",
            NoQueries => "NO_QUERIES",
            InvalidFieldSharing => "INVALID_FIELD_SHARING",
            FieldTypeMismatch => "FIELD_TYPE_MISMATCH",
            ArgumentTypeMismatch => "ARGUMENT_TYPE_MISMATCH",
            ArgumentDefaultMismatch => "ARGUMENT_DEFAULT_MISMATCH",
            InputFieldDefaultMismatch => "INPUT_FIELD_DEFAULT_MISMATCH",
            KeyInvalidFields => "KEY_INVALID_FIELDS",
            KeyFieldsSelectInvalidType => "KEY_FIELDS_SELECT_INVALID_TYPE",
            KeyFieldsHasArgs => "KEY_FIELDS_HAS_ARGS",
            ExternalUnused => "EXTERNAL_UNUSED",
            ExternalMissingOnBase => "EXTERNAL_MISSING_ON_BASE",
            ExternalTypeMismatch => "EXTERNAL_TYPE_MISMATCH",
            RequiresInvalidFields => "REQUIRES_INVALID_FIELDS",
            RequiresFieldsMissingExternal => "REQUIRES_FIELDS_MISSING_EXTERNAL",
            ProvidesInvalidFields => "PROVIDES_INVALID_FIELDS",
            ProvidesFieldsMissingExternal => "PROVIDES_FIELDS_MISSING_EXTERNAL",
            ProvidesOnNonObjectField => "PROVIDES_ON_NON_OBJECT_FIELD",
            OverrideSourceHasOverride => "OVERRIDE_SOURCE_HAS_OVERRIDE",
            OverrideFromSelfError => "OVERRIDE_FROM_SELF_ERROR",
            OverrideFromUnknownSubgraph => "OVERRIDE_FROM_UNKNOWN_SUBGRAPH",
            OverrideCollisionWithAnotherDirective => "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
            OverrideOnInterface => "OVERRIDE_ON_INTERFACE",
            OverrideLabelInvalid => "OVERRIDE_LABEL_INVALID",
            EnumValueMismatch => "ENUM_VALUE_MISMATCH",
            EmptyMergedEnumType => "EMPTY_MERGED_ENUM_TYPE",
            EmptyMergedInputType => "EMPTY_MERGED_INPUT_TYPE",
            RequiredInputFieldMissingInSomeSubgraph => {
                "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH"
            }
            RequiredArgumentMissingInSomeSubgraph => "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
            ExtensionWithNoBase => "EXTENSION_WITH_NO_BASE",
            InterfaceObjectUsageError => "INTERFACE_OBJECT_USAGE_ERROR",
            InterfaceKeyNotOnImplementation => "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
            ImplementedByInaccessible => "IMPLEMENTED_BY_INACCESSIBLE",
            SatisfiabilityError => "SATISFIABILITY_ERROR",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A composition error: the rule broken, the subgraph (when one is to blame) and the schema
/// coordinate (`Type`, `Type.field`, `Type.field(arg:)`) it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{code}: {message}")]
pub struct CompositionError {
    pub code: ErrorCode,
    pub subgraph: Option<String>,
    pub coordinate: Option<String>,
    pub message: String,
}

impl CompositionError {
    pub(crate) fn new(
        code: ErrorCode,
        subgraph: Option<&str>,
        coordinate: Option<&str>,
        message: impl Into<String>,
    ) -> CompositionError {
        CompositionError {
            code,
            subgraph: subgraph.map(str::to_string),
            coordinate: coordinate.map(str::to_string),
            message: message.into(),
        }
    }

    /// An error found in one subgraph: the message starts with `[subgraph]` as Apollo's do.
    pub(crate) fn in_subgraph(
        code: ErrorCode,
        subgraph: &str,
        coordinate: &str,
        message: impl fmt::Display,
    ) -> CompositionError {
        CompositionError {
            code,
            subgraph: Some(subgraph.to_string()),
            coordinate: Some(coordinate.to_string()),
            message: format!("[{subgraph}] {message}"),
        }
    }
}

/// A non-fatal composition finding, with Apollo's hint code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CompositionHint {
    pub code: &'static str,
    pub coordinate: Option<String>,
    pub message: String,
}

impl fmt::Display for CompositionHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// `subgraph "a"`, `subgraphs "a" and "b"`, `subgraphs "a", "b" and "c"` as Apollo words it.
pub(crate) fn subgraph_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    human_list(&quoted, "subgraph", "subgraphs")
}

pub(crate) fn human_list(items: &[String], singular: &str, plural: &str) -> String {
    match items {
        [] => String::new(),
        [one] => format!("{singular} {one}"),
        [init @ .., last] => format!("{plural} {} and {last}", init.join(", ")),
    }
}
