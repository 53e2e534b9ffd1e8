//! One way to write money (issue 27): the page's `euros` (`ui/js/format.js`, run by node as
//! the window's engine runs it) and the core's `Cents::text` write every amount alike, in
//! French and in English. A missing node fails the test unless `GUICHET_ALLOW_SKIP=1`.

use std::process::Command;

use guichet_core::message::Lang;
use guichet_core::Cents;
use guichet_e2e::find_on_path;
use guichet_e2e::fixtures::repo;

const AMOUNTS: [u64; 10] = [
    0,
    7,
    99,
    1_000,
    99_999,
    100_000,
    123_450,
    100_000_000,
    4_294_967_295,
    999_999_999_999,
];

#[test]
fn the_page_and_the_core_write_amounts_alike() {
    let Some(node) = find_on_path("node") else {
        if std::env::var("GUICHET_ALLOW_SKIP").as_deref() == Ok("1") {
            eprintln!("SKIPPED (GUICHET_ALLOW_SKIP=1): node is missing");
            return;
        }
        panic!("node is missing: `make setup` installs it (or set GUICHET_ALLOW_SKIP=1 to skip)");
    };
    let module = repo("ui/js/format.js");
    let script = format!(
        "import {{ euros }} from {module:?};\n\
         const amounts = {amounts:?};\n\
         for (const lang of [\"fr\", \"en\"]) for (const c of amounts) console.log(euros(c, lang));",
        module = module.display().to_string(),
        amounts = AMOUNTS,
    );
    let output = Command::new(node)
        .args(["--input-type=module", "-e", &script])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let page: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let core: Vec<String> = [Lang::Fr, Lang::En]
        .iter()
        .flat_map(|&lang| AMOUNTS.iter().map(move |&c| Cents(c).text(lang)))
        .collect();
    assert_eq!(page, core);
    assert!(core.contains(&"1 234,50 €".to_owned()), "{core:?}");
}
