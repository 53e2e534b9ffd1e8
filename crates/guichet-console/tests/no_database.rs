//! The console holds no SQL and no database driver, and does not depend on the platform
//! (ARCHITECTURE.md): what it needs is the `ConsoleBackend` trait. Checked on its manifest
//! and on its sources.

use std::path::Path;

const FORBIDDEN_CRATES: [&str; 7] = [
    "rusqlite",
    "postgres",
    "tokio-postgres",
    "sqlx",
    "diesel",
    "sea-orm",
    "guichet-platform",
];

#[test]
fn the_console_depends_on_no_database_driver_nor_the_platform() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let dependencies: Vec<&str> = manifest
        .lines()
        .filter_map(|line| line.split(['=', '.', ' ']).next())
        .filter(|name| !name.is_empty() && !name.starts_with(['#', '[']))
        .collect();
    assert!(
        dependencies.contains(&"axum"),
        "the manifest was read: {dependencies:?}"
    );
    for forbidden in FORBIDDEN_CRATES {
        assert!(
            !dependencies.contains(&forbidden),
            "guichet-console depends on {forbidden}"
        );
    }
}

#[test]
fn the_console_sources_hold_no_sql() {
    let mut files = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    let mut checked = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for statement in ["SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM"] {
            assert!(
                !text.contains(statement),
                "{} holds {statement:?}",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} files read");
}
