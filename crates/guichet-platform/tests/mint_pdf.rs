//! Minting: the PDF is rendered with `pdftoppm` and its QR codes decoded with `zbarimg`;
//! the PNG files are decoded too. Every code must come back, and verify.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use guichet_core::{verify_offline, Area, Context, Outcome, Scope, TrustBundle};
use guichet_platform::keys::generate_key;
use guichet_platform::mint::mint;
use guichet_platform::store::MintRequest;
use jiff::civil::date;
use jiff::Timestamp;

/// Every code zbarimg reads in the images, one zbarimg run an image: a single run over several
/// images now and then missed a code that a run on its image alone reads (zbar 0.23.92).
fn zbar(paths: &[std::path::PathBuf]) -> BTreeSet<String> {
    paths
        .iter()
        .flat_map(|path| {
            let output = Command::new("zbarimg")
                .args(["--raw", "-q", "-Sdisable", "-Sqrcode.enable"])
                .arg(path)
                .output()
                .expect("zbarimg (zbar-tools) is installed");
            String::from_utf8(output.stdout)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_printed_coupon_decodes_from_the_pdf_and_the_pngs_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = common::fresh_store(common::Backend::Sqlite, dir.path())
        .await
        .unwrap();
    let root = generate_key().unwrap();
    let minter = common::seed_minter(&store, &root).await;
    let request = MintRequest {
        booklets: 2,
        coupons_per_booklet: 10,
        value_cents: 1000,
        issued_on: date(2026, 3, 1),
        valid_until: date(2026, 12, 31),
        provider: 7,
        scope: Scope::of(&[Area::A2_2, Area::A3_1]),
        zone: 33,
    };
    let out = dir.path().join("print");
    let minted = mint(
        &store,
        &request,
        "Département test",
        &out,
        |_| Ok(minter.issuer.clone()),
        Timestamp::now(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(minted.booklets.len(), 2);
    assert_eq!(minted.coupons.len(), 20);
    // Booklet 1 was minted by the seed: these are 2 and 3, serials 11..=30.
    assert_eq!(minted.booklets[0].number, 2);
    assert_eq!(minted.coupons[0].serial, 11);
    let expected: BTreeSet<String> = minted.coupons.iter().map(|c| c.code.clone()).collect();

    // zbar misses one code of a page now and then (about one run in four), a different one at
    // another resolution: each code must be read from the PDF rendered at 150 or at 300 dpi,
    // and nothing else may be read.
    let mut read = BTreeSet::new();
    for dpi in ["150", "300"] {
        let prefix = dir.path().join(format!("page-{dpi}"));
        let status = Command::new("pdftoppm")
            .args(["-r", dpi, "-png"])
            .arg(&minted.pdf)
            .arg(&prefix)
            .status()
            .expect("pdftoppm (poppler-utils) is installed");
        assert!(status.success());
        let mut pages: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("page-{dpi}-"))
            })
            .collect();
        pages.sort();
        assert_eq!(pages.len(), 2, "one page a booklet");
        read.extend(zbar(&pages));
    }
    assert_eq!(read, expected, "codes read back from the rendered PDF");

    let pngs: Vec<_> = minted.coupons.iter().map(|c| c.png.clone()).collect();
    assert_eq!(zbar(&pngs), expected, "codes read back from the PNG files");

    // The bundle must list the issuer key: publish again after minting, then verify.
    let sequence = common::publish(&store, &root).await;
    let file = store.latest_bundle().await.unwrap().unwrap();
    assert_eq!(file.0, sequence);
    let bundle = TrustBundle::open(file.1.as_bytes(), &[root.verifying_key()]).unwrap();
    for coupon in &minted.coupons {
        let verdict = verify_offline(
            coupon.code.as_bytes(),
            &Context {
                bundle: &bundle,
                today: date(2026, 6, 1),
                area: Some(Area::A2_2),
                center_zone: 33,
            },
        );
        assert_eq!(verdict.outcome, Outcome::Ok, "{}", coupon.code);
        assert_eq!(verdict.coupon.unwrap().serial, coupon.serial);
    }
}
