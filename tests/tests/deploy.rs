//! `cargo xtask deploy` and `rollback`: the dry run lets wrangler validate every worker's
//! bundle and bindings and prints the real run's commands in order (migrations, then per
//! worker an upload and a gradual rollout with a health check after each step); a real
//! deploy refuses configs that still hold placeholder ids.

use mirubato_blackbox::{Worker, xtask};

const ORDER: [Worker; 5] = Worker::DEPLOY_ORDER;

/// The planned commands: the lines after the dry run's "would run:" marker.
fn planned(out: &str) -> Vec<&str> {
    out.lines()
        .filter_map(|line| line.strip_prefix("would run: "))
        .collect()
}

fn position(plan: &[&str], needle: &str) -> usize {
    plan.iter()
        .position(|line| line.contains(needle))
        .unwrap_or_else(|| {
            panic!(
                "no planned command contains {needle:?}:\n{}",
                plan.join("\n")
            )
        })
}

#[test]
fn dry_run_validates_every_worker_and_prints_the_gradual_rollout_in_order() {
    let (ok, out) = xtask(&[
        "deploy",
        "--env",
        "staging",
        "--dry-run",
        "--steps",
        "25,100",
    ]);
    assert!(ok, "{out}");
    for worker in Worker::ALL {
        let row = out
            .lines()
            .find(|line| line.split_whitespace().next() == Some(worker.name()))
            .unwrap_or_else(|| panic!("no size row for {}:\n{out}", worker.name()));
        let gzipped_kib: u64 = row
            .split_whitespace()
            .nth(3)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(gzipped_kib > 0, "{row}");
    }
    // wrangler bundled and validated each worker without uploading.
    assert_eq!(
        out.matches("--dry-run: exiting now.").count(),
        Worker::ALL.len(),
        "{out}"
    );
    let plan = planned(&out);
    // Migrations of every database come before the first upload.
    let first_upload = position(&plan, "versions upload");
    for database in [
        "mirubato-api-staging",
        "mirubato-scores-staging",
        "mirubato-dictionary-staging",
    ] {
        assert!(
            position(&plan, &format!("d1 migrations apply {database} --remote")) < first_upload
        );
    }
    let mut cursor = first_upload;
    for worker in ORDER {
        let script = format!("mirubato-{}-staging", worker.name());
        let config = format!("-c wrangler/{}.toml --env staging", worker.name());
        let rest = &plan[cursor..];
        let upload = rest
            .iter()
            .position(|line| line.contains("versions upload") && line.contains(&config))
            .unwrap_or_else(|| panic!("no upload of {script} after step {cursor}"));
        let new_version = format!("<new version of {script}>");
        // 25%, health check of the new version, then 100%, health check.
        let expected = [
            format!("{new_version}@25%"),
            format!("Cloudflare-Workers-Version-Overrides: {script}=\"{new_version}\""),
            format!("{new_version}@100%"),
            format!("Cloudflare-Workers-Version-Overrides: {script}=\"{new_version}\""),
        ];
        let mut at = upload;
        for needle in &expected {
            at += rest[at..]
                .iter()
                .position(|line| line.contains(needle.as_str()))
                .unwrap_or_else(|| panic!("{needle} missing after the upload of {script}"));
        }
        assert!(
            rest[upload + 1].contains("versions deploy"),
            "{}",
            rest[upload + 1]
        );
        assert!(rest[upload + 1].contains(&format!("<current version of {script}>@75%")));
        cursor += at + 1;
    }
    assert!(out.contains("dry run: validated"), "{out}");
}

#[test]
fn rollback_dry_run_returns_workers_in_reverse_order_or_just_one() {
    let (ok, out) = xtask(&["rollback", "--env", "production", "--dry-run"]);
    assert!(ok, "{out}");
    let plan = planned(&out);
    let rollbacks: Vec<&&str> = plan
        .iter()
        .filter(|line| line.contains(" rollback "))
        .collect();
    assert_eq!(rollbacks.len(), 5, "{out}");
    for (line, worker) in rollbacks.iter().zip(ORDER.iter().rev()) {
        assert!(
            line.contains(&format!(
                "-c wrangler/{}.toml --env production",
                worker.name()
            )),
            "{line}"
        );
    }
    assert_eq!(
        plan.iter().filter(|line| line.contains("/health")).count(),
        5
    );

    let (ok, out) = xtask(&[
        "rollback",
        "--env",
        "staging",
        "--worker",
        "scores",
        "--dry-run",
    ]);
    assert!(ok, "{out}");
    let plan = planned(&out);
    assert_eq!(plan.len(), 2, "{out}");
    assert!(plan[0].contains("rollback") && plan[0].contains("wrangler/scores.toml"));
    assert!(plan[1].contains("https://scores-staging.mirubato.com/health"));

    let (ok, out) = xtask(&[
        "rollback",
        "--env",
        "staging",
        "--worker",
        "nonesuch",
        "--dry-run",
    ]);
    assert!(!ok);
    assert!(out.contains("unknown worker"), "{out}");
}

#[test]
fn real_deploy_refuses_placeholder_resource_ids() {
    let (ok, out) = xtask(&["deploy", "--env", "production"]);
    assert!(!ok, "{out}");
    assert!(out.contains("REPLACE_WITH_"), "{out}");
    assert!(!out.contains("--dry-run: exiting now."), "{out}");
    assert!(!out.contains("d1 migrations apply"), "{out}");
    assert!(!out.contains("versions upload"), "{out}");
}
