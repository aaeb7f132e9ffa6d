//! The `/health` report: one check per dependency that was really touched, plus the optional
//! capabilities (Workers AI, Browser Rendering) reported as configured or not.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Healthy,
    Unhealthy,
}

/// The outcome of touching one dependency (a D1 query, a KV write and read, an R2 head…).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DependencyCheck {
    pub status: CheckStatus,
    /// Milliseconds the check took.
    pub latency: f64,
    /// What failed, in words safe to show (never a raw driver error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl DependencyCheck {
    pub fn healthy(latency: f64) -> Self {
        Self {
            status: CheckStatus::Healthy,
            latency,
            error: None,
        }
    }

    pub fn unhealthy(latency: f64, error: impl Into<String>) -> Self {
        Self {
            status: CheckStatus::Unhealthy,
            latency,
            error: Some(error.into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CapabilityStatus {
    #[serde(rename = "configured")]
    Configured,
    #[serde(rename = "not configured")]
    NotConfigured,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ServiceEntry {
    Dependency(DependencyCheck),
    Capability { status: CapabilityStatus },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OverallStatus {
    Healthy,
    Degraded,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthReport {
    pub service: String,
    pub version: String,
    pub environment: String,
    pub timestamp: String,
    pub status: OverallStatus,
    pub services: BTreeMap<String, ServiceEntry>,
}

impl HealthReport {
    /// Builds the report; the service is degraded as soon as one required dependency is
    /// unhealthy. Capabilities never degrade it: they are optional by design.
    pub fn new(
        service: &str,
        version: &str,
        environment: &str,
        timestamp: String,
        services: BTreeMap<String, ServiceEntry>,
    ) -> Self {
        let degraded = services.values().any(|entry| {
            matches!(entry, ServiceEntry::Dependency(check) if check.status == CheckStatus::Unhealthy)
        });
        Self {
            service: service.to_string(),
            version: version.to_string(),
            environment: environment.to_string(),
            timestamp,
            status: if degraded {
                OverallStatus::Degraded
            } else {
                OverallStatus::Healthy
            },
            services,
        }
    }

    pub fn http_status(&self) -> u16 {
        match self.status {
            OverallStatus::Healthy => 200,
            OverallStatus::Degraded => 503,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(services: BTreeMap<String, ServiceEntry>) -> HealthReport {
        HealthReport::new(
            "api",
            "0.1.0",
            "local",
            "2026-01-01T00:00:00Z".into(),
            services,
        )
    }

    #[test]
    fn healthy_when_every_dependency_is_healthy() {
        let mut services = BTreeMap::new();
        services.insert(
            "database".into(),
            ServiceEntry::Dependency(DependencyCheck::healthy(1.5)),
        );
        services.insert(
            "ai".into(),
            ServiceEntry::Capability {
                status: CapabilityStatus::NotConfigured,
            },
        );
        let report = report(services);
        assert_eq!(report.http_status(), 200);
        assert_eq!(
            serde_json::to_value(&report).unwrap()["services"],
            json!({
                "ai": {"status": "not configured"},
                "database": {"status": "healthy", "latency": 1.5}
            })
        );
    }

    #[test]
    fn degraded_with_503_when_a_dependency_fails() {
        let mut services = BTreeMap::new();
        services.insert(
            "database".into(),
            ServiceEntry::Dependency(DependencyCheck::healthy(1.0)),
        );
        services.insert(
            "kvStore".into(),
            ServiceEntry::Dependency(DependencyCheck::unhealthy(
                3.0,
                "KV read did not return the written value",
            )),
        );
        let report = report(services);
        assert_eq!(report.status, OverallStatus::Degraded);
        assert_eq!(report.http_status(), 503);
        assert_eq!(serde_json::to_value(&report).unwrap()["status"], "degraded");
    }
}
