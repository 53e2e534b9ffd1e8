//! The QR evaluation harness: every decoder on the same images, in one run.
//!
//! ```sh
//! cargo bench -p guichet-scan --bench eval
//! EVAL_PART=tuning cargo bench -p guichet-scan --bench eval   # one part (or held-out)
//! ```
//!
//! Two parts (issue 28). **Tuning**: the sets every threshold of the cascade was chosen on:
//! the qr-bench folders (`../shared/qr-bench/zxing-java/qrcode-*`, or `$QR_BENCH`), the voucher
//! photo set (`fixtures/scan/vouchers`, 1280×720), the code-free frames
//! (`fixtures/scan/no-code`), the webcam-like set and its video sequences from their fixed seed
//! (`support/webcam.rs`). **Held out**: the same two generators from other seeds
//! ([`HELD_OUT_SEEDS`]): voucher photos and code-free frames (`support/voucher_photos.rs`),
//! webcam-like frames at every level and video sequences; nothing was tuned on them.
//!
//! Decoders on the tuning part: our cascade (a still image: [`DecoderConfig::still_image`]),
//! the cascade with the stream's finder gate, each engine's part of it alone, plain rqrr,
//! zxing-cpp 3.1.1 and zbar (both in one Python process, `benches/reference_decoders.py`,
//! timing the decode call alone) and `zbarimg` (one process per image, so its time includes
//! the process start and the file decoding; its start cost is printed). On the held-out part:
//! our cascade, zxing-cpp, zbar. Images are decoded from their files to grayscale once, before
//! timing, and decoded once untimed; every in-process time is the decode call on that
//! grayscale image. Prints one Markdown table per set, what the finder gate lets through, the
//! video mode (8 ms per frame) for the 1280×720 sets, a stream of code-free frames, and a
//! summary per part.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use guichet_scan::decode::{self, engines, gate, Attempt, Decoder, DecoderConfig, Engine};
use image::GrayImage;

#[path = "support/voucher_photos.rs"]
mod voucher_photos;
#[path = "support/webcam.rs"]
mod webcam;

/// Still frames generated per level of the webcam-like set.
const WEBCAM_PER_LEVEL: usize = 40;
/// Video sequences generated.
const WEBCAM_SEQUENCES: usize = 20;

/// Seeds of the held-out sets (the tuning sets use each generator's own `SEED`).
const HELD_OUT_SEEDS: [u64; 2] = [0x2801, 0x2802];
/// Code-free frames per held-out voucher-generator seed.
const HELD_OUT_NO_CODE: usize = 20;

/// Which part of the evaluation a set belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Part {
    /// Thresholds were chosen on it.
    Tuning,
    /// Reported on only.
    HeldOut,
}

/// A named set of images.
struct Set {
    name: String,
    part: Part,
    samples: Vec<Sample>,
}

/// One image and the text it holds (`None`: it holds no code).
struct Sample {
    /// The image's file (`None`: generated at bench time, [`webcam`], [`voucher_photos`]).
    path: Option<PathBuf>,
    /// Its name in the tables (the file's, or the generated photo's).
    name: String,
    image: GrayImage,
    expected: Option<String>,
}

/// Images of qr-bench that hold a second, real code besides the one their `.txt` names: a
/// text starting with this prefix is that code, not a wrong text.
const KNOWN_SECOND_CODES: [(&str, &str); 1] = [("qrcode-2/16.png", "[内側QRコード]")];

/// A decoder's results on one set.
#[derive(Default)]
struct Tally {
    correct: usize,
    wrong: usize,
    /// Images zxing-cpp or zbar reads (kept in zxing-cpp's tally).
    union: usize,
    times_ms: Vec<f64>,
}

impl Tally {
    fn add(&mut self, sample: &Sample, texts: &[String], ms: f64) {
        let expected = sample.expected.as_deref();
        let second_code = |text: &str| {
            KNOWN_SECOND_CODES.iter().any(|(path, prefix)| {
                sample.path.as_ref().is_some_and(|p| p.ends_with(path)) && text.starts_with(prefix)
            })
        };
        self.times_ms.push(ms);
        if texts
            .iter()
            .any(|t| Some(t.as_str()) != expected && !second_code(t))
        {
            self.wrong += 1;
        } else if expected.is_some_and(|e| texts.iter().any(|t| t == e)) {
            self.correct += 1;
        }
    }

    fn percentile(&self, p: f64) -> f64 {
        let mut t = self.times_ms.clone();
        t.sort_by(f64::total_cmp);
        if t.is_empty() {
            return f64::NAN;
        }
        t[((t.len() - 1) as f64 * p).round() as usize]
    }
}

const DECODERS: [&str; 8] = [
    "guichet (cascade)",
    "  cascade with the stream's finder gate",
    "  rxing part alone",
    "  rqrr part alone (with preprocessing)",
    "plain rqrr",
    "zxing-cpp (in-process)",
    "zbar (libzbar, in-process)",
    "zbarimg (one process per image)",
];

/// Candidate stages, each measured alone after the primary attempt (what it reads that the
/// primary attempt does not) and at the end of the cascade (what it adds to it).
const CANDIDATES: [Attempt; 3] = [
    Attempt::RxingSharpened,
    Attempt::RxingFlattened,
    Attempt::RxingMidrange,
];

/// What the candidate stages read on one set.
#[derive(Default)]
struct CandidateTally {
    /// Per candidate: images read by the primary attempt then the candidate alone, beyond the
    /// primary attempt.
    beyond_primary: Vec<usize>,
    /// Per candidate: images the cascade with the candidate appended reads that the cascade
    /// does not.
    beyond_cascade: Vec<usize>,
    /// Per candidate: its time alone (primary attempt excluded).
    times_ms: Vec<Tally>,
    /// Per candidate: wrong texts.
    wrong: Vec<usize>,
}

impl CandidateTally {
    fn new() -> Self {
        CandidateTally {
            beyond_primary: vec![0; CANDIDATES.len()],
            beyond_cascade: vec![0; CANDIDATES.len()],
            times_ms: CANDIDATES.iter().map(|_| Tally::default()).collect(),
            wrong: vec![0; CANDIDATES.len()],
        }
    }

    /// Runs every candidate on `sample`; `primary` and `cascade` say whether those read it.
    fn add(&mut self, sample: &Sample, primary: bool, cascade: bool) {
        let Some(expected) = &sample.expected else {
            return;
        };
        for (i, &candidate) in CANDIDATES.iter().enumerate() {
            let config = DecoderConfig {
                attempts: vec![candidate],
                finder_gate: false,
                ..DecoderConfig::default().unlimited()
            };
            let result = decode::decode_frame(&sample.image, &config);
            let texts: Vec<String> = result.codes.iter().map(|c| c.text.clone()).collect();
            let wrong_before = self.times_ms[i].wrong;
            self.times_ms[i].add(sample, &texts, ms(result.elapsed));
            self.wrong[i] += self.times_ms[i].wrong - wrong_before;
            let read = texts.contains(expected);
            self.beyond_primary[i] += usize::from(read && !primary);
            self.beyond_cascade[i] += usize::from(read && !cascade);
        }
    }

    fn print(&self) {
        println!("| candidate stage | reads beyond the primary attempt | beyond the cascade | wrong | median ms | p95 ms |");
        println!("|---|---|---|---|---|---|");
        for (i, candidate) in CANDIDATES.iter().enumerate() {
            println!(
                "| {candidate:?} | {} | {} | {} | {:.2} | {:.2} |",
                self.beyond_primary[i],
                self.beyond_cascade[i],
                self.wrong[i],
                self.times_ms[i].percentile(0.5),
                self.times_ms[i].percentile(0.95)
            );
        }
        println!();
    }
}

fn main() {
    std::panic::set_hook(Box::new(|_| {})); // rqrr panics are caught and counted, not printed
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut sets = load_sets(&repo);
    // `EVAL_SETS=webcam,no code` (parts of names) runs only the matching sets, `EVAL_PART=tuning`
    // (or `held-out`) only those of one part.
    let wanted = |name: &str, part: Part| {
        part_wanted(part)
            && std::env::var("EVAL_SETS")
                .map_or(true, |only| only.split(',').any(|p| name.contains(p)))
    };
    sets.retain(|set| wanted(&set.name, set.part));

    let mut reference = ReferenceDecoders::start(&repo);
    let zbarimg_start_ms = zbarimg_start_cost();
    println!("zbarimg process start + 1×1 PNG: median {zbarimg_start_ms:.1} ms (included in its times)\n");

    let mut summary: Vec<SummaryRow> = Vec::new();
    let mut qr_bench_total: Vec<Tally> = DECODERS.iter().map(|_| Tally::default()).collect();
    let mut qr_bench_images = 0;
    let mut qr_bench_gate = GateTally::default();
    for set in &sets {
        let (name, samples) = (&set.name, &set.samples);
        let tallies = match set.part {
            Part::Tuning => {
                let (tallies, gate) = tuning_set(name, samples, reference.as_mut());
                if name.starts_with("qr-bench") {
                    qr_bench_images += samples.len();
                    qr_bench_gate.merge(&gate);
                    for (total, tally) in qr_bench_total.iter_mut().zip(&tallies) {
                        total.correct += tally.correct;
                        total.wrong += tally.wrong;
                        total.union += tally.union;
                        total.times_ms.extend(&tally.times_ms);
                    }
                    continue;
                }
                tallies
            }
            Part::HeldOut => held_out_set(name, samples, reference.as_mut()),
        };
        if is_frame_set(samples) {
            print_video_mode(samples);
        }
        summary.push(SummaryRow::of(set.part, name, samples.len(), &tallies));
    }
    if qr_bench_images > 0 {
        print_table("qr-bench, all folders", qr_bench_images, &qr_bench_total);
        qr_bench_gate.print(qr_bench_images);
        summary.insert(
            0,
            SummaryRow::of(Part::Tuning, "qr-bench", qr_bench_images, &qr_bench_total),
        );
    }
    let codes = webcam::pn1_codes(&repo);
    let videos = [(Part::Tuning, webcam::SEED)]
        .into_iter()
        .chain(HELD_OUT_SEEDS.map(|seed| (Part::HeldOut, seed)));
    for (part, seed) in videos {
        let name = match part {
            Part::Tuning => "webcam video".to_owned(),
            Part::HeldOut => format!("held-out webcam video seed {seed:#x}"),
        };
        if !wanted(&name, part) {
            continue;
        }
        let sequences: Vec<Vec<webcam::SynthFrame>> = (0..WEBCAM_SEQUENCES)
            .map(|i| match part {
                Part::Tuning => webcam::video_sequence(i, &codes),
                Part::HeldOut => webcam::video_sequence_from(seed, i, &codes),
            })
            .collect();
        if let Some(first) = sequences.first() {
            let samples: Vec<Sample> = first.iter().enumerate().map(Sample::generated).collect();
            dump(&format!("{name} 0"), &samples);
        }
        summary.push(webcam_video(part, &name, &sequences, reference.as_mut()));
    }
    let empty: Vec<&Sample> = sets
        .iter()
        .filter(|set| set.part == Part::HeldOut)
        .flat_map(|set| &set.samples)
        .filter(|s| s.expected.is_none())
        .collect();
    if !empty.is_empty() {
        print_empty_stream(&empty);
    }
    print_summary(&summary);
}

/// Whether `EVAL_PART` (`tuning` or `held-out`; unset: both) asks for `part`.
fn part_wanted(part: Part) -> bool {
    std::env::var("EVAL_PART").map_or(true, |only| match part {
        Part::Tuning => only == "tuning",
        Part::HeldOut => only == "held-out",
    })
}

/// Every set of the parts `EVAL_PART` asks for (generated ones included).
fn load_sets(repo: &Path) -> Vec<Set> {
    let tuning = |name: String, samples| Set {
        name,
        part: Part::Tuning,
        samples,
    };
    let qr_bench = std::env::var_os("QR_BENCH")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("../shared/qr-bench"));
    let mut sets = Vec::new();
    let zxing_java = qr_bench.join("zxing-java");
    match sorted_entries(&zxing_java) {
        Ok(folders) => {
            for folder in folders.into_iter().filter(|f| f.is_dir()) {
                let name = format!("qr-bench {}", file_name(&folder));
                sets.push(tuning(name, load_set(&folder, "png", true)));
            }
        }
        Err(e) => eprintln!("qr-bench skipped ({}): {e}", zxing_java.display()),
    }
    let fixtures = repo.join("fixtures/scan");
    sets.push(tuning(
        "vouchers".into(),
        load_set(&fixtures.join("vouchers"), "jpg", true),
    ));
    sets.push(tuning(
        "no code".into(),
        load_set(&fixtures.join("no-code"), "jpg", false),
    ));
    let codes = webcam::pn1_codes(repo);
    let mut webcam_sets = |part, seed, prefix: &str| {
        for level in webcam::Level::ALL {
            let frames = match part {
                Part::Tuning => webcam::still_frames(level, WEBCAM_PER_LEVEL, &codes),
                Part::HeldOut => webcam::still_frames_from(seed, level, WEBCAM_PER_LEVEL, &codes),
            };
            let samples: Vec<Sample> = frames.iter().enumerate().map(Sample::generated).collect();
            let name = format!("{prefix}webcam {}", level.name());
            let name = match part {
                Part::Tuning => name,
                Part::HeldOut => format!("{name} seed {seed:#x}"),
            };
            dump(&name, &samples);
            sets.push(Set {
                name,
                part,
                samples,
            });
        }
    };
    webcam_sets(Part::Tuning, webcam::SEED, "");
    if !part_wanted(Part::HeldOut) {
        return sets;
    }
    for seed in HELD_OUT_SEEDS {
        webcam_sets(Part::HeldOut, seed, "held-out ");
    }
    let voucher_codes = voucher_photos::pn1_codes(&repo.join("fixtures"));
    for seed in HELD_OUT_SEEDS {
        assert_ne!(
            seed,
            voucher_photos::SEED,
            "a held-out seed is the tuning set's"
        );
        let photos = voucher_photos::photo_set(seed, &voucher_codes, 10, HELD_OUT_NO_CODE);
        let (with, without): (Vec<Sample>, Vec<Sample>) = photos
            .iter()
            .map(Sample::photographed)
            .partition(|s| s.expected.is_some());
        for (kind, samples) in [("vouchers", with), ("no code (voucher generator)", without)] {
            let name = format!("held-out {kind} seed {seed:#x}");
            dump(&name, &samples);
            sets.push(Set {
                name,
                part: Part::HeldOut,
                samples,
            });
        }
    }
    sets
}

/// Whether a set is camera frames (1280×720), which get the video mode too.
fn is_frame_set(samples: &[Sample]) -> bool {
    samples
        .iter()
        .all(|s| (s.image.width(), s.image.height()) == (webcam::WIDTH, webcam::HEIGHT))
}

/// A tuning set: every decoder, the candidate stages, the finder gate. Returns the tallies.
fn tuning_set(
    name: &str,
    samples: &[Sample],
    mut reference: Option<&mut ReferenceDecoders>,
) -> (Vec<Tally>, GateTally) {
    let mut tallies: Vec<Tally> = DECODERS.iter().map(|_| Tally::default()).collect();
    let mut winning_attempts: BTreeMap<String, usize> = BTreeMap::new();
    let mut panics = 0;
    let mut gate = GateTally::default();
    let mut candidates = CandidateTally::new();
    let mut missed = Vec::new();
    for sample in samples {
        // Untimed: the first decode of an image pays for first touching its pixels and
        // for the allocator mapping fresh pages, which would fall on whichever row ran first.
        decode::decode_frame(&sample.image, &DecoderConfig::still_image());
        let configs = [
            DecoderConfig::still_image(),
            DecoderConfig {
                finder_gate: true,
                ..DecoderConfig::still_image()
            },
            DecoderConfig::still_image().only(Engine::Rxing),
            DecoderConfig::still_image().only(Engine::Rqrr),
        ];
        let mut reads = [false; 2];
        for (i, config) in configs.iter().enumerate() {
            let result = decode::decode_frame(&sample.image, config);
            let texts: Vec<String> = result.codes.iter().map(|c| c.text.clone()).collect();
            tallies[i].add(sample, &texts, ms(result.elapsed));
            panics += result.panics;
            if i == 0 {
                reads[0] = sample.expected.as_ref().is_some_and(|e| texts.contains(e));
                reads[1] = result.codes.iter().any(|c| {
                    c.attempt == Attempt::RxingFrame && Some(&c.text) == sample.expected.as_ref()
                });
                let winner = result.codes.first().map(|c| c.attempt);
                *winning_attempts.entry(attempt_name(winner)).or_default() += 1;
                gate.add(sample, &texts);
            }
            if i == 1 {
                gate.skipped += usize::from(result.no_finder_patterns);
            }
        }
        candidates.add(sample, reads[1], reads[0]);
        let started = Instant::now();
        let plain = engines::rqrr_gray(&sample.image).unwrap_or_default();
        tallies[4].add(sample, &plain, ms(started.elapsed()));

        if let Some(reference) = reference.as_deref_mut() {
            let answer = reference.decode(&sample.image);
            tallies[5].add(sample, &answer.zxing, answer.zxing_ms);
            tallies[6].add(sample, &answer.zbar, answer.zbar_ms);
            let union = [answer.zxing, answer.zbar].concat();
            let union_reads = reads_expected(sample, &union);
            tallies[5].union += usize::from(union_reads);
            if union_reads && !reads[0] {
                missed.push(sample.name.clone());
            }
        }
        if let Some((texts, ms)) = sample.path.as_deref().and_then(zbarimg) {
            tallies[7].add(sample, &texts, ms);
        }
    }
    print_table(name, samples.len(), &tallies);
    candidates.print();
    gate.print(samples.len());
    println!(
        "cascade: winning attempt per image {winning_attempts:?}; caught decoder panics: {panics}; \
         read by zxing-cpp or zbar, not by the cascade: {missed:?}\n"
    );
    (tallies, gate)
}

/// A held-out set: our cascade, zxing-cpp and zbar (rows 0, 5 and 6 of the tallies).
fn held_out_set(
    name: &str,
    samples: &[Sample],
    mut reference: Option<&mut ReferenceDecoders>,
) -> Vec<Tally> {
    let mut tallies: Vec<Tally> = DECODERS.iter().map(|_| Tally::default()).collect();
    let mut winning_attempts: BTreeMap<String, usize> = BTreeMap::new();
    let mut missed = Vec::new();
    for sample in samples {
        decode::decode_frame(&sample.image, &DecoderConfig::still_image());
        let result = decode::decode_frame(&sample.image, &DecoderConfig::still_image());
        let texts: Vec<String> = result.codes.iter().map(|c| c.text.clone()).collect();
        tallies[0].add(sample, &texts, ms(result.elapsed));
        let winner = result.codes.first().map(|c| c.attempt);
        *winning_attempts.entry(attempt_name(winner)).or_default() += 1;
        if let Some(reference) = reference.as_deref_mut() {
            let answer = reference.decode(&sample.image);
            tallies[5].add(sample, &answer.zxing, answer.zxing_ms);
            tallies[6].add(sample, &answer.zbar, answer.zbar_ms);
            let union = [answer.zxing, answer.zbar].concat();
            let union_reads = reads_expected(sample, &union);
            tallies[5].union += usize::from(union_reads);
            if union_reads && !reads_expected(sample, &texts) {
                missed.push(sample.name.clone());
            }
        }
    }
    print_table(name, samples.len(), &tallies);
    println!(
        "cascade: winning attempt per image {winning_attempts:?}; read by zxing-cpp or zbar, not by the cascade: {missed:?}\n"
    );
    tallies
}

/// Whether `texts` holds the sample's expected text.
fn reads_expected(sample: &Sample, texts: &[String]) -> bool {
    sample.expected.as_ref().is_some_and(|e| texts.contains(e))
}

/// A camera with nothing in view: one [`Decoder`] with the camera's settings on the code-free
/// frames in turn, as many rounds as make 300 frames; the time of each frame.
fn print_empty_stream(frames: &[&Sample]) {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut times = Tally::default();
    let mut read = 0;
    for sample in frames.iter().cycle().take(300) {
        let result = decoder.decode(&sample.image);
        times.times_ms.push(ms(result.elapsed));
        read += usize::from(!result.codes.is_empty());
    }
    println!(
        "### Code-free stream (held out: {} frames in turn, 300 frames, one decoder, {:?} per frame)\n\n\
         per frame median {:.2} ms, p95 {:.2} ms, max {:.2} ms; frames with a code read: {read}\n",
        frames.len(),
        DecoderConfig::default().budget,
        times.percentile(0.5),
        times.percentile(0.95),
        times.percentile(1.0),
    );
}

/// `EVAL_DUMP=DIR` writes a generated set's frames there as PNG, with their texts, to look at
/// them or give them to another decoder.
fn dump(name: &str, samples: &[Sample]) {
    let Some(root) = std::env::var_os("EVAL_DUMP") else {
        return;
    };
    let dir = Path::new(&root).join(name.replace(' ', "-"));
    std::fs::create_dir_all(&dir).expect("create the dump folder");
    for (i, sample) in samples.iter().enumerate() {
        sample
            .image
            .save(dir.join(format!("{i:03}.png")))
            .expect("write a frame");
        let text = sample.expected.as_deref().unwrap_or_default();
        std::fs::write(dir.join(format!("{i:03}.txt")), text).expect("write a text");
    }
}

impl Sample {
    /// Frame `index` of a generated set.
    fn generated((index, frame): (usize, &webcam::SynthFrame)) -> Sample {
        Sample {
            path: None,
            name: format!("{index:03}"),
            image: frame.image.clone(),
            expected: Some(frame.expected.clone()),
        }
    }

    /// A generated photo as a decoder sees its file: the JPEG decoded, in grayscale.
    fn photographed(photo: &voucher_photos::Photo) -> Sample {
        let bytes = voucher_photos::jpeg(&photo.image, photo.quality);
        let image = image::load_from_memory(&bytes)
            .expect("decode the generated JPEG")
            .to_luma8();
        Sample {
            path: None,
            name: photo.stem.clone(),
            image,
            expected: photo.text.clone(),
        }
    }
}

/// One line of the summary: our cascade, zxing-cpp, zbar and either of them on one set.
struct SummaryRow {
    part: Part,
    set: String,
    cells: [String; 4],
}

impl SummaryRow {
    fn of(part: Part, set: &str, images: usize, tallies: &[Tally]) -> SummaryRow {
        let cell = |t: &Tally| {
            if t.times_ms.is_empty() {
                return "not run".to_owned();
            }
            let wrong = if t.wrong > 0 {
                format!(" ({} wrong)", t.wrong)
            } else {
                String::new()
            };
            format!("{}{wrong}", t.correct)
        };
        let union = if tallies[5].times_ms.is_empty() {
            "not run".to_owned()
        } else {
            tallies[5].union.to_string()
        };
        SummaryRow {
            part,
            set: format!("{set} ({images})"),
            cells: [
                cell(&tallies[0]),
                cell(&tallies[5]),
                cell(&tallies[6]),
                union,
            ],
        }
    }
}

fn print_summary(rows: &[SummaryRow]) {
    for (part, title) in [
        (Part::Tuning, "tuning part"),
        (Part::HeldOut, "held-out part"),
    ] {
        println!("### Summary, {title}: codes read (wrong texts in brackets)\n");
        println!("| set | guichet (cascade) | zxing-cpp 3.1.1 | zbar | zxing-cpp or zbar |");
        println!("|---|---|---|---|---|");
        for row in rows.iter().filter(|r| r.part == part) {
            let [ours, zxing, zbar, union] = &row.cells;
            println!("| {} | {ours} | {zxing} | {zbar} | {union} |", row.set);
        }
        println!();
    }
}

/// The webcam-like video sequences: each decoder on the frames of a sequence in order until
/// it reads the code. Ours is one [`Decoder`] per sequence with the camera's settings (8 ms
/// per frame), as the worker runs it; zxing-cpp and zbar decode each frame on its own (they
/// keep nothing between frames). Also counts the sequences zxing-cpp reads in fewer frames
/// than ours (or that ours does not read).
fn webcam_video(
    part: Part,
    name: &str,
    sequences: &[Vec<webcam::SynthFrame>],
    mut reference: Option<&mut ReferenceDecoders>,
) -> SummaryRow {
    /// Per sequence, the frame (from 1) at which a decoder first read the code.
    #[derive(Default)]
    struct Reads {
        read_at: Vec<Option<usize>>,
        wrong: usize,
    }
    impl Reads {
        fn cell(&self) -> String {
            let mut f: Vec<usize> = self.read_at.iter().flatten().copied().collect();
            f.sort_unstable();
            let median = f.get(f.len().saturating_sub(1) / 2).copied().unwrap_or(0);
            let worst = f.last().copied().unwrap_or(0);
            let wrong = if self.wrong > 0 {
                format!(", {} wrong", self.wrong)
            } else {
                String::new()
            };
            format!(
                "{}/{}; frames until read: median {median}, worst {worst}{wrong}",
                f.len(),
                self.read_at.len()
            )
        }
    }
    let mut ours = Reads::default();
    let mut zxing = Reads::default();
    let mut zbar = Reads::default();
    let mut per_frame = Tally::default();
    for frames in sequences {
        let mut decoder = Decoder::new(DecoderConfig::default());
        let (mut ours_at, mut zxing_at, mut zbar_at) = (None, None, None);
        for (index, frame) in frames.iter().enumerate() {
            let expected = &frame.expected;
            let note = |reads: &mut Reads, at: &mut Option<usize>, texts: &[String]| {
                if texts.iter().any(|t| t != expected) {
                    reads.wrong += 1;
                }
                if at.is_none() && texts.contains(expected) {
                    *at = Some(index + 1);
                }
            };
            if ours_at.is_none() {
                let result = decoder.decode(&frame.image);
                per_frame.times_ms.push(ms(result.elapsed));
                let texts: Vec<String> = result.codes.into_iter().map(|c| c.text).collect();
                note(&mut ours, &mut ours_at, &texts);
            }
            if let Some(reference) = reference.as_deref_mut() {
                if zxing_at.is_none() || zbar_at.is_none() {
                    let answer = reference.decode(&frame.image);
                    if zxing_at.is_none() {
                        note(&mut zxing, &mut zxing_at, &answer.zxing);
                    }
                    if zbar_at.is_none() {
                        note(&mut zbar, &mut zbar_at, &answer.zbar);
                    }
                }
            }
        }
        ours.read_at.push(ours_at);
        zxing.read_at.push(zxing_at);
        zbar.read_at.push(zbar_at);
    }
    let behind: Vec<usize> = (0..sequences.len())
        .filter(|&i| match (ours.read_at[i], zxing.read_at[i]) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(o), Some(z)) => o > z,
        })
        .collect();
    println!(
        "### {name} ({} sequences of {} frames, the coupon moving into view)\n",
        sequences.len(),
        webcam::SEQUENCE_FRAMES
    );
    println!(
        "guichet (video mode, {:?} per frame): {}; per frame median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        DecoderConfig::default().budget,
        ours.cell(),
        per_frame.percentile(0.5),
        per_frame.percentile(0.95),
        per_frame.percentile(1.0)
    );
    println!("zxing-cpp (each frame alone): {}", zxing.cell());
    println!("zbar (each frame alone): {}", zbar.cell());
    println!(
        "sequences zxing-cpp reads in fewer frames than guichet (or guichet not at all): {behind:?}\n"
    );
    let union = (0..sequences.len())
        .filter(|&i| zxing.read_at[i].is_some() || zbar.read_at[i].is_some())
        .count();
    SummaryRow {
        part,
        set: format!("{name} ({} sequences)", sequences.len()),
        cells: [
            format!("{}; behind zxing-cpp on {}", ours.cell(), behind.len()),
            zxing.cell(),
            zbar.cell(),
            union.to_string(),
        ],
    }
}

/// The finder gate ([`gate::worth_retrying`]) on every image, against what the cascade without
/// the gate reads.
#[derive(Default)]
struct GateTally {
    /// Images the gate lets through.
    passed: usize,
    /// Images the cascade (still image: no gate) reads the expected code from.
    read: usize,
    /// Of those, images the gate stops (each would be a lost read, were the primary attempt
    /// to miss it).
    read_but_stopped: usize,
    /// Images where the cascade with the gate stopped the retries (only the sharpened one and
    /// one in turn ran).
    skipped: usize,
}

impl GateTally {
    fn add(&mut self, sample: &Sample, texts_without_gate: &[String]) {
        let passed = gate::worth_retrying(&sample.image, DecoderConfig::default().max_side);
        let read = sample
            .expected
            .as_ref()
            .is_some_and(|e| texts_without_gate.contains(e));
        self.passed += usize::from(passed);
        self.read += usize::from(read);
        self.read_but_stopped += usize::from(read && !passed);
    }

    fn merge(&mut self, other: &GateTally) {
        self.passed += other.passed;
        self.read += other.read;
        self.read_but_stopped += other.read_but_stopped;
        self.skipped += other.skipped;
    }

    fn print(&self, images: usize) {
        println!(
            "finder gate: lets {} of {images} images through; stops {} of the {} the cascade \
             (no gate) reads; the cascade with the gate stopped the retries on {}\n",
            self.passed, self.read_but_stopped, self.read, self.skipped
        );
    }
}

/// Video mode: each image shown for up to `VIDEO_FRAMES` frames to a fresh [`Decoder`] with
/// the default (per-frame) budget, as the worker does with a camera.
fn print_video_mode(samples: &[Sample]) {
    const VIDEO_FRAMES: usize = 10;
    let mut frames_to_read = Vec::new();
    let mut unread = 0;
    let mut wrong = 0;
    let mut per_frame = Tally::default();
    let mut skipped = 0;
    for sample in samples {
        let mut decoder = Decoder::new(DecoderConfig::default());
        let mut read_at = None;
        for frame in 1..=VIDEO_FRAMES {
            let result = decoder.decode(&sample.image);
            per_frame.times_ms.push(ms(result.elapsed));
            skipped += usize::from(result.no_finder_patterns);
            if result
                .codes
                .iter()
                .any(|c| Some(&c.text) != sample.expected.as_ref())
            {
                wrong += 1;
            }
            if !result.codes.is_empty() {
                read_at = Some(frame);
                break;
            }
        }
        match read_at {
            Some(frame) => frames_to_read.push(frame),
            None if sample.expected.is_some() => unread += 1,
            None => {}
        }
    }
    let read_in_first = frames_to_read.iter().filter(|&&f| f == 1).count();
    let slowest = frames_to_read.iter().max().copied().unwrap_or(0);
    println!(
        "video mode ({:?} per frame): read {} of {} with codes ({} on the first frame, at worst frame {}), \
         {} not read in {VIDEO_FRAMES} frames, {} wrong; per frame median {:.2} ms, p95 {:.2} ms, max {:.2} ms; \
         retries skipped by the finder gate on {} of {} frames\n",
        DecoderConfig::default().budget,
        frames_to_read.len(),
        samples.iter().filter(|s| s.expected.is_some()).count(),
        read_in_first,
        slowest,
        unread,
        wrong,
        per_frame.percentile(0.5),
        per_frame.percentile(0.95),
        per_frame.percentile(1.0),
        skipped,
        per_frame.times_ms.len(),
    );
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn attempt_name(attempt: Option<Attempt>) -> String {
    attempt.map_or_else(|| "none".into(), |a| format!("{a:?}"))
}

fn print_table(name: &str, images: usize, tallies: &[Tally]) {
    println!("### {name} ({images} images)\n");
    println!("| decoder | decoded correctly | wrong texts | median ms | p95 ms |");
    println!("|---|---|---|---|---|");
    for (decoder, tally) in DECODERS.iter().zip(tallies) {
        if tally.times_ms.is_empty() {
            println!("| {} | not run | | | |", decoder.trim());
            continue;
        }
        println!(
            "| {} | {}/{} | {} | {:.2} | {:.2} |",
            decoder.trim(),
            tally.correct,
            images,
            tally.wrong,
            tally.percentile(0.5),
            tally.percentile(0.95)
        );
    }
    println!();
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The images with extension `ext` in `dir`, with their expected `.txt` when `with_text`.
fn load_set(dir: &Path, ext: &str, with_text: bool) -> Vec<Sample> {
    let entries = sorted_entries(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|path| {
            let image = image::open(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .to_luma8();
            let expected = with_text.then(|| {
                std::fs::read_to_string(path.with_extension("txt"))
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            });
            Sample {
                name: file_name(&path),
                path: Some(path),
                image,
                expected,
            }
        })
        .collect()
}

/// The Python process running zxing-cpp and libzbar.
struct ReferenceDecoders {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

#[derive(serde::Deserialize)]
struct ReferenceAnswer {
    zxing: Vec<String>,
    zxing_ms: f64,
    zbar: Vec<String>,
    zbar_ms: f64,
}

impl ReferenceDecoders {
    /// Starts the Python process (`$EVAL_PYTHON`, by default `python3`) and waits for its
    /// first line. Without it the run stops, unless `GUICHET_ALLOW_SKIP=1` (then the
    /// reference columns say "not run").
    fn start(repo: &Path) -> Option<Self> {
        let script = repo.join("crates/guichet-scan/benches/reference_decoders.py");
        let python = std::env::var_os("EVAL_PYTHON").unwrap_or_else(|| "python3".into());
        let started = Command::new(&python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())
            .and_then(|mut child| {
                let input = child.stdin.take().ok_or("no stdin")?;
                let mut output = BufReader::new(child.stdout.take().ok_or("no stdout")?);
                let mut ready = String::new();
                output.read_line(&mut ready).map_err(|e| e.to_string())?;
                let ready: serde_json::Value = serde_json::from_str(&ready)
                    .map_err(|e| format!("{e} (see its error above)"))?;
                println!("reference decoders: {}\n", ready["ready"]);
                Ok(ReferenceDecoders {
                    child,
                    input,
                    output,
                })
            });
        match started {
            Ok(reference) => Some(reference),
            Err(e) if std::env::var("GUICHET_ALLOW_SKIP").is_ok_and(|v| v == "1") => {
                eprintln!("zxing-cpp and zbar skipped (GUICHET_ALLOW_SKIP=1): {e}");
                None
            }
            Err(e) => panic!(
                "the reference decoders did not start ({python:?}): {e}; \
                 `python3 -m pip install zxing-cpp==3.1.1 numpy` (make setup)"
            ),
        }
    }

    fn decode(&mut self, image: &GrayImage) -> ReferenceAnswer {
        let mut frame = Vec::with_capacity(8 + image.as_raw().len());
        frame.extend(image.width().to_le_bytes());
        frame.extend(image.height().to_le_bytes());
        frame.extend(image.as_raw());
        self.input
            .write_all(&frame)
            .expect("send a frame to the reference decoders");
        self.input.flush().expect("flush");
        let mut line = String::new();
        self.output
            .read_line(&mut line)
            .expect("read the reference decoders' answer");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("reference decoders: {e}: {line:?}"))
    }
}

impl Drop for ReferenceDecoders {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `zbarimg` on one file, QR only: its texts and its wall time (process included).
fn zbarimg(path: &Path) -> Option<(Vec<String>, f64)> {
    let started = Instant::now();
    let output = Command::new("zbarimg")
        .args(["-q", "--xml", "-Sdisable", "-Sqrcode.enable"])
        .arg(path)
        .output()
        .ok()?;
    let elapsed = ms(started.elapsed());
    // The XML form keeps multi-line texts and several symbols apart: one CDATA per symbol.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let texts = stdout
        .split("<data><![CDATA[")
        .skip(1)
        .filter_map(|rest| {
            rest.split_once("]]></data>")
                .map(|(text, _)| text.to_owned())
        })
        .collect();
    Some((texts, elapsed))
}

/// The median wall time of `zbarimg` on a 1×1 image: what starting the process costs.
fn zbarimg_start_cost() -> f64 {
    let path = std::env::temp_dir().join(format!("guichet-eval-blank-{}.png", std::process::id()));
    if GrayImage::new(1, 1).save(&path).is_err() {
        return f64::NAN;
    }
    let mut tally = Tally::default();
    for _ in 0..10 {
        if let Some((_, ms)) = zbarimg(&path) {
            tally.times_ms.push(ms);
        }
    }
    let _ = std::fs::remove_file(&path);
    tally.percentile(0.5)
}
