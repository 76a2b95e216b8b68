//! Node.js on PATH and npm packages in `end2end/node_modules`, for the suites that run a
//! JavaScript peer. Missing prerequisites fail loudly: a conformance check that skips itself
//! proves nothing.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The workspace root (this crate lives in `crates/natter-testkit`).
pub fn workspace_root() -> &'static Path {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    dir.parent()
        .and_then(Path::parent)
        .expect("crates/natter-testkit is two levels below the workspace root")
}

/// Where `npm ci` in end2end/ installs `package`.
fn package_dir(package: &str) -> PathBuf {
    workspace_root().join("end2end/node_modules").join(package)
}

/// Node on PATH and npm's `package` at a version starting with `version` (such as `"4.8."`)
/// in end2end/node_modules, or a panic naming `who` needs them and how to get them.
pub fn require(who: &str, package: &str, version: &str) {
    let node = std::process::Command::new("node").arg("--version").output();
    match node {
        Ok(out) if out.status.success() => {}
        other => panic!(
            "{who}: Node.js (>= 18) is needed on PATH; `node --version` gave {other:?}. \
             Install node, then run `npm ci` in end2end/."
        ),
    }
    let manifest = package_dir(package).join("package.json");
    let found = std::fs::read_to_string(&manifest)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|v| v["version"].as_str().map(str::to_owned));
    match found {
        Some(v) if v.starts_with(version) => {}
        other => panic!(
            "{who}: npm's {package} {version}x is needed in end2end/node_modules (found {other:?} \
             at {}): run `npm ci` in end2end/",
            manifest.display()
        ),
    }
}
