//! The merged response tree: one JSON value per request that every fetch merges into.
//! Objects in it are found by walking a `Flatten` path once, and reached again by address
//! (entry and item indexes), which stays valid because merging only ever adds keys.
use super::value::Value as JsonValue;
use federation::plan::FlattenPathElement;

use crate::error::PathSegment;

/// Calls `visit` on every object `path` designates, in document order. Null or missing
/// values along the way designate nothing; a list where a field was expected is fanned out
/// too, so a plan that omits a trailing `@` still reaches the objects. `visit` gets the values
/// along the way (`ancestors[0]` is the root; the object is last), which `@fromContext`
/// values are read from, and the object's address (see [`get_at_mut`]).
/// What [`visit_objects`] calls: the object, its ancestors, its address.
pub type Visitor<'v, 'f> = &'f mut dyn FnMut(&'v JsonValue, &[&'v JsonValue], &[u32]);

pub fn visit_objects<'v>(root: &'v JsonValue, path: &[FlattenPathElement], visit: Visitor<'v, '_>) {
    let mut ancestors = vec![root];
    let mut address = Vec::new();
    walk(root, path, &mut ancestors, &mut address, visit);
}

fn walk<'v>(
    value: &'v JsonValue,
    path: &[FlattenPathElement],
    ancestors: &mut Vec<&'v JsonValue>,
    address: &mut Vec<u32>,
    visit: Visitor<'v, '_>,
) {
    let mut step = |index: usize,
                    child: &'v JsonValue,
                    rest: &[FlattenPathElement],
                    ancestors: &mut Vec<&'v JsonValue>,
                    address: &mut Vec<u32>| {
        ancestors.push(child);
        address.push(index as u32);
        walk(child, rest, ancestors, address, visit);
        address.pop();
        ancestors.pop();
    };
    match (path.split_first(), value) {
        (_, JsonValue::Null) => {}
        (None, JsonValue::Object(_)) => visit(value, ancestors, address),
        (None, JsonValue::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                step(i, item, path, ancestors, address)
            }
        }
        (None, _) => {}
        (Some((FlattenPathElement::List, rest)), JsonValue::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                step(i, item, rest, ancestors, address)
            }
        }
        (Some((FlattenPathElement::Field(key), rest)), JsonValue::Object(map)) => {
            if let Some(i) = map.position(key)
                && let Some((_, child)) = map.entry_at(i)
            {
                step(i, child, rest, ancestors, address)
            }
        }
        (Some((FlattenPathElement::Field(_), _)), JsonValue::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                step(i, item, path, ancestors, address)
            }
        }
        _ => {}
    }
}

/// The value at `address`: an entry index per object and an item index per list on the
/// way from the root, as [`visit_objects`] reports them. Addresses stay valid while the tree
/// only grows, which merging guarantees (keys are appended, never removed).
pub fn get_at_mut<'a>(root: &'a mut JsonValue, address: &[u32]) -> Option<&'a mut JsonValue> {
    address.iter().try_fold(root, |value, &index| match value {
        JsonValue::Object(map) => map.value_at_mut(index as usize),
        JsonValue::Array(items) => items.get_mut(index as usize),
        _ => None,
    })
}

/// The response path of `address`, for errors.
pub fn path_of(root: &JsonValue, address: &[u32]) -> Vec<PathSegment> {
    let mut path = Vec::with_capacity(address.len());
    let mut value = root;
    for &index in address {
        let index = index as usize;
        match value {
            JsonValue::Object(map) => match map.entry_at(index) {
                Some((key, child)) => {
                    path.push(PathSegment::Key(key.to_string()));
                    value = child;
                }
                None => break,
            },
            JsonValue::Array(items) => match items.get(index) {
                Some(child) => {
                    path.push(PathSegment::Index(index));
                    value = child;
                }
                None => break,
            },
            _ => break,
        }
    }
    path
}

/// Merges `source` into `target`: objects key by key, lists of equal length item by item,
/// anything else replaced. A null never erases an object already fetched (another subgraph
/// may have answered for it).
pub fn deep_merge(target: &mut JsonValue, source: JsonValue) {
    match (target, source) {
        (JsonValue::Object(target), JsonValue::Object(source)) => {
            for (key, value) in source {
                match target.get_mut(&key) {
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

    macro_rules! json {
        ($($t:tt)+) => {
            JsonValue::from(&serde_json::json!($($t)+))
        };
    }

    fn field(name: &str) -> FlattenPathElement {
        FlattenPathElement::Field(name.into())
    }

    fn collect_positions(root: &JsonValue, path: &[FlattenPathElement]) -> Vec<Vec<PathSegment>> {
        let mut out = Vec::new();
        visit_objects(root, path, &mut |_, _, address| {
            out.push(path_of(root, address))
        });
        out
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
        let mut address = Vec::new();
        let path = [field("top"), FlattenPathElement::List, field("a")];
        visit_objects(&tree, &path, &mut |_, _, a| address = a.to_vec());
        let mut tree = tree;
        assert_eq!(
            get_at_mut(&mut tree, &address).cloned(),
            Some(json!({"x": 2}))
        );
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
