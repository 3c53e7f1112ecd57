//! The shell scripts' promises that a test can hold in a second.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// Issue 12, point 8: the `.env` that `scripts/run` writes holds a fresh JWT secret, is private
/// to its owner (mode 600) from the moment it exists, and keeps every other line of its source.
#[test]
fn the_dotenv_written_for_a_newcomer_is_private_and_holds_a_fresh_secret() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("taskdeck-dotenv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = || {
        let status = Command::new("bash")
            .arg("-c")
            .arg(r#"set -euo pipefail; source "$1/scripts/lib.sh"; cd "$2"; umask 022; write_dotenv_with_secret "$1/.env.example""#)
            .arg("bash")
            .arg(root)
            .arg(&dir)
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::read_to_string(dir.join(".env")).unwrap()
    };
    let first = write();
    let mode = std::fs::metadata(dir.join(".env"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let secrets: Vec<&str> = first
        .lines()
        .filter_map(|line| line.strip_prefix("JWT_SECRET="))
        .collect();
    assert_eq!(secrets.len(), 1, "{first}");
    assert_eq!(secrets[0].len(), 64);
    assert!(secrets[0].bytes().all(|b| b.is_ascii_hexdigit()));
    let example = std::fs::read_to_string(root.join(".env.example")).unwrap();
    let others = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|line| !line.starts_with("JWT_SECRET="))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(others(&first), others(&example));
    // Each newcomer gets a secret of their own.
    let second = write();
    assert_ne!(first, second);
    std::fs::remove_dir_all(&dir).unwrap();
}
