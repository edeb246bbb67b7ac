//! Programs some tests need beyond Rust: schemathesis, Prometheus's parser, and Chromium with
//! its driver. A missing
//! one is installed on first use, so that the README's `cargo test` runs every test on a fresh
//! machine: schemathesis into a virtualenv of its own under `target/`, Chromium through apt when
//! the tests run as root. What cannot be had is said loudly by the caller, or fails it under
//! `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The version `.ci/run` installs too.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

fn works(program: &Path) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(what: &str, command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{what}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn tools_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("test-tools")
}

/// schemathesis's `st`: `CONVENE_SCHEMATHESIS`, else `st` on the PATH, else one installed
/// now into `target/test-tools/venv` (once per test run, whichever test asks first).
pub fn schemathesis() -> Result<PathBuf, String> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            if let Some(program) = std::env::var_os("CONVENE_SCHEMATHESIS") {
                let program = PathBuf::from(program);
                return if works(&program) {
                    Ok(program)
                } else {
                    Err(format!(
                        "CONVENE_SCHEMATHESIS={} does not run",
                        program.display()
                    ))
                };
            }
            let on_path = PathBuf::from("st");
            if works(&on_path) {
                return Ok(on_path);
            }
            let venv = tools_dir().join("venv");
            let st = venv.join("bin").join("st");
            if !works(&st) {
                eprintln!(
                    "\n[tools] installing {SCHEMATHESIS} into {}\n",
                    venv.display()
                );
                venv_with(&venv, SCHEMATHESIS)?;
            }
            if works(&st) {
                Ok(st)
            } else {
                Err(format!("{} does not run after installing", st.display()))
            }
        })
        .clone()
}

/// A virtualenv at `venv` with `requirement` installed in it.
fn venv_with(venv: &Path, requirement: &str) -> Result<(), String> {
    let make_venv = || {
        run(
            "python3 -m venv",
            Command::new("python3").arg("-m").arg("venv").arg(venv),
        )
    };
    if make_venv().is_err() {
        // Debian ships venv apart from Python itself.
        apt_install(&["python3", "python3-venv"])?;
        make_venv()?;
    }
    run(
        "pip install",
        Command::new(venv.join("bin").join("pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            requirement,
        ]),
    )
}

/// The Prometheus project's Python client, whose parser reads `/metrics` in the tests.
const PROMETHEUS_CLIENT: &str = "prometheus-client==0.21.1";

/// A Python that imports `prometheus_client`: the system's, else one in a virtualenv under
/// `target/test-tools/prometheus`, made now (once per test run).
pub fn prometheus_python() -> Result<PathBuf, String> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let imports = |python: &Path| {
        Command::new(python)
            .args(["-c", "import prometheus_client.parser"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    FOUND
        .get_or_init(|| {
            let system = PathBuf::from("python3");
            if imports(&system) {
                return Ok(system);
            }
            let venv = tools_dir().join("prometheus");
            let python = venv.join("bin").join("python");
            if !imports(&python) {
                eprintln!(
                    "\n[tools] installing {PROMETHEUS_CLIENT} into {}\n",
                    venv.display()
                );
                venv_with(&venv, PROMETHEUS_CLIENT)?;
            }
            if imports(&python) {
                Ok(python)
            } else {
                Err(format!(
                    "{} cannot import prometheus_client",
                    python.display()
                ))
            }
        })
        .clone()
}

/// chromedriver (Debian's `chromium-driver`, which brings `chromium`), installed through apt
/// when missing and the tests run as root.
pub fn chromedriver() -> Result<PathBuf, String> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let find = || {
        ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
    };
    FOUND
        .get_or_init(|| {
            if let Some(found) = find() {
                return Ok(found);
            }
            apt_install(&["chromium", "chromium-driver"])?;
            find().ok_or_else(|| "chromium-driver installed, but no chromedriver found".into())
        })
        .clone()
}

/// Installs Debian packages, when the tests run as root.
fn apt_install(packages: &[&str]) -> Result<(), String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !root {
        return Err(format!("not root, so apt-get cannot install {packages:?}"));
    }
    eprintln!("\n[tools] installing {packages:?} with apt-get\n");
    run(
        "apt-get update",
        Command::new("apt-get").args(["update", "-qq"]),
    )?;
    run(
        "apt-get install",
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq"])
            .args(packages),
    )
}

/// nginx (Debian's `nginx`), for the deployment test of `deploy/nginx/convene.conf`,
/// installed through apt when missing and the tests run as root.
pub fn nginx() -> Result<PathBuf, String> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let program = PathBuf::from("/usr/sbin/nginx");
    FOUND
        .get_or_init(|| {
            if !program.exists() {
                apt_install(&["nginx"])?;
            }
            if program.exists() {
                Ok(program.clone())
            } else {
                Err("nginx installed, but no /usr/sbin/nginx found".into())
            }
        })
        .clone()
}

/// pdftotext (Debian's `poppler-utils`), the independent reader of the PDFs Convene makes,
/// installed through apt when missing and the tests run as root.
pub fn pdftotext() -> Result<PathBuf, String> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let program = PathBuf::from("/usr/bin/pdftotext");
    FOUND
        .get_or_init(|| {
            if !program.exists() {
                apt_install(&["poppler-utils"])?;
            }
            if program.exists() {
                Ok(program.clone())
            } else {
                Err("poppler-utils installed, but no pdftotext found".into())
            }
        })
        .clone()
}
