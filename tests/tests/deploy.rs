//! `cargo xtask deploy`: the dry run builds, measures and lets wrangler validate every
//! worker's bundle and bindings; a real deploy refuses configs that still hold placeholder ids.

use mirubato_blackbox::{Worker, xtask};

#[test]
fn dry_run_validates_every_worker_and_reports_gzipped_sizes() {
    let (ok, out) = xtask(&["deploy", "--env", "staging", "--dry-run"]);
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
        assert!(
            out.contains(&format!(
                "deploy -c wrangler/{}.toml --env staging",
                worker.name()
            )),
            "{out}"
        );
    }
    assert_eq!(
        out.matches("--dry-run: exiting now.").count(),
        Worker::ALL.len(),
        "{out}"
    );
    assert!(out.contains("dry run: validated"), "{out}");
}

#[test]
fn real_deploy_refuses_placeholder_resource_ids() {
    let (ok, out) = xtask(&["deploy", "--env", "production"]);
    assert!(!ok, "{out}");
    assert!(out.contains("REPLACE_WITH_"), "{out}");
    assert!(!out.contains("--dry-run: exiting now."), "{out}");
    assert!(!out.contains("d1 migrations apply"), "{out}");
}
