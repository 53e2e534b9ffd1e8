//! The kiosk's trust store against every trust-bundle test vector, on real files: an accepted
//! bundle replaces `bundle.json`; a refused one (older, same sequence, another root, damaged)
//! leaves the file byte for byte as it was, and a reload still gives the bundle in force.

use std::path::Path;

use ed25519_dalek::VerifyingKey;
use guichet_sync::TrustStore;
use serde_json::Value;

fn repo(relative: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

fn pinned_root(vectors: &Value) -> VerifyingKey {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(
        vectors["pinned_root_public_key"].as_str().unwrap(),
        &mut bytes,
    )
    .unwrap();
    VerifyingKey::from_bytes(&bytes).unwrap()
}

#[test]
fn every_bundle_vector_through_the_kiosk_trust_store() {
    let text = std::fs::read_to_string(repo("schema/test-vectors/trust-bundle-v1.json")).unwrap();
    let vectors: Value = serde_json::from_str(&text).unwrap();
    let roots = [pinned_root(&vectors)];
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 30);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bundle.json");
        let before = case["current"].as_str().map(|current| {
            let bytes = std::fs::read(repo(&format!(
                "fixtures/bundles/test-only-bundle-{current}.json"
            )))
            .unwrap();
            std::fs::write(&file, &bytes).unwrap();
            bytes
        });
        let mut store = TrustStore::load(dir.path(), &roots).unwrap();
        // A case gives its bytes as text, or as hex when they are not UTF-8.
        let offered: Vec<u8> = match case["offered"].as_str() {
            Some(text) => text.as_bytes().to_vec(),
            None => hex::decode(case["offered_hex"].as_str().unwrap()).unwrap(),
        };
        let result = store.accept(&offered, &roots);
        let expected = case["expected"].as_str().unwrap();
        match result {
            Ok(sequence) => {
                assert_eq!(expected, "ACCEPTED", "{name}");
                assert_eq!(Some(sequence), case["expected_sequence"].as_u64(), "{name}");
                assert_eq!(std::fs::read(&file).unwrap(), offered, "{name}");
            }
            Err(refusal) => {
                assert!(
                    refusal.to_string().starts_with(expected),
                    "{name}: {refusal}"
                );
                assert_eq!(std::fs::read(&file).ok(), before, "{name}: file changed");
            }
        }
        let in_force = store.bundle().map(|b| b.sequence());
        let reloaded = TrustStore::load(dir.path(), &roots).unwrap();
        assert_eq!(reloaded.bundle().map(|b| b.sequence()), in_force, "{name}");
    }
}

fn roots() -> [VerifyingKey; 1] {
    let text = std::fs::read_to_string(repo("schema/test-vectors/trust-bundle-v1.json")).unwrap();
    [pinned_root(&serde_json::from_str(&text).unwrap())]
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo(&format!(
        "fixtures/bundles/test-only-bundle-{name}.json"
    )))
    .unwrap()
}

/// A kiosk's data directory: its ledger exists (the kiosk opens it before the bundle).
fn kiosk_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    drop(
        guichet_ledger::Ledger::open(dir.path().join("ledger.sqlite3"), Default::default())
            .unwrap(),
    );
    dir
}

/// Every `bundle.json.refused-*` file in `dir`.
fn set_aside_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("bundle.json.refused-")
        })
        .collect();
    files.sort();
    files
}

/// A file edited on disk no longer verifies: the kiosk does not trust it, but it starts.
/// The file is moved aside (kept, named with the time) and the store says why.
#[test]
fn a_bundle_file_edited_on_disk_is_moved_aside_at_load_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fixture("seq2");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(dir.path().join("bundle.json"), &bytes).unwrap();
    let store = TrustStore::load(dir.path(), &roots()).unwrap();
    assert!(store.bundle().is_none());
    let set_aside = store.set_aside().expect("says why there is no bundle");
    assert!(
        matches!(set_aside.code, "BAD_SIGNATURE" | "MALFORMED"),
        "{set_aside:?}"
    );
    assert!(!dir.path().join("bundle.json").exists());
    assert_eq!(set_aside_files(dir.path()), vec![set_aside.kept_as.clone()]);
    assert_eq!(
        std::fs::read(&set_aside.kept_as).unwrap(),
        bytes,
        "kept as it was"
    );
}

/// Garbage in `bundle.json` (a disk fault) stops nothing: a good bundle offered next, by a
/// sync or an import, is installed.
#[test]
fn after_a_damaged_file_a_good_bundle_is_installed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bundle.json"), b"\0\0garbage{").unwrap();
    let roots = roots();
    let mut store = TrustStore::load(dir.path(), &roots).unwrap();
    assert_eq!(store.set_aside().unwrap().code, "MALFORMED");
    assert_eq!(store.accept(&fixture("seq1"), &roots).unwrap(), 1);
    assert!(store.set_aside().is_none());
    assert_eq!(
        std::fs::read(dir.path().join("bundle.json")).unwrap(),
        fixture("seq1")
    );
    let again = TrustStore::load(dir.path(), &roots).unwrap();
    assert_eq!(again.bundle().map(|b| b.sequence()), Some(1));
    assert!(again.set_aside().is_none());
    assert_eq!(set_aside_files(dir.path()).len(), 1);
}

/// Deleting `bundle.json` does not let an older bundle back in: the ledger kept the highest
/// sequence accepted.
#[test]
fn an_older_bundle_is_refused_after_bundle_json_is_deleted() {
    let dir = kiosk_dir();
    let roots = roots();
    let mut store = TrustStore::load(dir.path(), &roots).unwrap();
    assert_eq!(store.accept(&fixture("seq2"), &roots).unwrap(), 2);
    std::fs::remove_file(dir.path().join("bundle.json")).unwrap();
    let mut store = TrustStore::load(dir.path(), &roots).unwrap();
    assert!(store.bundle().is_none());
    let refusal = store.accept(&fixture("seq1"), &roots).unwrap_err();
    assert!(refusal.to_string().starts_with("NOT_NEWER"), "{refusal}");
    assert!(!dir.path().join("bundle.json").exists());
    // The same sequence again is no rollback: a sync (the platform's latest) reinstalls it.
    assert_eq!(store.accept(&fixture("seq2"), &roots).unwrap(), 2);
    let refusal = store.accept(&fixture("seq2"), &roots).unwrap_err();
    assert!(refusal.to_string().starts_with("NOT_NEWER"), "{refusal}");
}

/// An older bundle copied over `bundle.json` by hand is not trusted either: moved aside.
#[test]
fn an_older_bundle_put_in_place_by_hand_is_moved_aside() {
    let dir = kiosk_dir();
    let roots = roots();
    TrustStore::load(dir.path(), &roots)
        .unwrap()
        .accept(&fixture("seq2"), &roots)
        .unwrap();
    std::fs::write(dir.path().join("bundle.json"), fixture("seq1")).unwrap();
    let store = TrustStore::load(dir.path(), &roots).unwrap();
    assert!(store.bundle().is_none());
    assert_eq!(store.set_aside().unwrap().code, "NOT_NEWER");
}

/// A kiosk whose `bundle.json` was written before the ledger kept sequences (or just before
/// a crash) gets the sequence recorded at load.
#[test]
fn a_bundle_in_force_is_recorded_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let roots = roots();
    let ledger = dir.path().join("ledger.sqlite3");
    drop(guichet_ledger::Ledger::open(&ledger, Default::default()).unwrap());
    std::fs::write(dir.path().join("bundle.json"), fixture("seq2")).unwrap();
    TrustStore::load(dir.path(), &roots).unwrap();
    let recorded = guichet_ledger::Ledger::open(&ledger, Default::default())
        .unwrap()
        .highest_bundle_sequence()
        .unwrap();
    assert_eq!(recorded, Some(2));
}

/// Regression: the sync loop and a USB import each hold a `TrustStore`. A store that loaded
/// before the other accepted seq 2 must not then accept seq 1 over it.
#[test]
fn a_stale_store_cannot_write_an_older_bundle_over_a_newer_one() {
    let text = std::fs::read_to_string(repo("schema/test-vectors/trust-bundle-v1.json")).unwrap();
    let roots = [pinned_root(&serde_json::from_str(&text).unwrap())];
    let seq1 = std::fs::read(repo("fixtures/bundles/test-only-bundle-seq1.json")).unwrap();
    let seq2 = std::fs::read(repo("fixtures/bundles/test-only-bundle-seq2.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut sync_loop = TrustStore::load(dir.path(), &roots).unwrap();
    let mut usb_import = TrustStore::load(dir.path(), &roots).unwrap();
    assert_eq!(usb_import.accept(&seq2, &roots).unwrap(), 2);
    let refusal = sync_loop.accept(&seq1, &roots).unwrap_err();
    assert!(refusal.to_string().starts_with("NOT_NEWER"), "{refusal}");
    assert_eq!(std::fs::read(dir.path().join("bundle.json")).unwrap(), seq2);
    assert_eq!(sync_loop.bundle().map(|b| b.sequence()), Some(2));
}

/// Regression: enrollment installs the first bundle into a data directory that may not
/// exist yet; taking the lock must not fail there.
#[test]
fn the_first_bundle_goes_into_a_data_directory_not_made_yet() {
    let text = std::fs::read_to_string(repo("schema/test-vectors/trust-bundle-v1.json")).unwrap();
    let roots = [pinned_root(&serde_json::from_str(&text).unwrap())];
    let seq1 = std::fs::read(repo("fixtures/bundles/test-only-bundle-seq1.json")).unwrap();
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("kiosk");
    let mut store = TrustStore::load(&dir, &roots).unwrap();
    assert_eq!(store.accept(&seq1, &roots).unwrap(), 1);
    assert_eq!(std::fs::read(dir.join("bundle.json")).unwrap(), seq1);
}
