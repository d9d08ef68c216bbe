//! The merged response tree: one JSON value per request that every fetch merges into.
//! Positions in it are concrete paths (keys and list indexes) in the client's response keys.
use apollo_compiler::response::JsonValue;
use federation::plan::FlattenPathElement;

use crate::error::PathSegment;

/// Concrete paths of every object that a `Flatten` path designates. Null or missing values
/// along the way designate nothing; a list where a field was expected is fanned out too, so a
/// plan that omits a trailing `@` still reaches the objects.
pub fn collect_positions(root: &JsonValue, path: &[FlattenPathElement]) -> Vec<Vec<PathSegment>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    collect(root, path, &mut current, &mut out);
    out
}

fn collect(
    value: &JsonValue,
    path: &[FlattenPathElement],
    current: &mut Vec<PathSegment>,
    out: &mut Vec<Vec<PathSegment>>,
) {
    match (path.split_first(), value) {
        (_, JsonValue::Null) => {}
        (None, JsonValue::Object(_)) => out.push(current.clone()),
        (None, JsonValue::Array(items)) => fan_out(items, path, current, out),
        (None, _) => {}
        (Some((FlattenPathElement::List, rest)), JsonValue::Array(items)) => {
            fan_out(items, rest, current, out)
        }
        (Some((FlattenPathElement::Field(key), rest)), JsonValue::Object(map)) => {
            if let Some(child) = map.get(key.as_str()) {
                current.push(PathSegment::Key(key.clone()));
                collect(child, rest, current, out);
                current.pop();
            }
        }
        (Some((FlattenPathElement::Field(_), _)), JsonValue::Array(items)) => {
            fan_out(items, path, current, out)
        }
        _ => {}
    }
}

fn fan_out(
    items: &[JsonValue],
    path: &[FlattenPathElement],
    current: &mut Vec<PathSegment>,
    out: &mut Vec<Vec<PathSegment>>,
) {
    for (index, item) in items.iter().enumerate() {
        current.push(PathSegment::Index(index));
        collect(item, path, current, out);
        current.pop();
    }
}

/// Calls `visit` on every object `path` designates, in the order of [`collect_positions`],
/// with the values along the way (`ancestors[0]` is the root; the object is last): what
/// `@fromContext` values are read from.
pub fn visit_objects<'v>(
    root: &'v JsonValue,
    path: &[FlattenPathElement],
    visit: &mut dyn FnMut(&'v JsonValue, &[&'v JsonValue]),
) {
    let mut ancestors = vec![root];
    walk(root, path, &mut ancestors, visit);
}

fn walk<'v>(
    value: &'v JsonValue,
    path: &[FlattenPathElement],
    ancestors: &mut Vec<&'v JsonValue>,
    visit: &mut dyn FnMut(&'v JsonValue, &[&'v JsonValue]),
) {
    let mut step =
        |child: &'v JsonValue, rest: &[FlattenPathElement], ancestors: &mut Vec<&'v JsonValue>| {
            ancestors.push(child);
            walk(child, rest, ancestors, visit);
            ancestors.pop();
        };
    match (path.split_first(), value) {
        (_, JsonValue::Null) => {}
        (None, JsonValue::Object(_)) => visit(value, ancestors),
        (None, JsonValue::Array(items)) => {
            items.iter().for_each(|item| step(item, path, ancestors))
        }
        (None, _) => {}
        (Some((FlattenPathElement::List, rest)), JsonValue::Array(items)) => {
            items.iter().for_each(|item| step(item, rest, ancestors))
        }
        (Some((FlattenPathElement::Field(key), rest)), JsonValue::Object(map)) => {
            if let Some(child) = map.get(key.as_str()) {
                step(child, rest, ancestors)
            }
        }
        (Some((FlattenPathElement::Field(_), _)), JsonValue::Array(items)) => {
            items.iter().for_each(|item| step(item, path, ancestors))
        }
        _ => {}
    }
}

/// The mutable twin of [`visit_objects`]: the same objects in the same order.
pub fn visit_objects_mut(
    value: &mut JsonValue,
    path: &[FlattenPathElement],
    visit: &mut dyn FnMut(&mut JsonValue),
) {
    match (path.split_first(), value) {
        (_, JsonValue::Null) => {}
        (None, value @ JsonValue::Object(_)) => visit(value),
        (None, JsonValue::Array(items)) => {
            for item in items {
                visit_objects_mut(item, path, visit);
            }
        }
        (None, _) => {}
        (Some((FlattenPathElement::List, rest)), JsonValue::Array(items)) => {
            for item in items {
                visit_objects_mut(item, rest, visit);
            }
        }
        (Some((FlattenPathElement::Field(key), rest)), JsonValue::Object(map)) => {
            if let Some(child) = map.get_mut(key.as_str()) {
                visit_objects_mut(child, rest, visit);
            }
        }
        (Some((FlattenPathElement::Field(_), _)), JsonValue::Array(items)) => {
            for item in items {
                visit_objects_mut(item, path, visit);
            }
        }
        _ => {}
    }
}

pub fn get<'a>(root: &'a JsonValue, path: &[PathSegment]) -> Option<&'a JsonValue> {
    path.iter().try_fold(root, |value, segment| match segment {
        PathSegment::Key(key) => value.as_object()?.get(key.as_str()),
        PathSegment::Index(index) => value.as_array()?.get(*index),
    })
}

pub fn get_mut<'a>(root: &'a mut JsonValue, path: &[PathSegment]) -> Option<&'a mut JsonValue> {
    path.iter().try_fold(root, |value, segment| match segment {
        PathSegment::Key(key) => value.as_object_mut()?.get_mut(key.as_str()),
        PathSegment::Index(index) => value.as_array_mut()?.get_mut(*index),
    })
}

/// Merges `source` into `target`: objects key by key, lists of equal length item by item,
/// anything else replaced. A null never erases an object already fetched (another subgraph
/// may have answered for it).
pub fn deep_merge(target: &mut JsonValue, source: JsonValue) {
    match (target, source) {
        (JsonValue::Object(target), JsonValue::Object(source)) => {
            for (key, value) in source {
                match target.get_mut(key.as_str()) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        target.insert(key, value);
                    }
                }
            }
        }
        (JsonValue::Array(target), JsonValue::Array(source)) if target.len() == source.len() => {
            for (existing, value) in target.iter_mut().zip(source) {
                deep_merge(existing, value);
            }
        }
        (JsonValue::Object(_) | JsonValue::Array(_), JsonValue::Null) => {}
        (target, source) => *target = source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apollo_compiler::response::serde_json_bytes::json;

    fn field(name: &str) -> FlattenPathElement {
        FlattenPathElement::Field(name.into())
    }

    #[test]
    fn positions_fan_out_over_lists_and_skip_nulls() {
        let tree = json!({"top": [{"a": {"x": 1}}, {"a": null}, {"a": {"x": 2}}, null]});
        let positions =
            collect_positions(&tree, &[field("top"), FlattenPathElement::List, field("a")]);
        assert_eq!(
            positions,
            vec![
                vec![
                    PathSegment::Key("top".into()),
                    PathSegment::Index(0),
                    PathSegment::Key("a".into())
                ],
                vec![
                    PathSegment::Key("top".into()),
                    PathSegment::Index(2),
                    PathSegment::Key("a".into())
                ],
            ]
        );
        assert_eq!(get(&tree, &positions[1]), Some(&json!({"x": 2})));
    }

    #[test]
    fn nested_lists_fan_out_at_each_level() {
        let tree = json!({"m": [[{"id": 1}], [{"id": 2}, {"id": 3}]]});
        let path = [
            field("m"),
            FlattenPathElement::List,
            FlattenPathElement::List,
        ];
        assert_eq!(collect_positions(&tree, &path).len(), 3);
    }

    #[test]
    fn merge_is_deep_and_keeps_objects_over_null() {
        let mut tree = json!({"a": {"id": 1, "list": [{"x": 1}, {"x": 2}]}, "b": {"k": 1}});
        deep_merge(
            &mut tree,
            json!({"a": {"name": "n", "list": [{"y": 1}, {"y": 2}]}, "b": null, "c": 3}),
        );
        assert_eq!(
            tree,
            json!({"a": {"id": 1, "list": [{"x": 1, "y": 1}, {"x": 2, "y": 2}], "name": "n"}, "b": {"k": 1}, "c": 3})
        );
    }
}
