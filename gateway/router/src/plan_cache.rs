//! Stage: the query plan, cached by the hash of the operation text, the operation name and
//! every input that changes the plan ([`PlanOptions`]: `@skip`/`@include` variable values,
//! enabled override labels).
use std::sync::Arc;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::response::JsonMap;
use apollo_compiler::validation::Valid;
use federation::plan::QueryPlan;
use federation::{PlanOptions, QueryPlanner};
use moka::sync::Cache;
use sha2::{Digest, Sha256};

use crate::override_labels::OverrideLabels;

/// Anything that turns a validated operation into a plan: the federation planner, or a fixed
/// plan in tests.
pub trait QueryPlanning: Send + Sync {
    /// The plan inputs this request sets, read from its coerced variables.
    fn options(
        &self,
        document: &Valid<ExecutableDocument>,
        operation_name: Option<&str>,
        variables: &JsonMap,
    ) -> Result<PlanOptions, String>;

    fn plan(
        &self,
        document: &Valid<ExecutableDocument>,
        operation_name: Option<&str>,
        options: &PlanOptions,
    ) -> Result<QueryPlan, String>;
}

/// The federation planner with the request-time inputs it needs: override labels.
pub struct FederationPlanning {
    pub planner: QueryPlanner,
    pub labels: OverrideLabels,
}

impl QueryPlanning for FederationPlanning {
    fn options(
        &self,
        document: &Valid<ExecutableDocument>,
        operation_name: Option<&str>,
        variables: &JsonMap,
    ) -> Result<PlanOptions, String> {
        let mut options = self.planner.options(document, operation_name, variables)?;
        options.enabled_override_labels = self.labels.draw();
        Ok(options)
    }

    fn plan(
        &self,
        document: &Valid<ExecutableDocument>,
        operation_name: Option<&str>,
        options: &PlanOptions,
    ) -> Result<QueryPlan, String> {
        QueryPlanning::plan(&self.planner, document, operation_name, options)
    }
}

impl QueryPlanning for QueryPlanner {
    fn options(
        &self,
        document: &Valid<ExecutableDocument>,
        operation_name: Option<&str>,
        variables: &JsonMap,
    ) -> Result<PlanOptions, String> {
        let names = self
            .condition_variables(document, operation_name)
            .map_err(|e| e.to_string())?;
        let condition_variables = names
            .into_iter()
            .filter_map(|name| {
                let value = variables.get(name.as_str())?.as_bool()?;
                Some((name, value))
            })
            .collect();
        Ok(PlanOptions {
            condition_variables,
            ..PlanOptions::default()
        })
    }

    fn plan(
        &self,
        document: &Valid<ExecutableDocument>,
        operation_name: Option<&str>,
        options: &PlanOptions,
    ) -> Result<QueryPlan, String> {
        QueryPlanner::plan(self, document, operation_name, options).map_err(|e| e.to_string())
    }
}

pub type PlanResult = Arc<Result<QueryPlan, String>>;

pub struct PlanCache {
    cache: Cache<[u8; 32], PlanResult>,
}

impl PlanCache {
    pub fn new(capacity: u64) -> Self {
        Self {
            cache: Cache::new(capacity),
        }
    }

    pub fn get(
        &self,
        planner: &dyn QueryPlanning,
        query: &str,
        document: &Valid<ExecutableDocument>,
        operation_name: Option<&str>,
        options: &PlanOptions,
    ) -> PlanResult {
        let key = cache_key(query, operation_name, options);
        self.cache.get_with(key, || {
            Arc::new(planner.plan(document, operation_name, options))
        })
    }
}

fn cache_key(query: &str, operation_name: Option<&str>, options: &PlanOptions) -> [u8; 32] {
    // Every part is length-prefixed so no two different inputs hash the same bytes.
    fn part(hasher: &mut Sha256, bytes: &[u8]) {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    let mut hasher = Sha256::new();
    part(&mut hasher, query.as_bytes());
    match operation_name {
        Some(name) => {
            hasher.update([1]);
            part(&mut hasher, name.as_bytes());
        }
        None => hasher.update([0]),
    }
    for label in &options.enabled_override_labels {
        part(&mut hasher, label.as_bytes());
    }
    hasher.update([0xff]);
    for (name, value) in &options.condition_variables {
        part(&mut hasher, name.as_bytes());
        hasher.update([u8::from(*value)]);
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize);

    impl QueryPlanning for Counting {
        fn options(
            &self,
            _: &Valid<ExecutableDocument>,
            _: Option<&str>,
            _: &JsonMap,
        ) -> Result<PlanOptions, String> {
            Ok(PlanOptions::default())
        }

        fn plan(
            &self,
            _: &Valid<ExecutableDocument>,
            _: Option<&str>,
            _: &PlanOptions,
        ) -> Result<QueryPlan, String> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(QueryPlan { node: None })
        }
    }

    #[test]
    fn plans_once_per_text_operation_name_and_options() {
        let schema = apollo_compiler::Schema::parse_and_validate("type Query { a: Int }", "s")
            .expect("schema");
        let text = "query A { a } query B { a }";
        let doc = ExecutableDocument::parse_and_validate(&schema, text, "q").expect("doc");
        let planner = Counting(AtomicUsize::new(0));
        let cache = PlanCache::new(10);
        let none = PlanOptions::default();
        let mut skip = PlanOptions::default();
        skip.condition_variables.insert("s".into(), true);
        cache.get(&planner, text, &doc, Some("A"), &none);
        cache.get(&planner, text, &doc, Some("A"), &none);
        cache.get(&planner, text, &doc, Some("B"), &none);
        cache.get(&planner, text, &doc, Some("B"), &skip);
        assert_eq!(planner.0.load(Ordering::SeqCst), 3);
    }
}
