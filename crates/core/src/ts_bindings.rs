//! The web app's TypeScript types of the wire models (`frontend/src/generated/`), generated
//! with ts-rs so the app never restates them by hand. This test fails when the committed files
//! are stale; `MIRUBATO_WRITE_BINDINGS=1 cargo test -p mirubato-core --features ts ts_bindings`
//! rewrites them.

use std::path::PathBuf;

use ts_rs::{Config, TS};

use crate::preferences::{EmailFrequency, NotificationSettings, Theme, UserPreferences};
use crate::sync::protocol::{ClientFrame, ServerFrame};
use crate::user::{AuthProvider, Role, User};

fn generated_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../frontend/src/generated")
}

/// Every exported type with its TypeScript: integers are JSON numbers, not bigints.
fn bindings() -> Vec<(PathBuf, String)> {
    let cfg = Config::new().with_large_int("number");
    fn one<T: TS + 'static>(cfg: &Config) -> (PathBuf, String) {
        let name = T::ident(cfg);
        let path = T::output_path().unwrap_or_else(|| panic!("{name} has no output path"));
        let text = T::export_to_string(cfg).unwrap_or_else(|err| panic!("export {name}: {err}"));
        (path, text)
    }
    vec![
        one::<ClientFrame>(&cfg),
        one::<ServerFrame>(&cfg),
        one::<User>(&cfg),
        one::<AuthProvider>(&cfg),
        one::<Role>(&cfg),
        one::<UserPreferences>(&cfg),
        one::<NotificationSettings>(&cfg),
        one::<Theme>(&cfg),
        one::<EmailFrequency>(&cfg),
        one::<serde_json::Value>(&cfg),
    ]
}

#[test]
fn generated_typescript_is_current() {
    let dir = generated_dir();
    let write = std::env::var("MIRUBATO_WRITE_BINDINGS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (file, text) in bindings() {
        let path = dir.join(&file);
        if write {
            let parent = path.parent().unwrap_or(&dir);
            std::fs::create_dir_all(parent).expect("create frontend/src/generated");
            std::fs::write(&path, &text).expect("write a binding");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "stale TypeScript bindings in frontend/src/generated: {stale:?}; regenerate with \
         MIRUBATO_WRITE_BINDINGS=1 cargo test -p mirubato-core --features ts ts_bindings"
    );
}
