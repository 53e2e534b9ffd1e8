//! `guichet-signer`: the offline signer's program. Files in, files out; see the crate's doc.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use guichet_core::bundle::document::BundleDocument;
use guichet_protocol::fingerprint::root_fingerprint;
use guichet_protocol::signing::public_key_hex;
use guichet_signer::print::MintOrder;
use guichet_signer::{Error, SignerDir};

#[derive(Parser)]
#[command(
    name = "guichet-signer",
    version,
    about = "Guichet's offline signer: root and issuer keys, bundles, booklets (files only)"
)]
struct Cli {
    /// The signer directory: the root key and the issuer keys (private). Keep it on this
    /// machine, off the server and out of its backups.
    #[arg(long, default_value = "guichet-signer")]
    dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make the root key (kept if there); print its public half (for the server's
    /// `init --root-public-key`) and its fingerprint.
    Init,
    /// Make an issuer key; print its kid and public half (for `issuer-key import`).
    IssuerKey,
    /// Sign a bundle draft (`bundle draft` on the server) with the root key, after showing
    /// what it changes against the last bundle signed here.
    SignBundle {
        #[arg(long)]
        draft: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Start a root rotation: make the next root key. The next bundle signed lists the
    /// current and the next root (signed by the current), the one after lists the new root
    /// alone (signed by it); kiosks follow without enrolling again. Prints the new root's
    /// public half and the fingerprint kiosks and enrollment sheets will show once it is done.
    RootRotate,
    /// Sign and print the coupons of a mint order (`mint --order-out` on the server).
    Print {
        #[arg(long)]
        order: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

fn read(path: &PathBuf) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))
}

fn run(cli: Cli) -> Result<(), Error> {
    let dir = SignerDir::new(&cli.dir);
    match cli.command {
        Command::Init => {
            let root = dir.init()?;
            println!("{}", public_key_hex(&root));
            println!("{}", root_fingerprint(&[root]));
        }
        Command::RootRotate => {
            let next = dir.rotate_root()?;
            println!("{}", public_key_hex(&next));
            println!("{}", root_fingerprint(&[next]));
        }
        Command::IssuerKey => {
            let (kid, public) = dir.new_issuer_key()?;
            println!("{kid} {}", public_key_hex(&public));
        }
        Command::SignBundle { draft, out } => {
            let document: BundleDocument = serde_json::from_slice(&read(&draft)?)
                .map_err(|e| Error::Invalid(format!("{}: {e}", draft.display())))?;
            // The roots of a rotation under way are the signer's to set, not the server's.
            let document = dir.prepare(document)?;
            show_changes(dir.last_signed_bundle()?.as_ref(), &document);
            confirm_signature(document.sequence)?;
            dir.sign_bundle(&document, &out)?;
            println!("bundle {} signed: {}", document.sequence, out.display());
        }
        Command::Print { order, out } => {
            let order: MintOrder = serde_json::from_slice(&read(&order)?)
                .map_err(|e| Error::Invalid(format!("mint order: {e}")))?;
            let output = guichet_signer::print::print(&order, |kid| dir.issuer_key(kid), &out)?;
            println!("PDF: {}", output.pdf.display());
            println!("codes: {}", output.codes.display());
        }
    }
    Ok(())
}

/// What the draft changes against the last bundle signed here, widening changes first.
fn show_changes(previous: Option<&BundleDocument>, next: &BundleDocument) {
    match previous {
        Some(previous) => println!(
            "bundle {} (issued {}, expires {}), against bundle {} signed before:",
            next.sequence, next.issued_at, next.expires_at, previous.sequence
        ),
        None => println!(
            "bundle {} (issued {}, expires {}), the first this signer signs:",
            next.sequence, next.issued_at, next.expires_at
        ),
    }
    let changes = guichet_core::bundle::diff::changes(previous, next);
    if changes.is_empty() {
        println!("        no change but the dates");
    }
    for change in &changes {
        println!("{change}");
    }
}

/// On a terminal, the person at the signer types the bundle's sequence to sign it; a script
/// (no terminal) has been shown the same changes.
fn confirm_signature(sequence: u64) -> Result<(), Error> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Ok(());
    }
    print!("Type {sequence} to sign this bundle with the root key: ");
    std::io::stdout()
        .flush()
        .map_err(|e| Error::Io(e.to_string()))?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::Io(e.to_string()))?;
    if answer.trim() == sequence.to_string() {
        Ok(())
    } else {
        Err(Error::Invalid("not signed: nothing was written".into()))
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("guichet-signer: {e}");
            ExitCode::FAILURE
        }
    }
}
