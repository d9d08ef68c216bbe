//! The `audit:` config section, typed here and validated at start.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::error::AuditError;

/// Settings of the audit subgraph.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSettings {
    /// Consumer group audit joins on the bus.
    pub consumer_group: String,
    /// This instance's consumer name within the group; every replica needs its own, stable
    /// across restarts (so a restarted replica re-reads what it had received). Defaults to
    /// `audit-<host name>`.
    pub consumer_name: Option<String>,
    pub retention: RetentionSettings,
}

/// Archiving of old entries. Entries are never deleted without being archived first.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSettings {
    /// Entries recorded more than this many days ago move to an archive file; `None` keeps
    /// everything in the database.
    pub archive_after_days: Option<u32>,
    /// Directory of the JSON-lines archive files.
    pub archive_dir: PathBuf,
    /// How often retention looks for entries to archive.
    pub check_interval_secs: u64,
    /// Most entries per archive file.
    pub max_entries_per_archive: i64,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            consumer_group: crate::consumer::CONSUMER_GROUP.to_owned(),
            consumer_name: None,
            retention: RetentionSettings::default(),
        }
    }
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            archive_after_days: None,
            archive_dir: PathBuf::from("data/audit-archive"),
            check_interval_secs: 3600,
            max_entries_per_archive: 50_000,
        }
    }
}

impl AuditSettings {
    /// Checks values serde cannot; errors name the key under `audit.`.
    pub fn validate(&self) -> Result<(), AuditError> {
        let fail = |key: &str, reason: &str| {
            Err(AuditError::Config {
                key: format!("audit.{key}"),
                reason: reason.to_owned(),
            })
        };
        if self.consumer_group.trim().is_empty() {
            return fail("consumer_group", "must not be empty");
        }
        if self
            .consumer_name
            .as_deref()
            .is_some_and(|n| n.trim().is_empty())
        {
            return fail("consumer_name", "must not be empty when set");
        }
        let retention = &self.retention;
        if retention.archive_after_days == Some(0) {
            return fail(
                "retention.archive_after_days",
                "must be at least 1 (leave it unset to keep every entry)",
            );
        }
        if retention.archive_dir.as_os_str().is_empty() {
            return fail("retention.archive_dir", "must not be empty");
        }
        if retention.check_interval_secs == 0 {
            return fail("retention.check_interval_secs", "must be at least 1");
        }
        if retention.max_entries_per_archive < 1 {
            return fail("retention.max_entries_per_archive", "must be at least 1");
        }
        Ok(())
    }

    /// The consumer name to use: the configured one, else `audit-<host name>`.
    pub fn consumer_name(&self) -> String {
        self.consumer_name.clone().unwrap_or_else(|| {
            let host = std::env::var("HOSTNAME")
                .ok()
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "local".to_owned());
            format!("audit-{host}")
        })
    }
}

impl RetentionSettings {
    pub fn check_interval(&self) -> Duration {
        Duration::from_secs(self.check_interval_secs)
    }

    /// Entries recorded before this instant (unix ms) are due for archiving, if retention is on.
    pub fn cutoff(&self, now_ms: i64) -> Option<i64> {
        self.archive_after_days
            .map(|days| now_ms.saturating_sub(i64::from(days) * 86_400_000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_keep_everything() {
        let settings = AuditSettings::default();
        settings.validate().expect("valid defaults");
        assert_eq!(settings.retention.cutoff(1_000_000_000_000), None);
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut settings = AuditSettings::default();
        settings.retention.archive_after_days = Some(0);
        let error = settings.validate().expect_err("zero days").to_string();
        assert!(
            error.contains("audit.retention.archive_after_days"),
            "{error}"
        );

        let mut settings = AuditSettings::default();
        settings.retention.check_interval_secs = 0;
        let error = settings.validate().expect_err("zero interval").to_string();
        assert!(
            error.contains("audit.retention.check_interval_secs"),
            "{error}"
        );
    }

    #[test]
    fn cutoff_is_days_before_now() {
        let settings = RetentionSettings {
            archive_after_days: Some(2),
            ..RetentionSettings::default()
        };
        assert_eq!(settings.cutoff(3 * 86_400_000), Some(86_400_000));
    }
}
