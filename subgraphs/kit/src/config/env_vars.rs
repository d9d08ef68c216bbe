//! `PLATFORM__SECTION__KEY=value` environment variables as a figment provider.
//!
//! A variable ending in `_FILE` (`PLATFORM__EVENTS__REDIS_URL_FILE=/run/secrets/redis_url`)
//! sets the key without the suffix to the file's contents: how Docker and Kubernetes secrets
//! arrive without putting them in the environment.
//!
//! A segment made of digits indexes a list (`PLATFORM__GATEWAY__AUTH__JWT__PROVIDERS__0__JWKS_URL`
//! sets `jwks_url` of the first provider and keeps its other keys; index `len` appends an
//! element), so list-valued settings need no mounted override file. Where no value exists
//! yet, a digit segment starts a list; inside an existing map it stays a map key.
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::ConfigIssue;

/// The prefix of configuration variables; `__` separates nesting levels.
pub const PREFIX: &str = "PLATFORM__";
/// Suffix of variables whose value is a path to read the setting from.
pub const FILE_SUFFIX: &str = "_FILE";

/// One variable, so an error can name the variable that set the bad value.
pub(super) struct EnvVar {
    name: String,
    /// The key path, lowercased: `["gateway", "auth", "jwt", "providers", "0", "jwks_url"]`.
    parts: Vec<String>,
    source: Source,
    /// For a path through a list: the whole top-level section with this variable applied,
    /// built against the layers below (see [`EnvVar::resolve_lists`]).
    section: Option<Value>,
}

enum Source {
    Value(String),
    File(String),
}

impl EnvVar {
    /// `None` for variables outside the `PLATFORM__` namespace.
    pub(super) fn parse(name: &str, value: &str) -> Option<Self> {
        let rest = name.strip_prefix(PREFIX)?;
        let (rest, source) = match rest.strip_suffix(FILE_SUFFIX) {
            Some(rest) => (rest, Source::File(value.to_owned())),
            None => (rest, Source::Value(value.to_owned())),
        };
        let parts: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        if parts.iter().any(String::is_empty) {
            return None;
        }
        Some(Self {
            name: name.to_owned(),
            parts,
            source,
            section: None,
        })
    }

    /// Sort key: variables apply in name order, list indexes in numeric order (`..__2__..`
    /// before `..__10__..`, so appends happen in sequence).
    pub(super) fn order_key(&self) -> Vec<(u64, String)> {
        self.parts
            .iter()
            .map(|part| match part.parse::<u64>() {
                Ok(index) => (index, String::new()),
                Err(_) => (u64::MAX, part.clone()),
            })
            .chain(std::iter::once((0, self.name.clone())))
            .collect()
    }

    /// A path with a digit segment is applied to the section as merged so far: figment would
    /// otherwise replace the whole list with a map `{"0": ...}`. Values copied from the lower
    /// layers keep their tags, so errors about them still name their file.
    pub(super) fn resolve_lists(mut self, figment: &Figment) -> Result<Self, ConfigIssue> {
        if !self.parts.iter().skip(1).any(|p| is_index(p)) {
            return Ok(self);
        }
        let issue = |reason: String| ConfigIssue {
            key: self.parts.join("."),
            reason,
            origin: Some(format!("environment variable {}", self.name)),
        };
        let value = self.value().map_err(&issue)?;
        let mut section = figment
            .find_value(&self.parts[0])
            .unwrap_or_else(|_| Value::from(Dict::new()));
        set_path(&mut section, &self.parts[1..], value).map_err(issue)?;
        self.section = Some(section);
        Ok(self)
    }

    fn value(&self) -> Result<Value, String> {
        match &self.source {
            // Same typing as figment's own Env provider: "4001" is a number, "true" a bool.
            Source::Value(text) => Ok(text.parse().unwrap_or_else(|_| Value::from(text.clone()))),
            // File contents are secrets: always strings, without the trailing newline.
            Source::File(path) => std::fs::read_to_string(path)
                .map(|text| Value::from(text.trim_end_matches(['\n', '\r']).to_owned()))
                .map_err(|e| format!("cannot read {path} named by {}: {e}", self.name)),
        }
    }
}

fn is_index(part: &str) -> bool {
    !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())
}

/// Sets `path` inside `target` to `leaf`, creating maps (and lists, for digit segments) where
/// nothing is; a scalar in the way is replaced, as a variable replaces any lower layer.
fn set_path(target: &mut Value, path: &[String], leaf: Value) -> Result<(), String> {
    let Some((segment, rest)) = path.split_first() else {
        *target = leaf;
        return Ok(());
    };
    let fresh = || match rest.first() {
        Some(next) if is_index(next) => Value::from(Vec::<Value>::new()),
        _ => Value::from(Dict::new()),
    };
    if is_index(segment)
        && let Value::Array(_, items) = target
    {
        let index: usize = segment
            .parse()
            .map_err(|_| format!("list index {segment} is too large"))?;
        if index > items.len() {
            return Err(format!(
                "list index {index} is past the end: the list has {} item(s); use {} to append",
                items.len(),
                items.len()
            ));
        }
        if index == items.len() {
            items.push(fresh());
        }
        return set_path(&mut items[index], rest, leaf);
    }
    if target.as_dict().is_none() {
        *target = Value::from(Dict::new());
    }
    match target {
        Value::Dict(_, dict) => set_path(
            dict.entry(segment.clone()).or_insert_with(fresh),
            rest,
            leaf,
        ),
        _ => Err("cannot make a map here".to_owned()),
    }
}

impl Provider for EnvVar {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("environment variable {}", self.name))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let (key, value) = match &self.section {
            Some(section) => (self.parts[0].clone(), section.clone()),
            None => (
                self.parts.join("."),
                self.value().map_err(figment::Error::from)?,
            ),
        };
        let nested = figment::util::nest(&key, value);
        let dict = nested
            .into_dict()
            .ok_or_else(|| figment::Error::from(format!("{} is not a key path", self.name)))?;
        Ok(Profile::Default.collect(dict))
    }
}
