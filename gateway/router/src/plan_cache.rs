//! Stage: the query plan, cached by the hash of the operation text, the operation name and
//! every input that changes the plan.
use std::sync::Arc;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::validation::Valid;
use federation::plan::QueryPlan;
use moka::sync::Cache;
use sha2::{Digest, Sha256};

/// Anything that turns a validated operation into a plan (the federation planner, or a fixed
/// plan in tests).
pub trait QueryPlanning: Send + Sync {
    fn plan(
        &self,
        document: &Valid<ExecutableDocument>,
        operation_name: Option<&str>,
    ) -> Result<QueryPlan, String>;
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
    ) -> PlanResult {
        let mut hasher = Sha256::new();
        hasher.update(query.as_bytes());
        hasher.update([0]);
        // `None` and `Some("")` must not collide.
        match operation_name {
            Some(name) => {
                hasher.update([1]);
                hasher.update(name.as_bytes());
            }
            None => hasher.update([0]),
        }
        let key: [u8; 32] = hasher.finalize().into();
        self.cache
            .get_with(key, || Arc::new(planner.plan(document, operation_name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize);

    impl QueryPlanning for Counting {
        fn plan(
            &self,
            _: &Valid<ExecutableDocument>,
            _: Option<&str>,
        ) -> Result<QueryPlan, String> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(QueryPlan { node: None })
        }
    }

    #[test]
    fn plans_once_per_text_and_operation_name() {
        let schema = apollo_compiler::Schema::parse_and_validate("type Query { a: Int }", "s")
            .expect("schema");
        let doc =
            ExecutableDocument::parse_and_validate(&schema, "query A { a } query B { a }", "q")
                .expect("doc");
        let planner = Counting(AtomicUsize::new(0));
        let cache = PlanCache::new(10);
        let text = "query A { a } query B { a }";
        cache.get(&planner, text, &doc, Some("A"));
        cache.get(&planner, text, &doc, Some("A"));
        cache.get(&planner, text, &doc, Some("B"));
        assert_eq!(planner.0.load(Ordering::SeqCst), 2);
    }
}
