//! Writes (or, with `--check`, verifies) every generated fixture and test-vector file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

/// Generates Guichet's TEST ONLY keys, bundles, demo coupons and test vectors.
#[derive(Parser)]
struct Args {
    /// Do not write: fail if any generated file differs from the one on disk.
    #[arg(long)]
    check: bool,
    /// The repository root (defaults to the one this crate is in).
    #[arg(long)]
    root: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let root = args
        .root
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
    let referential_path = root.join("fixtures/referential/example-referential.json");
    let referential = match std::fs::read(&referential_path) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("cannot read {}: {error}", referential_path.display());
            return ExitCode::from(2);
        }
    };
    let mut stale = Vec::new();
    for file in guichet_testdata::generate(&referential) {
        let path = root.join(&file.path);
        let current = std::fs::read(&path).ok();
        if current.as_deref() == Some(&file.bytes[..]) {
            continue;
        }
        if args.check {
            stale.push(file.path.display().to_string());
            continue;
        }
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, &file.bytes));
        if let Err(error) = written {
            eprintln!("cannot write {}: {error}", path.display());
            return ExitCode::from(2);
        }
        println!("wrote {}", file.path.display());
    }
    if stale.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "generated files differ from the generator's output (run `cargo run -p guichet-testdata`): {}",
            stale.join(", ")
        );
        ExitCode::FAILURE
    }
}
