//! Supergraph composition: Federation v2 (and upgraded Federation 1) subgraph SDLs in, a
//! supergraph SDL out, in the format Apollo's composition prints (join v0.3, v0.4 or v0.5 by
//! the newest federation version the subgraphs link), so that the
//! output can be diffed against Apollo tooling and served by [`crate::Supergraph::parse`].
//!
//! Pure and deterministic: subgraphs are ordered by name, types and directive definitions
//! by name, fields in the order subgraphs first declare them.
//!
//! Pipeline: [`subgraph`] reads each SDL through its `@link`s into a normalized model
//! (rejecting [`references`] to undefined types and directives; [`fed1`] upgrades
//! Federation 1 subgraphs),
//! [`rules`] checks each subgraph on its own (keys, `@external`, `@requires`, `@provides`),
//! [`merge`] merges the models and reports cross-subgraph conflicts,
//! [`satisfiability`] checks that every field can be reached from a root field, and
//! [`print`] writes the supergraph, which is then read back with [`crate::Supergraph::parse`].
//!
//! Where this differs from Apollo's composition (2.14, the reference the test cases were
//! checked against):
//! - `@override(from:)` naming a subgraph that is not composed is an error
//!   (`OVERRIDE_FROM_UNKNOWN_SUBGRAPH`); Apollo only hints. An override whose source no
//!   longer has the field is a hint, as in Apollo (the normal end of a migration).
//! - Satisfiability is a simplified search (see [`satisfiability`]); its messages follow
//!   Apollo's shape but report one path per unreachable field.
//! - `@context`/`@fromContext` are refused (`UNSUPPORTED_FEATURE`); custom executable
//!   directive definitions are not merged; `@cost`/`@listSize` and `@requiresScopes`/`@policy`
//!   applications that differ across subgraphs merge as described in [`merge`].
//! - Composed custom directives (`@composeDirective`) are copied with their `@link`, as
//!   Apollo does, not wrapped in `@join__directive`.
mod applied;
mod errors;
mod fed1;
mod field_set;
mod merge;
mod names;
mod print;
mod references;
mod rules;
mod satisfiability;
mod subgraph;
mod subtype;

pub use errors::{CompositionError, CompositionHint, ErrorCode};

/// One subgraph to compose: its name, routing URL and SDL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubgraphInput {
    pub name: String,
    pub url: String,
    pub sdl: String,
}

/// A successful composition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposedSupergraph {
    /// The supergraph SDL (no trailing newline, as Apollo prints it).
    pub sdl: String,
    /// Non-fatal findings (inconsistent but compatible definitions, removable overrides...).
    pub hints: Vec<CompositionHint>,
}

/// Composes `subgraphs` into a supergraph, or returns every error found.
pub fn compose(subgraphs: &[SubgraphInput]) -> Result<ComposedSupergraph, Vec<CompositionError>> {
    let mut errors = Vec::new();
    let mut sorted: Vec<&SubgraphInput> = subgraphs.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    if sorted.is_empty() {
        return Err(vec![CompositionError::new(
            ErrorCode::NoQueries,
            None,
            None,
            "No subgraphs to compose: a supergraph must have a query root type.",
        )]);
    }
    for pair in sorted.windows(2) {
        if pair[0].name == pair[1].name {
            errors.push(CompositionError::new(
                ErrorCode::InvalidGraphql,
                Some(&pair[0].name),
                None,
                format!("A subgraph named \"{}\" is listed twice", pair[0].name),
            ));
        }
    }
    let mut models = Vec::new();
    for input in &sorted {
        match subgraph::read(input) {
            Ok(model) => models.push(model),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for model in &models {
        errors.extend(rules::check(model));
    }
    errors.extend(rules::check_interface_objects(&models));
    if !errors.is_empty() {
        return Err(errors);
    }
    let merged = merge::merge(&models)?;
    let unsatisfiable = satisfiability::check(&models, &merged.model);
    if !unsatisfiable.is_empty() {
        return Err(unsatisfiable);
    }
    let sdl = print::print(&merged.model);
    // What we emit must be a valid supergraph with a valid API schema (interface
    // implementations, `@inaccessible` consistency...), as the gateway will read it.
    if let Err(e) = crate::Supergraph::parse(&sdl) {
        return Err(vec![CompositionError::new(
            ErrorCode::InvalidGraphql,
            None,
            None,
            format!(
                "The composed supergraph is invalid: {}",
                e.to_string().lines().next().unwrap_or_default()
            ),
        )]);
    }
    Ok(ComposedSupergraph {
        sdl,
        hints: merged.hints,
    })
}
