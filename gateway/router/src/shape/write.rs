//! The fast path of response shaping: walks the client's operation over the merged tree and
//! writes `data` straight to JSON bytes, with GraphQL's result coercion and null propagation.
//!
//! Null propagation without an intermediate tree: before a value whose type is nullable the
//! writer remembers the output length; when a non-null violation surfaces below it, the
//! output is cut back to that mark and `null` written instead.
//!
//! Field collection (fragments, `@skip`/`@include`, type conditions) is done once per
//! distinct (field group, concrete type) in a request and memoized in `nodes`, so a list of a
//! thousand objects collects its fields once.
use std::io::Write as _;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::Name;
use apollo_compiler::Schema;
use apollo_compiler::ast::Value;
use apollo_compiler::collections::{HashSet, IndexMap};
use apollo_compiler::executable::{Field, Operation, Selection};
use apollo_compiler::response::{GraphQLError, JsonMap};
use apollo_compiler::schema::{ExtendedType, ObjectType, Type};
use apollo_compiler::validation::Valid;

use crate::error::{GraphqlError, PathSegment};
use crate::execution::value::{Object, Value as JsonValue};

/// The position must be null: a non-null violation (already reported) is on its way up.
struct Null;

/// Fields collected for one concrete object type.
struct Node<'a> {
    slots: Vec<Slot<'a>>,
}

/// One response key of a collected field set.
struct Slot<'a> {
    key: &'a str,
    /// Every field of the operation that shares the response key (their sub-selections merge).
    fields: Vec<&'a Field>,
    ty: &'a Type,
    /// The field's named type, `None` for `__typename`.
    named: Option<&'a ExtendedType>,
    /// The collected sub-selections, per concrete object type met in the data.
    children: Vec<(&'a str, usize)>,
}

enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

pub(super) struct Writer<'a, 't> {
    schema: &'a Valid<Schema>,
    document: &'a Valid<ExecutableDocument>,
    variables: &'a JsonMap,
    fetch_errors: &'t [GraphqlError],
    nodes: Vec<Node<'a>>,
    path: Vec<Step<'a>>,
    out: Vec<u8>,
    errors: Vec<GraphqlError>,
}

impl<'a, 't> Writer<'a, 't> {
    pub(super) fn new(
        schema: &'a Valid<Schema>,
        document: &'a Valid<ExecutableDocument>,
        variables: &'a JsonMap,
        fetch_errors: &'t [GraphqlError],
    ) -> Self {
        Self {
            schema,
            document,
            variables,
            fetch_errors,
            nodes: Vec::new(),
            path: Vec::new(),
            out: Vec::with_capacity(4096),
            errors: Vec::new(),
        }
    }

    /// Writes the operation's `data`: the JSON object, or `null` when null propagation
    /// reached the root. Returns the bytes and the shaping errors.
    pub(super) fn write(
        mut self,
        operation: &'a Operation,
        tree: &'t JsonValue,
    ) -> (Vec<u8>, Vec<GraphqlError>) {
        let empty = Object::new();
        let root = tree.as_object().unwrap_or(&empty);
        let written = match self.schema.get_object(operation.object_type()) {
            Some(root_type) => {
                let selections = &operation.selection_set.selections;
                let node = self.collect(root_type, selections.iter());
                self.object(node, root_type, root)
            }
            None => Err(Null),
        };
        if written.is_err() {
            self.out.clear();
            self.out.extend_from_slice(b"null");
        }
        (self.out, self.errors)
    }

    fn object(
        &mut self,
        node: usize,
        object_type: &'a ObjectType,
        map: &Object,
    ) -> Result<(), Null> {
        self.out.push(b'{');
        for index in 0..self.nodes[node].slots.len() {
            let slot = &self.nodes[node].slots[index];
            let (key, ty, named) = (slot.key, slot.ty, slot.named);
            if index > 0 {
                self.out.push(b',');
            }
            self.out.push(b'"');
            // Response keys are GraphQL names: nothing to escape.
            self.out.extend_from_slice(key.as_bytes());
            self.out.extend_from_slice(b"\":");
            let Some(named) = named else {
                self.string(object_type.name.as_str());
                continue;
            };
            let value = map.get(key);
            self.path.push(Step::Key(key));
            let result = self.nullable(value, ty, named, node, index);
            self.path.pop();
            result?;
        }
        self.out.push(b'}');
        Ok(())
    }

    /// Writes `value` of type `ty`; a violation below a nullable type becomes `null` here.
    fn nullable(
        &mut self,
        value: Option<&JsonValue>,
        ty: &'a Type,
        named: &'a ExtendedType,
        node: usize,
        slot: usize,
    ) -> Result<(), Null> {
        let mark = self.out.len();
        let depth = self.path.len();
        match self.complete(value, ty, named, node, slot) {
            Ok(()) => Ok(()),
            Err(Null) if ty.is_non_null() => Err(Null),
            Err(Null) => {
                self.out.truncate(mark);
                self.path.truncate(depth);
                self.out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }

    fn complete(
        &mut self,
        value: Option<&JsonValue>,
        ty: &'a Type,
        named: &'a ExtendedType,
        node: usize,
        slot: usize,
    ) -> Result<(), Null> {
        let value = match value {
            None | Some(JsonValue::Null) => {
                if ty.is_non_null() {
                    return self.field_error(
                        node,
                        slot,
                        format!(
                            "Cannot return null for non-nullable field (non-null type {ty} \
                             resolved to null)"
                        ),
                    );
                }
                self.out.extend_from_slice(b"null");
                return Ok(());
            }
            Some(value) => value,
        };
        if let Type::List(item) | Type::NonNullList(item) = ty {
            let JsonValue::Array(items) = value else {
                return self.field_error(
                    node,
                    slot,
                    format!("list type {ty} resolved to an object"),
                );
            };
            self.out.push(b'[');
            for (i, item_value) in items.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                self.path.push(Step::Index(i));
                let result = self.nullable(Some(item_value), item, named, node, slot);
                self.path.pop();
                result?;
            }
            self.out.push(b']');
            return Ok(());
        }
        match named {
            ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_) => {
                let JsonValue::Object(map) = value else {
                    return self.invalid_value(node, slot);
                };
                let Some(object_type) = self.concrete_type(named, map) else {
                    return self.invalid_value(node, slot);
                };
                let child = self.child(node, slot, object_type);
                self.object(child, object_type, map)
            }
            ExtendedType::Enum(def) => match value.as_str() {
                Some(name) if def.values.contains_key(name) => {
                    self.string(name);
                    Ok(())
                }
                _ => self.invalid_value(node, slot),
            },
            ExtendedType::Scalar(def) => {
                let valid = match def.name.as_str() {
                    "Int" => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                    "Float" => match value.as_f64() {
                        // An integral Float may arrive as a JSON integer: write it as a float.
                        Some(n) if !value.is_f64() => {
                            self.leaf(&JsonValue::from(n));
                            return Ok(());
                        }
                        Some(_) => true,
                        None => false,
                    },
                    "String" => value.is_string(),
                    "Boolean" => value.is_boolean(),
                    "ID" => value.is_string() || value.is_i64(),
                    // Custom scalars carry any JSON.
                    _ => true,
                };
                if !valid {
                    return self.invalid_value(node, slot);
                }
                self.leaf(value);
                Ok(())
            }
            ExtendedType::InputObject(_) => self.invalid_value(node, slot),
        }
    }

    /// The object type of a composite value: the data's `__typename`, else the field's type.
    fn concrete_type(&self, named: &'a ExtendedType, map: &Object) -> Option<&'a ObjectType> {
        let typename = map.get("__typename").and_then(JsonValue::as_str);
        match named {
            ExtendedType::Object(object) => match typename {
                Some(name) if name != object.name.as_str() => None,
                _ => Some(object),
            },
            ExtendedType::Interface(interface) => {
                let object = self.schema.get_object(typename?)?;
                object
                    .implements_interfaces
                    .contains(&interface.name)
                    .then_some(&**object)
            }
            ExtendedType::Union(union) => {
                let object = self.schema.get_object(typename?)?;
                union.members.contains(&object.name).then_some(&**object)
            }
            _ => None,
        }
    }

    /// The collected sub-selections of `slot` for `object_type`, collected on first use.
    fn child(&mut self, node: usize, slot: usize, object_type: &'a ObjectType) -> usize {
        let name = object_type.name.as_str();
        if let Some(&(_, child)) = self.nodes[node].slots[slot]
            .children
            .iter()
            .find(|(n, _)| *n == name)
        {
            return child;
        }
        let fields = self.nodes[node].slots[slot].fields.clone();
        let child = self.collect(
            object_type,
            fields
                .iter()
                .flat_map(|f| f.selection_set.selections.iter()),
        );
        self.nodes[node].slots[slot].children.push((name, child));
        child
    }

    /// CollectFields for `object_type`: grouped by response key, in first-seen order.
    fn collect(
        &mut self,
        object_type: &'a ObjectType,
        selections: impl Iterator<Item = &'a Selection>,
    ) -> usize {
        let mut grouped: IndexMap<&'a Name, Vec<&'a Field>> = IndexMap::default();
        let mut visited = HashSet::default();
        self.collect_into(object_type, selections, &mut visited, &mut grouped);
        let slots = grouped
            .into_iter()
            .map(|(key, fields)| {
                let ty = fields[0].ty();
                let named = if fields[0].name == "__typename" {
                    None
                } else {
                    self.schema.types.get(ty.inner_named_type())
                };
                Slot {
                    key: key.as_str(),
                    fields,
                    ty,
                    named,
                    children: Vec::new(),
                }
            })
            .collect();
        self.nodes.push(Node { slots });
        self.nodes.len() - 1
    }

    fn collect_into(
        &self,
        object_type: &'a ObjectType,
        selections: impl Iterator<Item = &'a Selection>,
        visited: &mut HashSet<&'a Name>,
        grouped: &mut IndexMap<&'a Name, Vec<&'a Field>>,
    ) {
        for selection in selections {
            if !self.included(selection) {
                continue;
            }
            match selection {
                Selection::Field(field) => grouped
                    .entry(field.response_key())
                    .or_default()
                    .push(field.as_ref()),
                Selection::FragmentSpread(spread) => {
                    if !visited.insert(&spread.fragment_name) {
                        continue;
                    }
                    let Some(fragment) = self.document.fragments.get(&spread.fragment_name) else {
                        continue;
                    };
                    if self.applies(object_type, fragment.type_condition()) {
                        self.collect_into(
                            object_type,
                            fragment.selection_set.selections.iter(),
                            visited,
                            grouped,
                        );
                    }
                }
                Selection::InlineFragment(inline) => {
                    if inline
                        .type_condition
                        .as_ref()
                        .is_none_or(|condition| self.applies(object_type, condition))
                    {
                        self.collect_into(
                            object_type,
                            inline.selection_set.selections.iter(),
                            visited,
                            grouped,
                        );
                    }
                }
            }
        }
    }

    fn applies(&self, object_type: &ObjectType, condition: &Name) -> bool {
        match self.schema.types.get(condition) {
            Some(ExtendedType::Object(_)) => *condition == object_type.name,
            Some(ExtendedType::Interface(_)) => {
                object_type.implements_interfaces.contains(condition)
            }
            Some(ExtendedType::Union(union)) => union.members.contains(&object_type.name),
            _ => false,
        }
    }

    /// `@skip(if:)` / `@include(if:)`.
    fn included(&self, selection: &Selection) -> bool {
        let condition = |directive: &str| {
            let value = selection
                .directives()
                .get(directive)?
                .specified_argument_by_name("if")?;
            match value.as_ref() {
                Value::Boolean(value) => Some(*value),
                Value::Variable(name) => self.variables.get(name.as_str())?.as_bool(),
                _ => None,
            }
        };
        !condition("skip").unwrap_or(false) && condition("include").unwrap_or(true)
    }

    fn string(&mut self, value: &str) {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.out, value);
    }

    fn leaf(&mut self, value: &JsonValue) {
        if serde_json::to_writer(&mut self.out, value).is_err() {
            let _ = self.out.write_all(b"null");
        }
    }

    /// The executor's wording, without repeating the offending value (it may be an
    /// inaccessible enum value or type).
    fn invalid_value(&mut self, node: usize, slot: usize) -> Result<(), Null> {
        self.field_error(node, slot, super::INVALID_VALUE.to_string())
    }

    /// Reports a field error at the current path, unless it is a null that a fetch error on
    /// an overlapping path already explains.
    fn field_error(&mut self, node: usize, slot: usize, message: String) -> Result<(), Null> {
        let path: Vec<PathSegment> = self
            .path
            .iter()
            .map(|step| match step {
                Step::Key(key) => PathSegment::Key((*key).to_string()),
                Step::Index(i) => PathSegment::Index(*i),
            })
            .collect();
        let location = self.nodes[node].slots[slot].fields[0].name.location();
        let located = GraphQLError::new(message, location, &self.document.sources);
        let mut error = GraphqlError::from_compiler(located, None);
        error.path = Some(path);
        if !super::explained_by(&error, self.fetch_errors) {
            self.errors.push(error);
        }
        Err(Null)
    }
}
