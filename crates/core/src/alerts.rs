//! Health alerts: the api's cron reads every worker's `/health` and tells an operator's
//! webhook when a worker turns degraded or recovers — once per change, not once per run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkerState {
    Healthy,
    Degraded,
}

/// What one check of one worker found.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub state: WorkerState,
    /// Why it is degraded (the failing dependencies, or why `/health` did not answer).
    pub detail: Option<String>,
}

/// A change worth telling.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub worker: String,
    pub state: WorkerState,
    pub previous: Option<WorkerState>,
    pub detail: Option<String>,
}

/// The alerts for `current` given the states last told. A worker seen for the first time is
/// told only when it is degraded (a fresh deploy is not news).
pub fn state_changes(
    previous: &BTreeMap<String, WorkerState>,
    current: &BTreeMap<String, Observation>,
) -> Vec<Alert> {
    current
        .iter()
        .filter_map(|(worker, seen)| {
            let before = previous.get(worker).copied();
            let changed = match before {
                None => seen.state == WorkerState::Degraded,
                Some(state) => state != seen.state,
            };
            changed.then(|| Alert {
                worker: worker.clone(),
                state: seen.state,
                previous: before,
                detail: seen.detail.clone(),
            })
        })
        .collect()
}

/// The state a `/health` answer reports: degraded unless it is a 200 whose body says healthy.
pub fn observe_health(status: Option<u16>, body: Option<&Value>) -> Observation {
    let Some(status) = status else {
        return Observation {
            state: WorkerState::Degraded,
            detail: Some("health check did not answer".into()),
        };
    };
    let healthy = status == 200
        && body
            .and_then(|body| body.get("status"))
            .and_then(Value::as_str)
            == Some("healthy");
    if healthy {
        return Observation {
            state: WorkerState::Healthy,
            detail: None,
        };
    }
    let failing: Vec<String> = body
        .and_then(|body| body.get("services"))
        .and_then(Value::as_object)
        .map(|services| {
            services
                .iter()
                .filter(|(_, entry)| {
                    entry.get("status").and_then(Value::as_str) == Some("unhealthy")
                })
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default();
    Observation {
        state: WorkerState::Degraded,
        detail: Some(if failing.is_empty() {
            format!("/health answered {status}")
        } else {
            format!("unhealthy: {}", failing.join(", "))
        }),
    }
}

/// The JSON posted to `ALERT_WEBHOOK_URL`; `text` suits chat webhooks (Slack, Discord).
pub fn alert_payload(alert: &Alert, environment: &str, timestamp: &str) -> Value {
    let verb = match alert.state {
        WorkerState::Degraded => "is degraded",
        WorkerState::Healthy => "has recovered",
    };
    let detail = alert
        .detail
        .as_deref()
        .map(|detail| format!(" ({detail})"))
        .unwrap_or_default();
    json!({
        "text": format!("mirubato {environment}: {} {verb}{detail}", alert.worker),
        "worker": alert.worker,
        "status": alert.state,
        "previousStatus": alert.previous,
        "detail": alert.detail,
        "environment": environment,
        "timestamp": timestamp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(state: WorkerState) -> Observation {
        Observation {
            state,
            detail: (state == WorkerState::Degraded).then(|| "unhealthy: database".to_string()),
        }
    }

    #[test]
    fn one_alert_per_change_and_none_for_a_healthy_first_sighting() {
        let mut told = BTreeMap::new();
        let mut now = BTreeMap::from([
            ("scores".to_string(), seen(WorkerState::Healthy)),
            ("sync".to_string(), seen(WorkerState::Degraded)),
        ]);
        let alerts = state_changes(&told, &now);
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            (alerts[0].worker.as_str(), alerts[0].previous),
            ("sync", None)
        );
        told.insert("scores".to_string(), WorkerState::Healthy);
        told.insert("sync".to_string(), WorkerState::Degraded);
        assert!(
            state_changes(&told, &now).is_empty(),
            "no repeat while unchanged"
        );
        now.insert("sync".to_string(), seen(WorkerState::Healthy));
        let recovered = state_changes(&told, &now);
        assert_eq!(recovered.len(), 1);
        assert_eq!(recovered[0].state, WorkerState::Healthy);
        assert_eq!(recovered[0].previous, Some(WorkerState::Degraded));
    }

    #[test]
    fn health_answers_are_read_strictly() {
        let healthy = json!({"status": "healthy", "services": {}});
        assert_eq!(
            observe_health(Some(200), Some(&healthy)).state,
            WorkerState::Healthy
        );
        let degraded = json!({"status": "degraded", "services": {
            "database": {"status": "unhealthy"}, "kvStore": {"status": "healthy"}}});
        let seen = observe_health(Some(503), Some(&degraded));
        assert_eq!(seen.state, WorkerState::Degraded);
        assert_eq!(seen.detail.as_deref(), Some("unhealthy: database"));
        assert_eq!(observe_health(None, None).state, WorkerState::Degraded);
        assert_eq!(observe_health(Some(200), None).state, WorkerState::Degraded);
        assert_eq!(
            observe_health(Some(502), None).detail.as_deref(),
            Some("/health answered 502")
        );
    }

    #[test]
    fn payloads_say_what_happened() {
        let alert = Alert {
            worker: "dictionary".into(),
            state: WorkerState::Degraded,
            previous: Some(WorkerState::Healthy),
            detail: Some("health check did not answer".into()),
        };
        let payload = alert_payload(&alert, "production", "2026-11-23T00:00:00.000Z");
        assert_eq!(
            payload["text"],
            "mirubato production: dictionary is degraded (health check did not answer)"
        );
        assert_eq!(payload["status"], "degraded");
        assert_eq!(payload["previousStatus"], "healthy");
    }
}
