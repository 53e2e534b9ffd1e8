//! Still-image results do not depend on the machine's load (issue 28): the still-image
//! evaluation of the fixture photos, run once on its own and once with a CPU hog on every core
//! beside it, gives every image the same steps and the same codes.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use guichet_scan::decode::{decode_frame, Attempt, DecoderConfig};
use image::GrayImage;

/// One image of the evaluation and its expected text (`None`: it holds no code).
struct Sample {
    path: PathBuf,
    image: GrayImage,
    expected: Option<String>,
}

fn samples(folder: &str) -> Vec<Sample> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/scan")
        .join(folder);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| Sample {
            image: image::open(&path).unwrap().to_luma8(),
            expected: std::fs::read_to_string(path.with_extension("txt")).ok(),
            path,
        })
        .collect()
}

/// What the still-image cascade did with one image: the codes and the attempts that read
/// them, how many attempts ran, whether the budget cut the cascade.
type Outcome = (Vec<(String, Attempt)>, usize, bool);

fn evaluate(samples: &[Sample]) -> Vec<Outcome> {
    samples
        .iter()
        .map(|s| {
            let result = decode_frame(&s.image, &DecoderConfig::still_image());
            let codes = result.codes.into_iter().map(|c| (c.text, c.attempt));
            (codes.collect(), result.attempts, result.out_of_time)
        })
        .collect()
}

/// Threads spinning on arithmetic, two per core, until dropped.
struct Hog {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<u64>>,
}

impl Hog {
    fn start() -> Hog {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..2 * cores)
            .map(|i| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    let mut x = i as u64 + 1;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..10_000 {
                            x = black_box(
                                x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1),
                            );
                        }
                    }
                    x
                })
            })
            .collect();
        Hog { stop, threads }
    }
}

impl Drop for Hog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

#[test]
fn still_image_results_are_the_same_with_a_cpu_hog_beside_them() {
    let mut all = samples("vouchers");
    all.extend(samples("no-code"));
    assert_eq!(all.len(), 106);
    let quiet = evaluate(&all);
    let loaded = {
        let _hog = Hog::start();
        evaluate(&all)
    };
    for ((sample, a), b) in all.iter().zip(&quiet).zip(&loaded) {
        assert_eq!(a, b, "{:?}", sample.path);
    }
    // And the evaluation is the one the harness reports: every voucher read, no wrong text,
    // nothing read on a code-free frame.
    for (sample, (codes, attempts, _)) in all.iter().zip(&quiet) {
        let texts: Vec<&String> = codes.iter().map(|(t, _)| t).collect();
        match &sample.expected {
            Some(text) => assert_eq!(texts, [text], "{:?}", sample.path),
            None => {
                assert!(texts.is_empty(), "{:?}", sample.path);
                // Without the finder gate a code-free image gets every attempt its budget holds.
                assert!(*attempts > 2, "{:?}", sample.path);
            }
        }
    }
}
