//! Printing the merged model as Apollo's composition prints a supergraph: schema definition
//! with its `@link`s, then directive definitions, then types, each group ordered by name the
//! way JavaScript's `localeCompare` orders them, blank lines between definitions and no
//! trailing newline.
use std::cmp::Ordering;

use super::merge::{MergedArgument, MergedField, MergedSchema, MergedType, quote};
use super::subgraph::Kind;

const INDENT: &str = "  ";

/// Join spec definitions with the minor version that introduced them (v0.3 is the base).
const JOIN_DIRECTIVES: &[(&str, &str)] = &[
    (
        "join__directive",
        "directive @join__directive(graphs: [join__Graph!], name: String!, args: join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION",
    ),
    (
        "join__enumValue",
        "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
    ),
    (
        "join__graph",
        "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
    ),
    (
        "join__implements",
        "directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE",
    ),
    (
        "join__type",
        "directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR",
    ),
    (
        "join__unionMember",
        "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION",
    ),
    (
        "link",
        "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA",
    ),
];

const MACHINERY_TYPES: &[(&str, &str)] = &[
    (
        "join__ContextArgument",
        "input join__ContextArgument {\n  name: String!\n  type: String!\n  context: String!\n  selection: join__FieldValue!\n}",
    ),
    (
        "join__DirectiveArguments",
        "scalar join__DirectiveArguments",
    ),
    ("join__FieldSet", "scalar join__FieldSet"),
    ("join__FieldValue", "scalar join__FieldValue"),
    ("link__Import", "scalar link__Import"),
    (
        "link__Purpose",
        "enum link__Purpose {\n  \"\"\"\n  `SECURITY` features provide metadata necessary to securely resolve fields.\n  \"\"\"\n  SECURITY\n\n  \"\"\"\n  `EXECUTION` features provide metadata necessary for operation execution.\n  \"\"\"\n  EXECUTION\n}",
    ),
];

/// Approximates ICU root collation (JavaScript's `localeCompare`) for GraphQL names:
/// case-insensitive first, `_` before digits before letters, then lower case first.
pub(crate) fn locale_compare(a: &str, b: &str) -> Ordering {
    fn primary(c: char) -> (u8, char) {
        match c {
            '_' => (0, c),
            '0'..='9' => (1, c),
            _ => (2, c.to_ascii_lowercase()),
        }
    }
    let pa: Vec<(u8, char)> = a.chars().map(primary).collect();
    let pb: Vec<(u8, char)> = b.chars().map(primary).collect();
    pa.cmp(&pb).then_with(|| {
        // Tertiary: lower case sorts before upper case at the first difference.
        for (x, y) in a.chars().zip(b.chars()) {
            if x != y {
                return match (x.is_ascii_lowercase(), y.is_ascii_lowercase()) {
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    _ => x.cmp(&y),
                };
            }
        }
        a.len().cmp(&b.len())
    })
}

/// A description as Apollo prints it (`"""text"""`, or on its own lines when long or
/// multi-line), indented, followed by a newline.
fn description(text: &Option<String>, indent: &str, first_in_block: bool) -> String {
    let Some(text) = text else {
        return String::new();
    };
    let single_line = !text.contains('\n');
    let leading_space = text.starts_with(' ') || text.starts_with('\t');
    let multiple = !single_line || text.ends_with('"') || text.ends_with('\\') || text.len() > 70;
    let mut block = String::new();
    if multiple && !(single_line && leading_space) {
        block.push('\n');
    }
    block.push_str(text);
    if multiple {
        block.push('\n');
    }
    let block = format!("\"\"\"{}\"\"\"", block.replace("\"\"\"", "\\\"\"\""));
    let prefix = if !indent.is_empty() && !first_in_block {
        format!("\n{indent}")
    } else {
        indent.to_string()
    };
    format!("{prefix}{}\n", block.replace('\n', &format!("\n{indent}")))
}

fn directives_on_lines(directives: &[String], end_with_newline: bool) -> String {
    if directives.is_empty() {
        return String::new();
    }
    let mut out = format!("\n{INDENT}{}", directives.join(&format!("\n{INDENT}")));
    if end_with_newline {
        out.push('\n');
    }
    out
}

fn inline_directives(directives: &[String]) -> String {
    if directives.is_empty() {
        String::new()
    } else {
        format!(" {}", directives.join(" "))
    }
}

fn block(items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!("{{\n{}\n}}", items.join("\n"))
    }
}

fn argument(a: &MergedArgument) -> String {
    let ty = a.ty.as_ref().map(|t| t.to_string()).unwrap_or_default();
    let default = a
        .default
        .as_ref()
        .map(|d| format!(" = {d}"))
        .unwrap_or_default();
    format!(
        "{}: {ty}{default}{}",
        a.name,
        inline_directives(&a.directives)
    )
}

fn arguments(args: &[MergedArgument]) -> String {
    if args.is_empty() {
        return String::new();
    }
    if args.iter().all(|a| a.description.is_none()) {
        let printed: Vec<String> = args.iter().map(argument).collect();
        return format!("({})", printed.join(", "));
    }
    let inner = format!("{INDENT}{INDENT}");
    let printed: Vec<String> = args
        .iter()
        .enumerate()
        .map(|(i, a)| {
            format!(
                "{}{inner}{}",
                description(&a.description, &inner, i == 0),
                argument(a)
            )
        })
        .collect();
    format!("(\n{}\n{INDENT})", printed.join("\n"))
}

fn fields(fields: &[&MergedField], input: bool) -> String {
    let items: Vec<String> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let ty = f.ty.as_ref().map(|t| t.to_string()).unwrap_or_default();
            let args = if input {
                String::new()
            } else {
                arguments(&f.arguments)
            };
            let default = match (&f.default, input) {
                (Some(d), true) => format!(" = {d}"),
                _ => String::new(),
            };
            format!(
                "{}{INDENT}{}{args}: {ty}{default}{}",
                description(&f.description, INDENT, i == 0),
                f.name,
                inline_directives(&f.directives)
            )
        })
        .collect();
    block(&items)
}

fn print_type(t: &MergedType) -> String {
    let mut out = description(&t.description, "", true);
    match t.kind {
        Kind::Object | Kind::Interface | Kind::Input => {
            let list: Vec<&MergedField> = t.fields.values().collect();
            out.push_str(t.kind.keyword());
            out.push(' ');
            out.push_str(&t.name);
            if !t.implements.is_empty() {
                out.push_str(" implements ");
                out.push_str(&t.implements.join(" & "));
            }
            out.push_str(&directives_on_lines(&t.directives, !list.is_empty()));
            if t.directives.is_empty() && !list.is_empty() {
                out.push(' ');
            }
            out.push_str(&fields(&list, t.kind == Kind::Input));
        }
        Kind::Enum => {
            let values: Vec<String> = t
                .values
                .values()
                .enumerate()
                .map(|(i, v)| {
                    format!(
                        "{}{INDENT}{}{}",
                        description(&v.description, INDENT, i == 0),
                        v.name,
                        inline_directives(&v.directives)
                    )
                })
                .collect();
            out.push_str("enum ");
            out.push_str(&t.name);
            out.push_str(&directives_on_lines(&t.directives, !values.is_empty()));
            if t.directives.is_empty() && !values.is_empty() {
                out.push(' ');
            }
            out.push_str(&block(&values));
        }
        Kind::Union => {
            out.push_str("union ");
            out.push_str(&t.name);
            out.push_str(&directives_on_lines(&t.directives, !t.members.is_empty()));
            if !t.members.is_empty() {
                out.push_str(" = ");
                out.push_str(&t.members.join(" | "));
            }
        }
        Kind::Scalar => {
            out.push_str("scalar ");
            out.push_str(&t.name);
            out.push_str(&directives_on_lines(&t.directives, false));
        }
    }
    out
}

pub(crate) fn print(schema: &MergedSchema) -> String {
    let specs = &schema.specs;
    let mut links = vec![
        "@link(url: \"https://specs.apollo.dev/link/v1.0\")".to_string(),
        String::new(),
    ];
    let join = schema.join_minor;
    links[1] = format!("@link(url: \"https://specs.apollo.dev/join/v0.{join}\", for: EXECUTION)");
    let mut directive_defs: Vec<(String, String)> = JOIN_DIRECTIVES
        .iter()
        .filter(|(n, _)| join >= 4 || *n != "join__directive")
        .map(|(n, d)| (n.to_string(), d.to_string()))
        .collect();
    let field_args = match join {
        3 => "",
        4 => ", overrideLabel: String",
        _ => ", overrideLabel: String, contextArguments: [join__ContextArgument!]",
    };
    directive_defs.push(("join__field".into(), format!("directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean{field_args}) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION")));
    let mut types: Vec<(String, String)> = MACHINERY_TYPES
        .iter()
        .filter(|(n, _)| match *n {
            "join__DirectiveArguments" => join >= 4,
            "join__ContextArgument" | "join__FieldValue" => join >= 5,
            _ => true,
        })
        .map(|(n, d)| (n.to_string(), d.to_string()))
        .collect();
    let scope_locations = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM";
    if specs.tag {
        links.push("@link(url: \"https://specs.apollo.dev/tag/v0.3\")".into());
        directive_defs.push(("tag".into(), "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA".into()));
    }
    if specs.inaccessible {
        links.push(
            "@link(url: \"https://specs.apollo.dev/inaccessible/v0.2\", for: SECURITY)".into(),
        );
        directive_defs.push(("inaccessible".into(), "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION".into()));
    }
    if specs.authenticated {
        links.push(
            "@link(url: \"https://specs.apollo.dev/authenticated/v0.1\", for: SECURITY)".into(),
        );
        directive_defs.push((
            "authenticated".into(),
            format!("directive @authenticated on {scope_locations}"),
        ));
    }
    if specs.requires_scopes {
        links.push(
            "@link(url: \"https://specs.apollo.dev/requiresScopes/v0.1\", for: SECURITY)".into(),
        );
        directive_defs.push(("requiresScopes".into(), format!("directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on {scope_locations}")));
        types.push((
            "requiresScopes__Scope".into(),
            "scalar requiresScopes__Scope".into(),
        ));
    }
    if specs.policy {
        links.push("@link(url: \"https://specs.apollo.dev/policy/v0.1\", for: SECURITY)".into());
        directive_defs.push((
            "policy".into(),
            format!("directive @policy(policies: [[policy__Policy!]!]!) on {scope_locations}"),
        ));
        types.push(("policy__Policy".into(), "scalar policy__Policy".into()));
    }
    if specs.cost || specs.list_size {
        let (link, list_size_name) = if specs.list_size {
            (
                "@link(url: \"https://specs.apollo.dev/cost/v0.1\", import: [\"@listSize\"])",
                "listSize",
            )
        } else {
            (
                "@link(url: \"https://specs.apollo.dev/cost/v0.1\")",
                "cost__listSize",
            )
        };
        links.push(link.into());
        directive_defs.push(("cost".into(), "directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR".into()));
        directive_defs.push((list_size_name.into(), format!("directive @{list_size_name}(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION")));
    }
    for custom in &schema.custom_directives {
        if let Some(link) = &custom.link {
            let printed = match &link.import {
                Some(import) => format!("@link(url: {}, import: {import})", quote(&link.url)),
                None => format!("@link(url: {})", quote(&link.url)),
            };
            if !links.contains(&printed) {
                links.push(printed);
            }
        }
        directive_defs.push((
            custom.name.clone(),
            custom.definition.to_string().trim_end().to_string(),
        ));
    }
    let graphs: Vec<String> = schema
        .graphs
        .iter()
        .map(|g| {
            format!(
                "{INDENT}{} @join__graph(name: {}, url: {})",
                g.enum_value,
                quote(&g.name),
                quote(&g.url)
            )
        })
        .collect();
    types.push((
        "join__Graph".into(),
        format!("enum join__Graph {}", block(&graphs)),
    ));
    for t in schema.types.values() {
        types.push((t.name.clone(), print_type(t)));
    }
    directive_defs.sort_by(|a, b| locale_compare(&a.0, &b.0));
    types.sort_by(|a, b| locale_compare(&a.0, &b.0));

    let mut roots = vec![format!("{INDENT}query: Query")];
    if schema.has_mutation {
        roots.push(format!("{INDENT}mutation: Mutation"));
    }
    if schema.has_subscription {
        roots.push(format!("{INDENT}subscription: Subscription"));
    }
    let mut parts = vec![format!(
        "schema{}{}",
        directives_on_lines(&links, true),
        block(&roots)
    )];
    parts.extend(directive_defs.into_iter().map(|(_, d)| d));
    parts.extend(types.into_iter().map(|(_, t)| t));
    parts.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_like_locale_compare() {
        let mut names = vec![
            "Query",
            "join__Graph",
            "Book",
            "link__Import",
            "join__FieldSet",
            "Media",
            "requiresScopes__Scope",
            "join__ContextArgument",
        ];
        names.sort_by(|a, b| locale_compare(a, b));
        assert_eq!(
            names,
            [
                "Book",
                "join__ContextArgument",
                "join__FieldSet",
                "join__Graph",
                "link__Import",
                "Media",
                "Query",
                "requiresScopes__Scope"
            ]
        );
        assert_eq!(locale_compare("a", "A"), Ordering::Less);
    }

    #[test]
    fn descriptions() {
        assert_eq!(
            description(&Some("A product".into()), "", true),
            "\"\"\"A product\"\"\"\n"
        );
        assert_eq!(
            description(&Some("a\nb".into()), "  ", false),
            "\n  \"\"\"\n  a\n  b\n  \"\"\"\n"
        );
    }
}
