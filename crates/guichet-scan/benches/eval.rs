//! The QR evaluation harness: every decoder on the same images, in one run.
//!
//! ```sh
//! cargo bench -p guichet-scan --bench eval
//! ```
//!
//! Sets: the qr-bench folders (`../shared/qr-bench/zxing-java/qrcode-*`, or `$QR_BENCH`), the
//! voucher photo set (`fixtures/scan/vouchers`, 1280×720) and the code-free frames
//! (`fixtures/scan/no-code`). Decoders: our cascade, the cascade without its finder gate, each
//! engine's part of it alone, plain rqrr, zxing-cpp and zbar (both in one Python process,
//! `benches/reference_decoders.py`, timing the decode call alone) and `zbarimg` (one process per
//! image, so its time includes the process start and the file decoding; its start cost is
//! printed). Images are decoded from their files to grayscale once, before timing, and decoded
//! once untimed; every in-process time is the decode call on that grayscale image. Prints one
//! Markdown table per set, what the finder gate lets through, and the video mode for the voucher
//! and code-free sets.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use guichet_scan::decode::{self, engines, gate, Attempt, Decoder, DecoderConfig, Engine};
use image::GrayImage;

#[path = "support/webcam.rs"]
mod webcam;

/// Still frames generated per level of the webcam-like set.
const WEBCAM_PER_LEVEL: usize = 40;
/// Video sequences generated.
const WEBCAM_SEQUENCES: usize = 20;

/// One image and the text it holds (`None`: it holds no code).
struct Sample {
    /// The image's file (`None`: generated at bench time, [`webcam`]).
    path: Option<PathBuf>,
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
    "  cascade without the finder gate",
    "  rxing part alone",
    "  rqrr part alone (with preprocessing)",
    "plain rqrr",
    "zxing-cpp (in-process)",
    "zbar (libzbar, in-process)",
    "zbarimg (one process per image)",
];

/// Candidate stages, each measured alone after the primary attempt (what it reads that the
/// primary attempt does not) and at the end of the cascade (what it adds to it).
const CANDIDATES: [Attempt; 2] = [Attempt::RxingSharpened, Attempt::RxingFlattened];

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
        let untimed = std::time::Duration::from_secs(60);
        for (i, &candidate) in CANDIDATES.iter().enumerate() {
            let config = DecoderConfig {
                budget: untimed,
                attempts: vec![candidate],
                finder_gate: false,
                ..DecoderConfig::default()
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
    let qr_bench = std::env::var_os("QR_BENCH")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("../shared/qr-bench"));
    let mut sets: Vec<(String, Vec<Sample>)> = Vec::new();
    let zxing_java = qr_bench.join("zxing-java");
    match sorted_entries(&zxing_java) {
        Ok(folders) => {
            for folder in folders.into_iter().filter(|f| f.is_dir()) {
                let name = format!("qr-bench {}", file_name(&folder));
                sets.push((name, load_set(&folder, "png", true)));
            }
        }
        Err(e) => eprintln!("qr-bench skipped ({}): {e}", zxing_java.display()),
    }
    sets.push((
        "vouchers".into(),
        load_set(&repo.join("fixtures/scan/vouchers"), "jpg", true),
    ));
    sets.push((
        "no code".into(),
        load_set(&repo.join("fixtures/scan/no-code"), "jpg", false),
    ));
    let codes = webcam::pn1_codes(&repo);
    for level in webcam::Level::ALL {
        let frames = webcam::still_frames(level, WEBCAM_PER_LEVEL, &codes);
        let samples: Vec<Sample> = frames.into_iter().map(Sample::generated).collect();
        let name = format!("webcam {}", level.name());
        dump(&name, &samples);
        sets.push((name, samples));
    }
    // `EVAL_SETS=webcam,no code` (parts of names) runs only the matching sets.
    if let Ok(only) = std::env::var("EVAL_SETS") {
        sets.retain(|(name, _)| only.split(',').any(|part| name.contains(part)));
    }

    let mut reference = ReferenceDecoders::start(&repo);
    let zbarimg_start_ms = zbarimg_start_cost();
    println!("zbarimg process start + 1×1 PNG: median {zbarimg_start_ms:.1} ms (included in its times)\n");

    let mut summary: Vec<SummaryRow> = Vec::new();
    let mut qr_bench_total: Vec<Tally> = DECODERS.iter().map(|_| Tally::default()).collect();
    let mut qr_bench_images = 0;
    let mut qr_bench_gate = GateTally::default();
    for (name, samples) in &sets {
        let mut tallies: Vec<Tally> = DECODERS.iter().map(|_| Tally::default()).collect();
        let mut winning_attempts: BTreeMap<String, usize> = BTreeMap::new();
        let mut panics = 0;
        let mut gate = GateTally::default();
        let mut candidates = CandidateTally::new();
        for sample in samples {
            // Untimed: the first decode of an image pays for first touching its pixels and
            // for the allocator mapping fresh pages, which would fall on whichever row ran first.
            decode::decode_frame(&sample.image, &DecoderConfig::still_image());
            let configs = [
                DecoderConfig::still_image(),
                DecoderConfig {
                    finder_gate: false,
                    ..DecoderConfig::still_image()
                },
                DecoderConfig::still_image().only(Engine::Rxing),
                DecoderConfig::still_image().only(Engine::Rqrr),
            ];
            let mut reads = [false; 3];
            for (i, config) in configs.iter().enumerate() {
                let result = decode::decode_frame(&sample.image, config);
                let texts: Vec<String> = result.codes.iter().map(|c| c.text.clone()).collect();
                if i == 0 {
                    reads[0] = sample.expected.as_ref().is_some_and(|e| texts.contains(e));
                    reads[1] = result.codes.iter().any(|c| {
                        c.attempt == Attempt::RxingFrame
                            && Some(&c.text) == sample.expected.as_ref()
                    });
                }
                tallies[i].add(sample, &texts, ms(result.elapsed));
                panics += result.panics;
                if i == 0 {
                    let winner = result.codes.first().map(|c| c.attempt);
                    *winning_attempts.entry(attempt_name(winner)).or_default() += 1;
                    gate.skipped += usize::from(result.no_finder_patterns);
                }
                if i == 1 {
                    gate.add(sample, &texts);
                }
            }
            candidates.add(sample, reads[1], reads[0]);
            let started = Instant::now();
            let plain = engines::rqrr_gray(&sample.image).unwrap_or_default();
            tallies[4].add(sample, &plain, ms(started.elapsed()));

            if let Some(reference) = reference.as_mut() {
                let answer = reference.decode(&sample.image);
                tallies[5].add(sample, &answer.zxing, answer.zxing_ms);
                tallies[6].add(sample, &answer.zbar, answer.zbar_ms);
            }
            if let Some((texts, ms)) = sample.path.as_deref().and_then(zbarimg) {
                tallies[7].add(sample, &texts, ms);
            }
        }
        print_table(name, samples.len(), &tallies);
        candidates.print();
        gate.print(samples.len());
        if !name.starts_with("qr-bench") {
            print_video_mode(samples);
            summary.push(SummaryRow::of(name, samples.len(), &tallies));
        }
        println!("cascade: winning attempt per image {winning_attempts:?}; caught decoder panics: {panics}\n");
        if name.starts_with("qr-bench") {
            qr_bench_images += samples.len();
            qr_bench_gate.merge(&gate);
            for (total, tally) in qr_bench_total.iter_mut().zip(tallies) {
                total.correct += tally.correct;
                total.wrong += tally.wrong;
                total.times_ms.extend(tally.times_ms);
            }
        }
    }
    if qr_bench_images > 0 {
        print_table("qr-bench, all folders", qr_bench_images, &qr_bench_total);
        qr_bench_gate.print(qr_bench_images);
        summary.insert(
            0,
            SummaryRow::of("qr-bench", qr_bench_images, &qr_bench_total),
        );
    }
    let video_wanted = |only: String| only.split(',').any(|part| "webcam video".contains(part));
    if std::env::var("EVAL_SETS").map_or(true, video_wanted) {
        let sequences: Vec<Vec<webcam::SynthFrame>> = (0..WEBCAM_SEQUENCES)
            .map(|i| webcam::video_sequence(i, &codes))
            .collect();
        if let Some(first) = sequences.first() {
            let samples: Vec<Sample> = first
                .iter()
                .map(|f| Sample {
                    path: None,
                    image: f.image.clone(),
                    expected: Some(f.expected.clone()),
                })
                .collect();
            dump("webcam video 0", &samples);
        }
        summary.push(webcam_video(&sequences, reference.as_mut()));
    }
    print_summary(&summary);
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
    fn generated(frame: webcam::SynthFrame) -> Sample {
        Sample {
            path: None,
            image: frame.image,
            expected: Some(frame.expected),
        }
    }
}

/// One line of the summary: our cascade, zxing-cpp and zbar on one set.
struct SummaryRow {
    set: String,
    cells: [String; 3],
}

impl SummaryRow {
    fn of(set: &str, images: usize, tallies: &[Tally]) -> SummaryRow {
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
        SummaryRow {
            set: format!("{set} ({images})"),
            cells: [cell(&tallies[0]), cell(&tallies[5]), cell(&tallies[6])],
        }
    }
}

fn print_summary(rows: &[SummaryRow]) {
    println!("### Summary: codes read (wrong texts in brackets)\n");
    println!("| set | guichet (cascade) | zxing-cpp | zbar |");
    println!("|---|---|---|---|");
    for row in rows {
        let [ours, zxing, zbar] = &row.cells;
        println!("| {} | {ours} | {zxing} | {zbar} |", row.set);
    }
    println!();
}

/// The webcam-like video sequences: each decoder on the frames of a sequence in order until
/// it reads the code. Ours is one [`Decoder`] per sequence with the camera's settings (8 ms
/// per frame), as the worker runs it; zxing-cpp and zbar decode each frame on its own (they
/// keep nothing between frames).
fn webcam_video(
    sequences: &[Vec<webcam::SynthFrame>],
    mut reference: Option<&mut ReferenceDecoders>,
) -> SummaryRow {
    #[derive(Default)]
    struct Reads {
        frames_until_read: Vec<usize>,
        wrong: usize,
    }
    impl Reads {
        fn cell(&self, sequences: usize) -> String {
            let mut f = self.frames_until_read.clone();
            f.sort_unstable();
            let median = f.get(f.len().saturating_sub(1) / 2).copied().unwrap_or(0);
            let worst = f.last().copied().unwrap_or(0);
            let wrong = if self.wrong > 0 {
                format!(", {} wrong", self.wrong)
            } else {
                String::new()
            };
            format!(
                "{}/{sequences}; frames until read: median {median}, worst {worst}{wrong}",
                f.len()
            )
        }
    }
    let mut ours = Reads::default();
    let mut zxing = Reads::default();
    let mut zbar = Reads::default();
    let mut per_frame = Tally::default();
    for frames in sequences {
        let mut decoder = Decoder::new(DecoderConfig::default());
        let (mut ours_done, mut zxing_done, mut zbar_done) = (false, false, reference.is_none());
        zxing_done |= reference.is_none();
        for (index, frame) in frames.iter().enumerate() {
            let expected = &frame.expected;
            let note = |reads: &mut Reads, done: &mut bool, texts: &[String]| {
                if texts.iter().any(|t| t != expected) {
                    reads.wrong += 1;
                }
                if !*done && texts.contains(expected) {
                    reads.frames_until_read.push(index + 1);
                    *done = true;
                }
            };
            if !ours_done {
                let result = decoder.decode(&frame.image);
                per_frame.times_ms.push(ms(result.elapsed));
                let texts: Vec<String> = result.codes.into_iter().map(|c| c.text).collect();
                note(&mut ours, &mut ours_done, &texts);
            }
            if let Some(reference) = reference.as_deref_mut() {
                if !(zxing_done && zbar_done) {
                    let answer = reference.decode(&frame.image);
                    if !zxing_done {
                        note(&mut zxing, &mut zxing_done, &answer.zxing);
                    }
                    if !zbar_done {
                        note(&mut zbar, &mut zbar_done, &answer.zbar);
                    }
                }
            }
        }
    }
    let n = sequences.len();
    println!(
        "### webcam video ({n} sequences of {} frames, the coupon moving into view)\n",
        webcam::SEQUENCE_FRAMES
    );
    println!("guichet (video mode, {} ms per frame): {}; per frame median {:.2} ms, p95 {:.2} ms, max {:.2} ms", DecoderConfig::default().budget.as_millis(), ours.cell(n), per_frame.percentile(0.5), per_frame.percentile(0.95), per_frame.percentile(1.0));
    println!("zxing-cpp (each frame alone): {}", zxing.cell(n));
    println!("zbar (each frame alone): {}\n", zbar.cell(n));
    SummaryRow {
        set: format!("webcam video ({n} sequences)"),
        cells: [ours.cell(n), zxing.cell(n), zbar.cell(n)],
    }
}

/// The finder gate ([`gate::worth_retrying`]) on every image, against what the cascade without
/// the gate reads.
#[derive(Default)]
struct GateTally {
    /// Images the gate lets through.
    passed: usize,
    /// Images the cascade without the gate reads the expected code from.
    read: usize,
    /// Of those, images the gate stops (each would be a lost read, were the primary attempt
    /// to miss it).
    read_but_stopped: usize,
    /// Images where the cascade (with the gate) skipped the retries.
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
             without it reads; the cascade skipped the retries on {}\n",
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
        "video mode ({} ms per frame): read {} of {} with codes ({} on the first frame, at worst frame {}), \
         {} not read in {VIDEO_FRAMES} frames, {} wrong; per frame median {:.2} ms, p95 {:.2} ms, max {:.2} ms; \
         retries skipped by the finder gate on {} of {} frames\n",
        DecoderConfig::default().budget.as_millis(),
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
    fn start(repo: &Path) -> Option<Self> {
        let script = repo.join("crates/guichet-scan/benches/reference_decoders.py");
        let spawned = Command::new("/usr/bin/python3")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn();
        match spawned {
            Ok(mut child) => {
                let input = child.stdin.take()?;
                let output = BufReader::new(child.stdout.take()?);
                Some(ReferenceDecoders {
                    child,
                    input,
                    output,
                })
            }
            Err(e) => {
                eprintln!("zxing-cpp and zbar skipped: {e}");
                None
            }
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
