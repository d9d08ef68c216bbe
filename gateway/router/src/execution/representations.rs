//! Building entity representations from merged data (`requires`), and the input/output
//! rewrites a fetch node asks for.
use std::collections::{HashMap, HashSet};

use super::value::{Object as JsonMap, Value as JsonValue};
use federation::plan::{FetchRewrite, RequireSelection, RewritePathElement};

/// Which object types each abstract type (interface or union) covers; answers type
/// conditions of `requires` fragments and rewrites.
#[derive(Debug, Default)]
pub struct PossibleTypes {
    by_abstract: HashMap<String, HashSet<String>>,
}

impl PossibleTypes {
    pub fn from_schema(schema: &apollo_compiler::Schema) -> Self {
        use apollo_compiler::schema::ExtendedType;
        let mut by_abstract: HashMap<String, HashSet<String>> = HashMap::new();
        for (name, ty) in &schema.types {
            match ty {
                ExtendedType::Object(object) => {
                    for interface in &object.implements_interfaces {
                        by_abstract
                            .entry(interface.to_string())
                            .or_default()
                            .insert(name.to_string());
                    }
                }
                ExtendedType::Union(union) => {
                    by_abstract
                        .entry(name.to_string())
                        .or_default()
                        .extend(union.members.iter().map(|m| m.to_string()));
                }
                _ => {}
            }
        }
        Self { by_abstract }
    }

    /// Whether an object whose `__typename` is `typename` matches `condition`.
    pub fn matches(&self, typename: &str, condition: &str) -> bool {
        typename == condition
            || self
                .by_abstract
                .get(condition)
                .is_some_and(|members| members.contains(typename))
    }
}

/// The outcome of [`write_representation`].
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    /// `out` holds the representation's JSON.
    Done,
    /// The object has no representation (as [`build_representation`]'s `None`).
    Skipped,
    /// A key is selected twice at one level (overlapping fragments): the selections must be
    /// merged, which [`build_representation`] does.
    Merge,
}

/// Writes the representation of `object` as JSON to `out` (cleared first) without building
/// it: what most entity fetches need (`__typename`, keys, `@requires` fields).
pub fn write_representation(
    object: &JsonValue,
    requires: &[RequireSelection],
    types: &PossibleTypes,
    out: &mut Vec<u8>,
) -> Written {
    out.clear();
    let mut keys = Vec::new();
    match write_object(object, requires, types, out, &mut keys) {
        Written::Done if keys.is_empty() => Written::Skipped,
        written => written,
    }
}

fn write_object<'r>(
    object: &JsonValue,
    selections: &'r [RequireSelection],
    types: &PossibleTypes,
    out: &mut Vec<u8>,
    keys: &mut Vec<&'r str>,
) -> Written {
    let Some(map) = object.as_object() else {
        return Written::Skipped;
    };
    let top = keys.is_empty() && out.is_empty();
    if top {
        out.push(b'{');
    }
    for selection in selections {
        match selection {
            RequireSelection::Field {
                response_key,
                name,
                selections,
            } => {
                let Some(value) = map.get(response_key.as_str()).filter(|v| !v.is_null()) else {
                    return Written::Skipped;
                };
                if keys.contains(&name.as_str()) {
                    return Written::Merge;
                }
                if !keys.is_empty() {
                    out.push(b',');
                }
                keys.push(name.as_str());
                if serde_json::to_writer(&mut *out, name.as_str()).is_err() {
                    return Written::Merge;
                }
                out.push(b':');
                let written = if selections.is_empty() {
                    match serde_json::to_writer(&mut *out, value) {
                        Ok(()) => Written::Done,
                        Err(_) => Written::Merge,
                    }
                } else {
                    write_value(value, selections, types, out)
                };
                if written != Written::Done {
                    return written;
                }
            }
            RequireSelection::InlineFragment {
                type_condition,
                selections,
            } => {
                let applies = match (
                    type_condition,
                    map.get("__typename").and_then(JsonValue::as_str),
                ) {
                    (None, _) | (Some(_), None) => true,
                    (Some(condition), Some(typename)) => types.matches(typename, condition),
                };
                if applies {
                    let written = write_object(object, selections, types, out, keys);
                    if written != Written::Done {
                        return written;
                    }
                }
            }
        }
    }
    if top {
        out.push(b'}');
    }
    Written::Done
}

/// A selected value with sub-selections: objects (and lists of them) narrowed again.
fn write_value(
    value: &JsonValue,
    selections: &[RequireSelection],
    types: &PossibleTypes,
    out: &mut Vec<u8>,
) -> Written {
    match value {
        JsonValue::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let written = match item {
                    JsonValue::Null => {
                        out.extend_from_slice(b"null");
                        Written::Done
                    }
                    item => write_value(item, selections, types, out),
                };
                if written != Written::Done {
                    return written;
                }
            }
            out.push(b']');
            Written::Done
        }
        JsonValue::Object(_) => {
            out.push(b'{');
            let mut keys = Vec::new();
            let written = write_object(value, selections, types, out, &mut keys);
            out.push(b'}');
            written
        }
        _ => Written::Skipped,
    }
}

/// The representation of `object` shaped by `requires`; `None` when a required field is
/// missing or null (such an object is not sent and its fields stay null).
pub fn build_representation(
    object: &JsonValue,
    requires: &[RequireSelection],
    types: &PossibleTypes,
) -> Option<JsonValue> {
    let mut out = JsonMap::new();
    select_into(object, requires, types, &mut out)?;
    // Nothing selected: every fragment was for another type (a `Movie` in a list of `Media`
    // when the fetch is about `Book`s). Such an object is not part of this fetch.
    if out.is_empty() {
        return None;
    }
    Some(JsonValue::Object(out))
}

fn select_into(
    object: &JsonValue,
    selections: &[RequireSelection],
    types: &PossibleTypes,
    out: &mut JsonMap,
) -> Option<()> {
    let map = object.as_object()?;
    for selection in selections {
        match selection {
            RequireSelection::Field {
                response_key,
                name,
                selections,
            } => {
                let value = map.get(response_key.as_str())?;
                if value.is_null() {
                    return None;
                }
                let selected = if selections.is_empty() {
                    value.clone()
                } else {
                    select_value(value, selections, types)?
                };
                match out.get_mut(name.as_str()) {
                    Some(existing) => super::tree::deep_merge(existing, selected),
                    None => {
                        out.insert(name.as_str(), selected);
                    }
                }
            }
            RequireSelection::InlineFragment {
                type_condition,
                selections,
            } => {
                let applies = match (
                    type_condition,
                    map.get("__typename").and_then(|t| t.as_str()),
                ) {
                    (None, _) => true,
                    (Some(condition), Some(typename)) => types.matches(typename, condition),
                    // Without a `__typename` the object is taken to be of the condition's type:
                    // planners always select `__typename` where the type is abstract.
                    (Some(_), None) => true,
                };
                if applies {
                    select_into(object, selections, types, out)?;
                }
            }
        }
    }
    Some(())
}

fn select_value(
    value: &JsonValue,
    selections: &[RequireSelection],
    types: &PossibleTypes,
) -> Option<JsonValue> {
    match value {
        JsonValue::Array(items) => items
            .iter()
            .map(|item| match item {
                JsonValue::Null => Some(JsonValue::Null),
                item => select_value(item, selections, types),
            })
            .collect::<Option<Vec<_>>>()
            .map(JsonValue::Array),
        JsonValue::Object(_) => {
            let mut out = JsonMap::new();
            select_into(value, selections, types, &mut out)?;
            Some(JsonValue::Object(out))
        }
        _ => None,
    }
}

/// Applies rewrites to one value (a representation before sending, an entity after).
pub fn apply_rewrites(value: &mut JsonValue, rewrites: &[FetchRewrite], types: &PossibleTypes) {
    for rewrite in rewrites {
        match rewrite {
            FetchRewrite::ValueSetter { path, value: new } => {
                apply_at(value, path, types, &mut |slot| *slot = JsonValue::from(new))
            }
            FetchRewrite::KeyRenamer {
                path,
                rename_key_to,
            } => {
                let Some((RewritePathElement::Key(last), parent)) = path.split_last() else {
                    continue;
                };
                apply_at(value, parent, types, &mut |slot| {
                    if let Some(map) = slot.as_object_mut()
                        && let Some(moved) = map.remove(last.as_str())
                    {
                        map.insert(rename_key_to.as_str(), moved);
                    }
                })
            }
        }
    }
}

/// Calls `action` on every value `path` reaches, fanning out over lists. A `Key` that is
/// missing is created only as the last step (so a setter can add `__typename`).
fn apply_at(
    value: &mut JsonValue,
    path: &[RewritePathElement],
    types: &PossibleTypes,
    action: &mut dyn FnMut(&mut JsonValue),
) {
    if let JsonValue::Array(items) = value {
        for item in items {
            apply_at(item, path, types, action);
        }
        return;
    }
    match path.split_first() {
        None => action(value),
        Some((RewritePathElement::TypenameEquals(expected), rest)) => {
            let typename = value.get("__typename").and_then(|t| t.as_str());
            if typename.is_some_and(|t| types.matches(t, expected)) {
                apply_at(value, rest, types, action);
            }
        }
        Some((RewritePathElement::Key(key), rest)) => {
            let Some(map) = value.as_object_mut() else {
                return;
            };
            if rest.is_empty() && !map.contains_key(key.as_str()) {
                map.insert(key.as_str(), JsonValue::Null);
            }
            if let Some(child) = map.get_mut(key.as_str()) {
                apply_at(child, rest, types, action);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! json {
        ($($t:tt)+) => {
            JsonValue::from(&serde_json::json!($($t)+))
        };
    }

    fn field(name: &str, selections: Vec<RequireSelection>) -> RequireSelection {
        RequireSelection::Field {
            response_key: name.into(),
            name: name.into(),
            selections,
        }
    }

    fn types() -> PossibleTypes {
        let schema = apollo_compiler::Schema::parse_and_validate(
            "type Query { a: A } interface A { id: ID } type B implements A { id: ID } type C implements A { id: ID }",
            "s.graphql",
        )
        .expect("schema");
        PossibleTypes::from_schema(&schema)
    }

    #[test]
    fn builds_nested_and_fragment_representations() {
        let object =
            json!({"__typename": "B", "id": "1", "org": {"id": "o", "name": "x"}, "extra": 1});
        let requires = vec![
            field("__typename", vec![]),
            field("id", vec![]),
            field("org", vec![field("id", vec![])]),
            RequireSelection::InlineFragment {
                type_condition: Some("C".into()),
                selections: vec![field("extra", vec![])],
            },
        ];
        let rep = build_representation(&object, &requires, &types()).expect("representation");
        assert_eq!(
            rep,
            json!({"__typename": "B", "id": "1", "org": {"id": "o"}})
        );
    }

    #[test]
    fn object_matching_no_fragment_is_not_represented() {
        let requires = vec![RequireSelection::InlineFragment {
            type_condition: Some("B".into()),
            selections: vec![field("__typename", vec![]), field("id", vec![])],
        }];
        let types = types();
        assert!(
            build_representation(&json!({"__typename": "C", "id": "2"}), &requires, &types)
                .is_none()
        );
        assert_eq!(
            build_representation(&json!({"__typename": "B", "id": "1"}), &requires, &types),
            Some(json!({"__typename": "B", "id": "1"}))
        );
    }

    #[test]
    fn missing_or_null_key_skips_the_object() {
        let requires = vec![field("__typename", vec![]), field("id", vec![])];
        assert!(
            build_representation(&json!({"__typename": "B", "id": null}), &requires, &types())
                .is_none()
        );
        assert!(build_representation(&json!({"__typename": "B"}), &requires, &types()).is_none());
    }

    #[test]
    fn rewrites_set_typename_and_rename_keys() {
        let types = types();
        let mut value = json!({"__typename": "B", "id": "1", "x_alias": 3});
        apply_rewrites(
            &mut value,
            &[
                FetchRewrite::KeyRenamer {
                    path: vec![RewritePathElement::Key("x_alias".into())],
                    rename_key_to: "x".into(),
                },
                FetchRewrite::ValueSetter {
                    path: vec![
                        RewritePathElement::TypenameEquals("A".into()),
                        RewritePathElement::Key("__typename".into()),
                    ],
                    value: serde_json::json!("A"),
                },
            ],
            &types,
        );
        assert_eq!(value, json!({"__typename": "A", "id": "1", "x": 3}));
    }

    /// The writer produces exactly the built representation's JSON, or defers to it.
    #[test]
    fn written_representations_match_built_ones() {
        let types = types();
        let nested = vec![
            field("__typename", vec![]),
            field("id", vec![]),
            field("org", vec![field("id", vec![])]),
            field("tags", vec![field("k", vec![])]),
            RequireSelection::InlineFragment {
                type_condition: Some("C".into()),
                selections: vec![field("extra", vec![])],
            },
        ];
        let overlapping = vec![
            field("org", vec![field("id", vec![])]),
            RequireSelection::InlineFragment {
                type_condition: None,
                selections: vec![field("org", vec![field("name", vec![])])],
            },
        ];
        let objects = [
            json!({"__typename": "B", "id": "1", "org": {"id": "o", "name": "x"}, "tags": [{"k": 1, "j": 2}, null], "extra": 1}),
            json!({"__typename": "C", "id": 2, "org": {"id": "o"}, "tags": [], "extra": "e\"q"}),
            json!({"__typename": "B", "id": null, "org": {"id": "o"}, "tags": []}),
            json!({"__typename": "B", "id": "1", "org": "not an object", "tags": []}),
        ];
        let mut out = Vec::new();
        for requires in [&nested, &overlapping] {
            for object in &objects {
                let built = build_representation(object, requires, &types);
                match write_representation(object, requires, &types, &mut out) {
                    Written::Done => {
                        let built = built.expect("built too");
                        assert_eq!(out, serde_json::to_vec(&built).expect("json"));
                    }
                    Written::Skipped => assert_eq!(built, None),
                    Written::Merge => assert!(std::ptr::eq(requires, &overlapping)),
                }
            }
        }
        assert_eq!(
            write_representation(&objects[0], &overlapping, &types, &mut out),
            Written::Merge
        );
    }
}
