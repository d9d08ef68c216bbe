//! A generic fixture subgraph: serves a Federation v2 subgraph SDL over real HTTP with
//! async-graphql's dynamic schema, resolving every field from a JSON data file, and records
//! each request it receives.
//!
//! Data file format (`subgraphs/<name>.json`):
//! - `"Query"` / `"Mutation"`: root field values by field name.
//! - any other key is a type name holding a list of records; entities are looked up among
//!   them by any of the type's `@key`s (an unknown entity resolves to its representation,
//!   its other fields null), and an object value that carries a record's key is completed
//!   from that record.
//! - a field value may be `{"$byArgs": [{"args": {..}, "value": ..}]}` (picked by the field's
//!   arguments), `{"$error": "message", "extensions": {..}}` (a field error), or
//!   `{"$expr": [op, operand..]}` with op `add`, `mul`, `concat` or `get` and operands that
//!   are literals, `.path.in.entity` (read from the entity, representation included: this
//!   is how `@requires` inputs are proven to arrive) or `$argument` (the field's argument,
//!   e.g. a `@fromContext` value; `concat` skips nulls).
//! - top-level `"$status": 500` makes the subgraph answer every request with that status;
//!   `"$delayMs": n` makes it wait before answering; `"$rawBody": "..."` makes it answer that
//!   body (with `$status`, or 200) instead of executing.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use apollo_compiler::ast::{self, Definition};
use async_graphql::dynamic::{
    Enum, EnumItem, Field, FieldFuture, FieldValue, InputObject, InputValue, Interface,
    InterfaceField, Object, ResolverContext, Scalar, Schema, TypeRef, Union,
};
use async_graphql::{ErrorExtensions, Name, Value};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as Json};

/// One request a fixture subgraph received.
#[derive(Debug, Clone)]
pub struct Call {
    pub subgraph: String,
    pub query: String,
    pub variables: Json,
    pub authorization: Option<String>,
}

pub type CallLog = Arc<Mutex<Vec<Call>>>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Scalar,
    Enum,
    Object,
    /// Interface or union: values must say their concrete type.
    Abstract,
}

/// The data and key definitions the resolvers read.
struct Store {
    root: HashMap<String, Map<String, Json>>,
    records: HashMap<String, Vec<Json>>,
    keys: HashMap<String, Vec<Vec<KeyField>>>,
    /// Interface name → object types implementing it (entity interfaces resolve to these).
    implementers: HashMap<String, Vec<String>>,
}

#[derive(Debug, Clone)]
struct KeyField {
    name: String,
    children: Vec<KeyField>,
}

/// Name, fields, implemented interfaces and directives of an object or interface type,
/// merged over its definition and extensions.
type CompositeDef = (
    String,
    Vec<apollo_compiler::Node<ast::FieldDefinition>>,
    Vec<String>,
    Vec<apollo_compiler::Node<ast::Directive>>,
);

/// An object value flowing through resolvers.
struct Node(Json);

pub struct FixtureSubgraph {
    pub url: String,
    _server: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct ServerState {
    name: String,
    schema: Schema,
    calls: CallLog,
    status: Option<u16>,
    delay: Option<std::time::Duration>,
    raw_body: Option<String>,
}

/// Starts a fixture subgraph on 127.0.0.1:0.
pub async fn start(
    name: &str,
    sdl: &str,
    data: Json,
    calls: CallLog,
) -> Result<FixtureSubgraph, String> {
    let status = data.get("$status").and_then(Json::as_u64).map(|s| s as u16);
    let delay = data
        .get("$delayMs")
        .and_then(Json::as_u64)
        .map(std::time::Duration::from_millis);
    let raw_body = data
        .get("$rawBody")
        .and_then(Json::as_str)
        .map(str::to_string);
    let schema = build_schema(sdl, data)?;
    let state = ServerState {
        name: name.to_string(),
        schema,
        calls,
        status,
        delay,
        raw_body,
    };
    let app = axum::Router::new()
        .route("/graphql", axum::routing::post(handle))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(FixtureSubgraph {
        url: format!("http://{addr}/graphql"),
        _server: server,
    })
}

/// A URL where nothing listens: a subgraph that is down.
pub async fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/graphql")
}

async fn handle(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Ok(request) = serde_json::from_slice::<Json>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let query = request
        .get("query")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_string();
    let variables = request.get("variables").cloned().unwrap_or(Json::Null);
    state.calls.lock().expect("call log").push(Call {
        subgraph: state.name.clone(),
        query: query.clone(),
        variables: variables.clone(),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    });
    if let Some(delay) = state.delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(body) = state.raw_body {
        let code = state
            .status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::OK);
        return (code, [("content-type", "application/json")], body).into_response();
    }
    if let Some(status) = state.status {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (code, "fixture failure").into_response();
    }
    let mut gql = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables));
    if let Some(name) = request.get("operationName").and_then(Json::as_str) {
        gql = gql.operation_name(name);
    }
    let response = state.schema.execute(gql).await;
    let mut json = serde_json::to_value(&response).unwrap_or(Json::Null);
    if let Some(Json::Array(errors)) = json.get_mut("errors") {
        for error in errors {
            let path = error
                .get_mut("extensions")
                .and_then(Json::as_object_mut)
                .and_then(|ext| ext.remove("$path"));
            if let (Some(path), Some(error)) = (path, error.as_object_mut()) {
                error.insert("path".into(), path);
                if error
                    .get("extensions")
                    .and_then(Json::as_object)
                    .is_some_and(Map::is_empty)
                {
                    error.remove("extensions");
                }
            }
        }
    }
    axum::Json(json).into_response()
}

fn build_schema(sdl: &str, data: Json) -> Result<Schema, String> {
    let document = ast::Document::parse(sdl, "subgraph.graphql").map_err(|e| e.to_string())?;
    let mut kinds: HashMap<String, Kind> = ["Int", "Float", "String", "Boolean", "ID"]
        .into_iter()
        .map(|s| (s.to_string(), Kind::Scalar))
        .collect();
    // Merge definitions and extensions per type name.
    let mut objects: Vec<CompositeDef> = Vec::new();
    let mut interfaces: Vec<CompositeDef> = Vec::new();
    let mut unions: HashMap<String, Vec<String>> = HashMap::new();
    let mut enums: HashMap<String, Vec<String>> = HashMap::new();
    let mut inputs: Vec<(
        String,
        Vec<apollo_compiler::Node<ast::InputValueDefinition>>,
    )> = Vec::new();
    let mut scalars = Vec::new();
    fn merge(
        list: &mut Vec<CompositeDef>,
        name: &str,
        fields: &[apollo_compiler::Node<ast::FieldDefinition>],
        implements: Vec<String>,
        directives: Vec<apollo_compiler::Node<ast::Directive>>,
    ) {
        if let Some(entry) = list.iter_mut().find(|e| e.0 == name) {
            entry.1.extend(fields.iter().cloned());
            entry.2.extend(implements);
            entry.3.extend(directives);
        } else {
            list.push((name.to_string(), fields.to_vec(), implements, directives));
        }
    }
    for definition in &document.definitions {
        match definition {
            Definition::ObjectTypeDefinition(d) => merge(
                &mut objects,
                &d.name,
                &d.fields,
                names(&d.implements_interfaces),
                d.directives.0.clone(),
            ),
            Definition::ObjectTypeExtension(d) => merge(
                &mut objects,
                &d.name,
                &d.fields,
                names(&d.implements_interfaces),
                d.directives.0.clone(),
            ),
            Definition::InterfaceTypeDefinition(d) => merge(
                &mut interfaces,
                &d.name,
                &d.fields,
                names(&d.implements_interfaces),
                d.directives.0.clone(),
            ),
            Definition::InterfaceTypeExtension(d) => merge(
                &mut interfaces,
                &d.name,
                &d.fields,
                names(&d.implements_interfaces),
                d.directives.0.clone(),
            ),
            Definition::UnionTypeDefinition(d) => unions
                .entry(d.name.to_string())
                .or_default()
                .extend(names(&d.members)),
            Definition::UnionTypeExtension(d) => unions
                .entry(d.name.to_string())
                .or_default()
                .extend(names(&d.members)),
            Definition::EnumTypeDefinition(d) => enums
                .entry(d.name.to_string())
                .or_default()
                .extend(d.values.iter().map(|v| v.value.to_string())),
            Definition::EnumTypeExtension(d) => enums
                .entry(d.name.to_string())
                .or_default()
                .extend(d.values.iter().map(|v| v.value.to_string())),
            Definition::InputObjectTypeDefinition(d) => {
                inputs.push((d.name.to_string(), d.fields.clone()))
            }
            Definition::ScalarTypeDefinition(d) => scalars.push(d.name.to_string()),
            _ => {}
        }
    }
    for (name, ..) in &objects {
        kinds.insert(name.clone(), Kind::Object);
    }
    for (name, ..) in &interfaces {
        kinds.insert(name.clone(), Kind::Abstract);
    }
    for name in unions.keys() {
        kinds.insert(name.clone(), Kind::Abstract);
    }
    for name in enums.keys() {
        kinds.insert(name.clone(), Kind::Enum);
    }
    for name in &scalars {
        kinds.insert(name.clone(), Kind::Scalar);
    }

    let mut keys: HashMap<String, Vec<Vec<KeyField>>> = HashMap::new();
    for (name, _, _, directives) in objects.iter().chain(&interfaces) {
        for directive in directives.iter().filter(|d| d.name == "key") {
            if let Some(fields) = directive
                .specified_argument_by_name("fields")
                .and_then(|v| v.as_str())
            {
                keys.entry(name.clone())
                    .or_default()
                    .push(parse_field_set(fields));
            }
        }
    }
    let Json::Object(data) = data else {
        return Err("fixture data must be a JSON object".into());
    };
    let mut root = HashMap::new();
    let mut records = HashMap::new();
    for (key, value) in data {
        match (key.as_str(), value) {
            (k, _) if k.starts_with('$') => {}
            ("Query" | "Mutation", Json::Object(map)) => {
                root.insert(key, map);
            }
            (_, Json::Array(list)) => {
                records.insert(key, list);
            }
            (_, _) => {
                return Err(format!(
                    "fixture data key `{key}` must hold a list of records"
                ));
            }
        }
    }
    let mut implementers: HashMap<String, Vec<String>> = HashMap::new();
    for (name, _, implements, _) in &objects {
        for interface in implements {
            implementers
                .entry(interface.clone())
                .or_default()
                .push(name.clone());
        }
    }
    let store = Arc::new(Store {
        root,
        records,
        keys,
        implementers,
    });
    let kinds = Arc::new(kinds);

    let has_mutation = objects.iter().any(|o| o.0 == "Mutation");
    let mut builder =
        Schema::build("Query", has_mutation.then_some("Mutation"), None).enable_federation();
    if !objects.iter().any(|o| o.0 == "Query") {
        objects.push(("Query".to_string(), Vec::new(), Vec::new(), Vec::new()));
    }
    for (name, fields, implements, directives) in &objects {
        let mut object = Object::new(name.as_str());
        for interface in implements {
            object = object.implement(interface.as_str());
        }
        for directive in directives.iter().filter(|d| d.name == "key") {
            let fields = directive
                .specified_argument_by_name("fields")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let resolvable = directive
                .specified_argument_by_name("resolvable")
                .is_none_or(|v| !matches!(**v, ast::Value::Boolean(false)));
            object = if resolvable {
                object.key(fields)
            } else {
                object.unresolvable(fields)
            };
        }
        for field in fields {
            object = object.field(build_field(name, field, &store, &kinds));
        }
        builder = builder.register(object);
    }
    for (name, fields, implements, _) in &interfaces {
        let mut interface = Interface::new(name.as_str());
        for parent in implements {
            interface = interface.implement(parent.as_str());
        }
        // An entity interface's key is not registered: async-graphql would put the
        // interface in the `_Entity` union. `_entities` still resolves it to an implementation.
        for field in fields {
            let mut f = InterfaceField::new(field.name.as_str(), type_ref(&field.ty));
            for argument in &field.arguments {
                f = f.argument(input_value(argument));
            }
            interface = interface.field(f);
        }
        builder = builder.register(interface);
    }
    for (name, members) in &unions {
        let mut union = Union::new(name.as_str());
        for member in members {
            union = union.possible_type(member.as_str());
        }
        builder = builder.register(union);
    }
    for (name, values) in &enums {
        builder = builder.register(
            Enum::new(name.as_str()).items(values.iter().map(|v| EnumItem::new(v.as_str()))),
        );
    }
    for (name, fields) in &inputs {
        let mut input = InputObject::new(name.as_str());
        for field in fields {
            input = input.field(input_value(field));
        }
        builder = builder.register(input);
    }
    for name in &scalars {
        builder = builder.register(Scalar::new(name.as_str()));
    }
    let entity_store = store.clone();
    builder = builder.entity_resolver(move |ctx| {
        let store = entity_store.clone();
        FieldFuture::new(async move {
            let representations = ctx.args.try_get("representations")?.list()?;
            let mut values = Vec::new();
            for representation in representations.iter() {
                let json = representation.as_value().clone().into_json()?;
                let typename = json
                    .get("__typename")
                    .and_then(Json::as_str)
                    .unwrap_or("")
                    .to_string();
                match store.find_entity(&typename, &json) {
                    Some((concrete, record)) => {
                        let mut entity = record.clone();
                        overlay_missing(&mut entity, &json);
                        values.push(FieldValue::owned_any(Node(entity)).with_type(concrete));
                    }
                    // Unknown entity: answer the representation itself, so its other fields
                    // are null (async-graphql's dynamic `_Entity` union cannot hold a null).
                    None => values.push(FieldValue::owned_any(Node(json)).with_type(typename)),
                }
            }
            Ok(Some(FieldValue::list(values)))
        })
    });
    builder.finish().map_err(|e| e.to_string())
}

fn names(list: &[apollo_compiler::Name]) -> Vec<String> {
    list.iter().map(|n| n.to_string()).collect()
}

fn type_ref(ty: &ast::Type) -> TypeRef {
    match ty {
        ast::Type::Named(n) => TypeRef::Named(n.to_string().into()),
        ast::Type::NonNullNamed(n) => {
            TypeRef::NonNull(Box::new(TypeRef::Named(n.to_string().into())))
        }
        ast::Type::List(inner) => TypeRef::List(Box::new(type_ref(inner))),
        ast::Type::NonNullList(inner) => {
            TypeRef::NonNull(Box::new(TypeRef::List(Box::new(type_ref(inner)))))
        }
    }
}

fn input_value(definition: &ast::InputValueDefinition) -> InputValue {
    let mut value = InputValue::new(definition.name.as_str(), type_ref(&definition.ty));
    if let Some(default) = &definition.default_value {
        value = value.default_value(ast_value(default));
    }
    value
}

fn ast_value(value: &ast::Value) -> Value {
    match value {
        ast::Value::Null => Value::Null,
        ast::Value::Enum(n) => Value::Enum(Name::new(n.as_str())),
        ast::Value::Variable(_) => Value::Null,
        ast::Value::String(s) => Value::String(s.clone()),
        ast::Value::Float(f) => f.try_to_f64().map(Value::from).unwrap_or(Value::Null),
        ast::Value::Int(i) => i.try_to_i32().map(Value::from).unwrap_or(Value::Null),
        ast::Value::Boolean(b) => Value::Boolean(*b),
        ast::Value::List(items) => Value::List(items.iter().map(|i| ast_value(i)).collect()),
        ast::Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (Name::new(k.as_str()), ast_value(v)))
                .collect(),
        ),
    }
}

fn build_field(
    parent: &str,
    field: &ast::FieldDefinition,
    store: &Arc<Store>,
    kinds: &Arc<HashMap<String, Kind>>,
) -> Field {
    let parent = parent.to_string();
    let name = field.name.to_string();
    let ty = field.ty.clone();
    let store = store.clone();
    let kinds = kinds.clone();
    let mut out = Field::new(
        field.name.as_str(),
        type_ref(&field.ty),
        move |ctx: ResolverContext<'_>| {
            let parent = parent.clone();
            let name = name.clone();
            let ty = ty.clone();
            let store = store.clone();
            let kinds = kinds.clone();
            FieldFuture::new(async move {
                let owner = match ctx.parent_value.downcast_ref::<Node>() {
                    Some(node) => node.0.clone(),
                    None => Json::Object(store.root.get(&parent).cloned().unwrap_or_default()),
                };
                let raw = owner.get(&name).cloned().unwrap_or(Json::Null);
                let args = Json::Object(
                    ctx.args
                        .as_index_map()
                        .iter()
                        .map(|(k, v)| Ok((k.to_string(), v.clone().into_json()?)))
                        .collect::<Result<Map<String, Json>, serde_json::Error>>()?,
                );
                // async-graphql's dynamic schema leaves field errors without a `path`; carry it
                // in an extension that `handle` moves into place.
                let path = ctx
                    .ctx
                    .path_node
                    .as_ref()
                    .and_then(|p| serde_json::to_value(p).ok());
                let value = evaluate(raw, &owner, &args).map_err(|e| match &path {
                    Some(path) => e.extend_with(|_, ext| {
                        if let Ok(path) = Value::from_json(path.clone()) {
                            ext.set("$path", path);
                        }
                    }),
                    None => e,
                })?;
                Ok(to_field_value(&store, &kinds, &ty, value))
            })
        },
    );
    for argument in &field.arguments {
        out = out.argument(input_value(argument));
    }
    out
}

/// Applies the data file's special forms to a raw field value.
fn evaluate(raw: Json, owner: &Json, args: &Json) -> async_graphql::Result<Json> {
    let Json::Object(map) = &raw else {
        return Ok(raw);
    };
    if let Some(Json::Array(cases)) = map.get("$byArgs") {
        let found = cases.iter().find(|case| {
            case.get("args")
                .and_then(Json::as_object)
                .is_some_and(|want| {
                    // An absent argument matches `null`.
                    want.iter()
                        .all(|(k, v)| args.get(k).unwrap_or(&Json::Null) == v)
                })
        });
        return match found.and_then(|c| c.get("value")) {
            Some(value) => evaluate(value.clone(), owner, args),
            None => Ok(Json::Null),
        };
    }
    if let Some(message) = map.get("$error").and_then(Json::as_str) {
        let extensions = map
            .get("extensions")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        return Err(async_graphql::Error::new(message).extend_with(|_, e| {
            for (k, v) in &extensions {
                if let Ok(v) = Value::from_json(v.clone()) {
                    e.set(k.as_str(), v);
                }
            }
        }));
    }
    if let Some(Json::Array(expr)) = map.get("$expr") {
        return eval_expr(expr, owner, args);
    }
    Ok(raw)
}

fn eval_expr(expr: &[Json], entity: &Json, args: &Json) -> async_graphql::Result<Json> {
    let op = expr.first().and_then(Json::as_str).unwrap_or("");
    let operands = expr[1..]
        .iter()
        .map(|operand| {
            let text = operand.as_str();
            if let Some(arg) = text.and_then(|s| s.strip_prefix('$')) {
                // `$name`: the field's argument (null when absent).
                return Ok(args.get(arg).cloned().unwrap_or(Json::Null));
            }
            match text.and_then(|s| s.strip_prefix('.')) {
                Some(path) => path
                    .split('.')
                    .try_fold(entity, |v, key| match (v, key.parse::<usize>()) {
                        (Json::Array(items), Ok(index)) => items.get(index),
                        _ => v.get(key),
                    })
                    .cloned()
                    .filter(|v| !v.is_null())
                    .ok_or_else(|| {
                        async_graphql::Error::new(format!(
                            "fixture: `{path}` missing from the entity (was it required?)"
                        ))
                    }),
                None => Ok(operand.clone()),
            }
        })
        .collect::<async_graphql::Result<Vec<_>>>()?;
    let numbers = || operands.iter().map(|v| v.as_f64().unwrap_or(0.0));
    let number = |n: f64| {
        if n.fract() == 0.0 && n.abs() < 1e15 {
            Json::from(n as i64)
        } else {
            Json::from(n)
        }
    };
    Ok(match op {
        "add" => number(numbers().sum()),
        "mul" => number(numbers().product()),
        "concat" => Json::String(
            operands
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect(),
        ),
        "get" => operands.into_iter().next().unwrap_or(Json::Null),
        other => {
            return Err(async_graphql::Error::new(format!(
                "fixture: unknown $expr op `{other}`"
            )));
        }
    })
}

fn to_field_value(
    store: &Store,
    kinds: &HashMap<String, Kind>,
    ty: &ast::Type,
    value: Json,
) -> Option<FieldValue<'static>> {
    if value.is_null() {
        return None;
    }
    match ty {
        ast::Type::List(inner) | ast::Type::NonNullList(inner) => {
            let items = match value {
                Json::Array(items) => items,
                other => vec![other],
            };
            Some(FieldValue::list(items.into_iter().map(|item| {
                to_field_value(store, kinds, inner, item).unwrap_or(FieldValue::NULL)
            })))
        }
        ast::Type::Named(name) | ast::Type::NonNullNamed(name) => match kinds.get(name.as_str()) {
            Some(kind @ (Kind::Object | Kind::Abstract)) => {
                let typename = value
                    .get("__typename")
                    .and_then(Json::as_str)
                    .unwrap_or(name.as_str())
                    .to_string();
                let mut object = value;
                if let Some(record) = store.find_record(&typename, &object) {
                    let mut completed = record.clone();
                    overlay_missing(&mut completed, &object);
                    // The value's own fields win over the record's.
                    if let (Json::Object(target), Json::Object(own)) = (&mut completed, &object) {
                        for (k, v) in own {
                            target.insert(k.clone(), v.clone());
                        }
                    }
                    object = completed;
                }
                let value = FieldValue::owned_any(Node(object));
                // Only abstract positions take a type; an object position is its own type.
                Some(if *kind == Kind::Abstract {
                    value.with_type(typename)
                } else {
                    value
                })
            }
            _ => Value::from_json(value).ok().map(FieldValue::value),
        },
    }
}

impl Store {
    /// The record for an entity representation, and its concrete type: an entity interface
    /// resolves to the implementation that holds a matching record.
    fn find_entity(&self, typename: &str, probe: &Json) -> Option<(String, &Json)> {
        if let Some(record) = self.find_record(typename, probe) {
            return Some((typename.to_string(), record));
        }
        self.implementers.get(typename)?.iter().find_map(|object| {
            self.find_record(object, probe)
                .map(|record| (object.clone(), record))
        })
    }

    /// The record of `typename` whose fields match one of the type's keys in `probe`.
    fn find_record(&self, typename: &str, probe: &Json) -> Option<&Json> {
        let records = self.records.get(typename)?;
        let keys = self.keys.get(typename)?;
        keys.iter()
            .filter(|key| has_key(probe, key))
            .find_map(|key| {
                records
                    .iter()
                    .find(|record| key_matches(probe, record, key))
            })
    }
}

fn has_key(probe: &Json, key: &[KeyField]) -> bool {
    key.iter().all(|field| match probe.get(&field.name) {
        None | Some(Json::Null) => false,
        Some(value) if field.children.is_empty() => !value.is_null(),
        Some(value) => has_key(value, &field.children),
    })
}

fn key_matches(probe: &Json, record: &Json, key: &[KeyField]) -> bool {
    key.iter().all(
        |field| match (probe.get(&field.name), record.get(&field.name)) {
            (Some(a), Some(b)) if field.children.is_empty() => a == b,
            (Some(a), Some(b)) => key_matches(a, b, &field.children),
            _ => false,
        },
    )
}

/// Copies fields of `from` that `into` lacks (representation inputs such as `@requires`).
fn overlay_missing(into: &mut Json, from: &Json) {
    if let (Json::Object(target), Json::Object(source)) = (into, from) {
        for (k, v) in source {
            match target.get_mut(k) {
                Some(existing) if existing.is_object() => overlay_missing(existing, v),
                Some(_) => {}
                None => {
                    target.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

/// Parses a `@key(fields:)` selection such as `id organization { id }`.
fn parse_field_set(fields: &str) -> Vec<KeyField> {
    let spaced = fields.replace('{', " { ").replace('}', " } ");
    let mut tokens = spaced.split_whitespace().peekable();
    fn parse<'a>(tokens: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>) -> Vec<KeyField> {
        let mut out: Vec<KeyField> = Vec::new();
        while let Some(token) = tokens.next() {
            match token {
                "}" => break,
                "{" => {
                    let children = parse(tokens);
                    if let Some(last) = out.last_mut() {
                        last.children = children;
                    }
                }
                name => out.push(KeyField {
                    name: name.to_string(),
                    children: Vec::new(),
                }),
            }
        }
        out
    }
    parse(&mut tokens)
}
