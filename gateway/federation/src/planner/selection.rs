//! The selection sent to one subgraph, built up while planning and printed once.
use apollo_compiler::ast::{self, Value};
use apollo_compiler::{Name, Node};
use std::collections::BTreeSet;
use std::fmt::Write;

#[derive(Debug, Clone, Default)]
pub(crate) struct OutSel {
    pub items: Vec<OutItem>,
}

#[derive(Debug, Clone)]
pub(crate) enum OutItem {
    Field {
        alias: Option<Name>,
        name: Name,
        arguments: Vec<Node<ast::Argument>>,
        sub: OutSel,
    },
    Fragment {
        type_condition: Name,
        sub: OutSel,
    },
}

/// A path of item indices from a group's selection root to a nested selection.
pub(crate) type Pos = Vec<usize>;

impl OutSel {
    pub fn at_mut(&mut self, pos: &[usize]) -> Option<&mut OutSel> {
        let mut cur = self;
        for &i in pos {
            cur = match cur.items.get_mut(i)? {
                OutItem::Field { sub, .. } | OutItem::Fragment { sub, .. } => sub,
            };
        }
        Some(cur)
    }

    pub fn at(&self, pos: &[usize]) -> Option<&OutSel> {
        let mut cur = self;
        for &i in pos {
            cur = match cur.items.get(i)? {
                OutItem::Field { sub, .. } | OutItem::Fragment { sub, .. } => sub,
            };
        }
        Some(cur)
    }

    /// Adds (or finds) a field and returns its index and its response key in this selection.
    /// A different field already using the response key makes the new one aliased
    /// (`<key>__<n>`); the caller decides whether the alias needs an output rewrite.
    pub fn add_field(
        &mut self,
        alias: Option<&Name>,
        name: &Name,
        arguments: &[Node<ast::Argument>],
    ) -> (usize, Name) {
        let key = alias.unwrap_or(name).clone();
        let mut candidate = key.clone();
        let mut n = 0;
        loop {
            let existing = self.items.iter().position(|item| {
                matches!(item, OutItem::Field { alias: a, name: nm, .. }
                    if a.as_ref().unwrap_or(nm) == &candidate)
            });
            match existing {
                None => break,
                Some(i) => {
                    if let OutItem::Field {
                        name: nm,
                        arguments: args,
                        ..
                    } = &self.items[i]
                        && nm == name
                        && args == arguments
                    {
                        return (i, candidate);
                    }
                    n += 1;
                    candidate = Name::new(&format!("{key}__{n}")).unwrap_or_else(|_| key.clone());
                }
            }
        }
        let alias = if &candidate == name {
            None
        } else {
            Some(candidate.clone())
        };
        self.items.push(OutItem::Field {
            alias,
            name: name.clone(),
            arguments: arguments.to_vec(),
            sub: OutSel::default(),
        });
        (self.items.len() - 1, candidate)
    }

    pub fn add_fragment(&mut self, type_condition: &Name) -> usize {
        if let Some(i) = self.items.iter().position(
            |item| matches!(item, OutItem::Fragment { type_condition: t, .. } if t == type_condition),
        ) {
            return i;
        }
        self.items.push(OutItem::Fragment {
            type_condition: type_condition.clone(),
            sub: OutSel::default(),
        });
        self.items.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The response key of the argument-less field `name` here, if selected.
    pub fn key_of(&self, name: &str) -> Option<Name> {
        self.items.iter().find_map(|item| match item {
            OutItem::Field {
                alias,
                name: n,
                arguments,
                ..
            } if n == name && arguments.is_empty() => Some(alias.clone().unwrap_or(n.clone())),
            _ => None,
        })
    }

    pub fn variables(&self, out: &mut BTreeSet<Name>) {
        for item in &self.items {
            match item {
                OutItem::Field { arguments, sub, .. } => {
                    for a in arguments {
                        value_variables(&a.value, out);
                    }
                    sub.variables(out);
                }
                OutItem::Fragment { sub, .. } => sub.variables(out),
            }
        }
    }

    /// Compact single-line form: `{ a b { c } ... on T { d } }`.
    pub fn print(&self, out: &mut String) {
        out.push('{');
        for item in &self.items {
            out.push(' ');
            match item {
                OutItem::Field {
                    alias,
                    name,
                    arguments,
                    sub,
                } => {
                    if let Some(a) = alias {
                        let _ = write!(out, "{a}: ");
                    }
                    out.push_str(name);
                    if !arguments.is_empty() {
                        out.push('(');
                        for (i, a) in arguments.iter().enumerate() {
                            if i > 0 {
                                out.push_str(", ");
                            }
                            let _ = write!(out, "{}: {}", a.name, a.value);
                        }
                        out.push(')');
                    }
                    if !sub.is_empty() {
                        out.push(' ');
                        sub.print(out);
                    }
                }
                OutItem::Fragment {
                    type_condition,
                    sub,
                } => {
                    let _ = write!(out, "... on {type_condition} ");
                    sub.print(out);
                }
            }
        }
        out.push_str(" }");
    }
}

fn value_variables(value: &Value, out: &mut BTreeSet<Name>) {
    match value {
        Value::Variable(v) => {
            out.insert(v.clone());
        }
        Value::List(items) => items.iter().for_each(|v| value_variables(v, out)),
        Value::Object(fields) => fields.iter().for_each(|(_, v)| value_variables(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        Name::new(s).expect("valid name")
    }

    #[test]
    fn same_field_merges_and_different_field_gets_alias() {
        let mut sel = OutSel::default();
        let (a, key_a) = sel.add_field(None, &name("id"), &[]);
        let (b, key_b) = sel.add_field(None, &name("id"), &[]);
        assert_eq!((a, key_a.as_str()), (b, key_b.as_str()));
        let (c, key_c) = sel.add_field(Some(&name("id")), &name("name"), &[]);
        assert_ne!(a, c);
        assert_eq!(key_c.as_str(), "id__1");
        let mut printed = String::new();
        sel.print(&mut printed);
        assert_eq!(printed, "{ id id__1: name }");
    }
}
