//! Progressive `@override` (join v0.4+ `overrideLabel`): which labels are on for a request.
//! `percent(N)` labels are drawn per request with probability N%; any other label is on when
//! the configuration lists it. The drawn set is a plan input, so it is part of the plan-cache
//! key (see `plan_cache`).
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default)]
pub struct OverrideLabels {
    /// `(label, percent)` for every `percent(N)` label in the supergraph.
    percentages: Vec<(String, f64)>,
    /// Custom labels switched on by configuration.
    enabled: BTreeSet<String>,
}

impl OverrideLabels {
    /// Reads every `overrideLabel` of the supergraph; `enabled` lists the custom labels to
    /// switch on.
    pub fn from_supergraph(supergraph: &federation::Supergraph, enabled: &[String]) -> Self {
        let mut percentages: Vec<(String, f64)> = Vec::new();
        for ty in supergraph.types().values() {
            for field in ty.fields.values() {
                for join in &field.joins {
                    let Some(label) = &join.override_label else {
                        continue;
                    };
                    if let Some(percent) = parse_percent(label)
                        && !percentages.iter().any(|(l, _)| l == label)
                    {
                        percentages.push((label.clone(), percent));
                    }
                }
            }
        }
        Self {
            percentages,
            enabled: enabled.iter().cloned().collect(),
        }
    }

    /// The labels that are on for one request.
    pub fn draw(&self) -> BTreeSet<String> {
        let mut on = self.enabled.clone();
        for (label, percent) in &self.percentages {
            if rand::random::<f64>() * 100.0 < *percent {
                on.insert(label.clone());
            }
        }
        on
    }
}

/// `percent(12.5)` → `12.5`.
fn parse_percent(label: &str) -> Option<f64> {
    let inner = label.strip_prefix("percent(")?.strip_suffix(')')?;
    inner
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=100.0).contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_labels_parse() {
        assert_eq!(parse_percent("percent(50)"), Some(50.0));
        assert_eq!(parse_percent("percent(12.5)"), Some(12.5));
        assert_eq!(parse_percent("percent(101)"), None);
        assert_eq!(parse_percent("beta"), None);
    }

    #[test]
    fn draws_follow_percentages_and_configuration() {
        let labels = OverrideLabels {
            percentages: vec![("percent(0)".into(), 0.0), ("percent(100)".into(), 100.0)],
            enabled: ["beta".to_string()].into_iter().collect(),
        };
        for _ in 0..20 {
            let on = labels.draw();
            assert!(on.contains("percent(100)") && on.contains("beta"));
            assert!(!on.contains("percent(0)"));
        }
    }
}
