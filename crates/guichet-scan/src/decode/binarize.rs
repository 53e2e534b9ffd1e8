//! The black matrix of rxing's local-block binarizer (`HybridBinarizer`), bit for bit, in a
//! fraction of the time.
//!
//! On a 1280×720 frame without a code, rxing's QR reader spent nearly all its time in
//! `HybridBinarizer` (`docs/scanning.md`), which sets each black pixel with its own
//! bounds-checked call behind a data-dependent branch: slowest on noisy frames, where the branch
//! cannot be predicted. This port computes the same 8×8 block black points and 5×5-block
//! thresholds, then writes each row 64 pixels at a time without branching (0.4–0.6 ms against
//! 1.9 ms, 4 ms on sensor noise). Frames smaller than 40 pixels on a side get rxing's
//! global-histogram matrix, as with `HybridBinarizer`. The unit tests compare both matrices on
//! photos and random frames, the fuzz target `binarize` on any frame.
//!
//! Every build uses the port: the tests run the code the app ships (the dev profile compiles
//! `guichet-scan` optimised, see the workspace's `Cargo.toml`).
//!
//! Ported from rxing's `HybridBinarizer` (<https://github.com/rxing-core/rxing>, Apache-2.0),
//! itself a port of ZXing's (<https://github.com/zxing/zxing>, Apache-2.0, Copyright 2009
//! ZXing authors); see `NOTICE`.

use image::GrayImage;
use rxing::common::{BitArray, BitMatrix, HybridBinarizer, Result};
use rxing::{Binarizer, Luma8Source};

/// Side of the square blocks whose black points are estimated.
const BLOCK: usize = 8;
/// Smaller frames are binarized with one global threshold.
const MIN_SIDE: usize = BLOCK * 5;
/// A block whose levels span at most this much is taken as flat (no edge inside).
const MIN_DYNAMIC_RANGE: u8 = 24;
/// Bits in one word of an rxing bit row.
const WORD_BITS: usize = usize::BITS as usize;

/// The black matrix rxing's `HybridBinarizer` gives for `image` (`None` for an empty image or
/// one rxing cannot binarize), computed by [`ported_black_matrix`].
pub fn black_matrix(image: &GrayImage) -> Option<BitMatrix> {
    ported_black_matrix(image)
}

/// The black matrix computed by this port (rxing's global-histogram binarizer below 40 pixels
/// on a side, as `HybridBinarizer` does).
pub fn ported_black_matrix(image: &GrayImage) -> Option<BitMatrix> {
    let (width, height) = (image.width() as usize, image.height() as usize);
    if width < MIN_SIDE || height < MIN_SIDE {
        return rxing_black_matrix(image);
    }
    block_matrix(image.as_raw(), width, height).ok()
}

/// The black matrix computed by rxing's `HybridBinarizer`.
pub fn rxing_black_matrix(image: &GrayImage) -> Option<BitMatrix> {
    if image.width() == 0 || image.height() == 0 {
        return None;
    }
    let source = Luma8Source::new_with_slice(image.as_raw(), image.width(), image.height());
    HybridBinarizer::new(source.ok()?)
        .get_black_matrix()
        .ok()
        .cloned()
}

/// The black matrix: a pixel is black when it is at most its block's threshold.
///
/// `HybridBinarizer` shifts the last block of a row or column inwards when the side is not a
/// multiple of 8, so that it overlaps its neighbour, and thresholds both; the two share one
/// threshold (each averages the same 5×5 blocks, the window being clamped to the frame), so
/// each pixel can simply take the threshold of the block its coordinates fall in.
fn block_matrix(luminances: &[u8], width: usize, height: usize) -> Result<BitMatrix> {
    let (blocks_x, blocks_y) = (width.div_ceil(BLOCK), height.div_ceil(BLOCK));
    let thresholds = block_thresholds(
        &black_points(luminances, width, height, blocks_x, blocks_y),
        blocks_x,
        blocks_y,
    );
    threshold_matrix(luminances, width, height, &thresholds, blocks_x)
}

/// The black matrix of zxing-cpp's local binarizer as it is since zxing-cpp 2.3 (its
/// `HybridBinarizer`, "LocalAverage", which zxing-cpp 3.1.1 uses by default): each 8×8 block's
/// threshold is the middle of its darkest and lightest levels (none for a flat block, whose
/// levels span at most 24), smoothed over the 5×5 blocks around it (the block itself counted
/// three times, blocks without a threshold not counted), and a region of flat blocks takes the
/// next block's threshold. A blurred edge is cut halfway between dark and light, where a sharp
/// edge was, so the 1:1:3:1:1 widths of a blurred finder pattern survive; `HybridBinarizer`'s
/// block means lean towards the level that fills more of the block (the dark centre of a
/// finder pattern, the light paper around it). Frames smaller than 40 pixels on a side get
/// rxing's global-histogram matrix, as with [`black_matrix`]. (zxing-cpp thresholds the last,
/// overlapping block of a row or column whose side is not a multiple of 8 over its neighbour;
/// here each pixel keeps the threshold of the block its coordinates fall in.)
pub fn midrange_black_matrix(image: &GrayImage) -> Option<BitMatrix> {
    let (width, height) = (image.width() as usize, image.height() as usize);
    if width < MIN_SIDE || height < MIN_SIDE {
        return rxing_black_matrix(image);
    }
    let luminances = image.as_raw();
    let (blocks_x, blocks_y) = (width.div_ceil(BLOCK), height.div_ceil(BLOCK));
    let thresholds = midrange_thresholds(luminances, width, height, blocks_x, blocks_y);
    threshold_matrix(luminances, width, height, &thresholds, blocks_x).ok()
}

/// A pixel is black when it is at most the threshold of the block it falls in.
fn threshold_matrix(
    luminances: &[u8],
    width: usize,
    height: usize,
    thresholds: &[u8],
    blocks_x: usize,
) -> Result<BitMatrix> {
    let mut matrix = BitMatrix::new(width as u32, height as u32)?;
    let mut bits = BitArray::with_size(width);
    let mut row_thresholds = vec![0u8; width];
    for (y, pixels) in luminances.chunks_exact(width).take(height).enumerate() {
        if y % BLOCK == 0 {
            let blocks = &thresholds[(y / BLOCK) * blocks_x..][..blocks_x];
            for (columns, &threshold) in row_thresholds.chunks_mut(BLOCK).zip(blocks) {
                columns.fill(threshold);
            }
        }
        for (word, (levels, limits)) in pixels
            .chunks(WORD_BITS)
            .zip(row_thresholds.chunks(WORD_BITS))
            .enumerate()
        {
            bits.setBulk(word * WORD_BITS, black_bits(levels, limits));
        }
        matrix.setRow(y as u32, &bits);
    }
    Ok(matrix)
}

/// Bit `i` set where `levels[i] <= limits[i]`, for up to [`WORD_BITS`] pixels: the compares
/// as bytes (vector instructions), then eight bytes of 0 or 1 at a time gathered into eight bits
/// by one multiplication.
fn black_bits(levels: &[u8], limits: &[u8]) -> usize {
    let mut flags = [0u8; WORD_BITS];
    for ((flag, level), limit) in flags.iter_mut().zip(levels).zip(limits) {
        *flag = u8::from(level <= limit);
    }
    flags
        .chunks_exact(8)
        .enumerate()
        .fold(0, |bits, (i, eight)| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(eight);
            let gathered = u64::from_le_bytes(bytes).wrapping_mul(0x0102_0408_1020_4080) >> 56;
            bits | (gathered as usize) << (8 * i)
        })
}

/// Each block's black point: its mean level, or for a flat block half its darkest level (or
/// its upper-left neighbours' black point when that is higher: a flat block inside a dark
/// region stays dark).
fn black_points(
    luminances: &[u8],
    width: usize,
    height: usize,
    blocks_x: usize,
    blocks_y: usize,
) -> Vec<u32> {
    let mut points = vec![0u32; blocks_x * blocks_y];
    // Per column, over the block row's pixel rows: the sum, the least and the greatest level.
    let (mut sums, mut mins, mut maxs) = (vec![0u16; width], vec![0u8; width], vec![0u8; width]);
    for by in 0..blocks_y {
        let top = (by * BLOCK).min(height - BLOCK);
        let rows = &luminances[top * width..(top + BLOCK) * width];
        sums.fill(0);
        mins.fill(u8::MAX);
        maxs.fill(u8::MIN);
        for row in rows.chunks_exact(width) {
            for (sum, &level) in sums.iter_mut().zip(row) {
                *sum += u16::from(level);
            }
            for (min, &level) in mins.iter_mut().zip(row) {
                *min = (*min).min(level);
            }
            for (max, &level) in maxs.iter_mut().zip(row) {
                *max = (*max).max(level);
            }
        }
        for bx in 0..blocks_x {
            let left = (bx * BLOCK).min(width - BLOCK);
            let columns = left..left + BLOCK;
            let sum: u32 = sums[columns.clone()].iter().map(|&s| u32::from(s)).sum();
            let min = mins[columns.clone()].iter().fold(u8::MAX, |a, &b| a.min(b));
            let max = maxs[columns].iter().fold(u8::MIN, |a, &b| a.max(b));
            let mut point = sum / (BLOCK * BLOCK) as u32;
            if max - min <= MIN_DYNAMIC_RANGE {
                point = u32::from(min) / 2;
                if by > 0 && bx > 0 {
                    let above = (by - 1) * blocks_x + bx;
                    let neighbours =
                        (points[above] + 2 * points[above + blocks_x - 1] + points[above - 1]) / 4;
                    if u32::from(min) < neighbours {
                        point = neighbours;
                    }
                }
            }
            points[by * blocks_x + bx] = point;
        }
    }
    points
}

/// Each block's darkest and lightest levels (the block moved inwards at the right and bottom
/// edges), as `(min, max)`, row by row.
fn block_ranges(
    luminances: &[u8],
    width: usize,
    height: usize,
    blocks_x: usize,
    blocks_y: usize,
) -> Vec<(u8, u8)> {
    let mut ranges = Vec::with_capacity(blocks_x * blocks_y);
    let (mut mins, mut maxs) = (vec![0u8; width], vec![0u8; width]);
    for by in 0..blocks_y {
        let top = (by * BLOCK).min(height - BLOCK);
        mins.fill(u8::MAX);
        maxs.fill(u8::MIN);
        for row in luminances[top * width..(top + BLOCK) * width].chunks_exact(width) {
            for (min, &level) in mins.iter_mut().zip(row) {
                *min = (*min).min(level);
            }
            for (max, &level) in maxs.iter_mut().zip(row) {
                *max = (*max).max(level);
            }
        }
        for bx in 0..blocks_x {
            let columns = {
                let left = (bx * BLOCK).min(width - BLOCK);
                left..left + BLOCK
            };
            let min = mins[columns.clone()].iter().fold(u8::MAX, |a, &b| a.min(b));
            let max = maxs[columns].iter().fold(u8::MIN, |a, &b| a.max(b));
            ranges.push((min, max));
        }
    }
    ranges
}

/// [`midrange_black_matrix`]'s block thresholds (0: none, only black pixels of level 0).
fn midrange_thresholds(
    luminances: &[u8],
    width: usize,
    height: usize,
    blocks_x: usize,
    blocks_y: usize,
) -> Vec<u8> {
    let own: Vec<u8> = block_ranges(luminances, width, height, blocks_x, blocks_y)
        .into_iter()
        .map(|(min, max)| {
            if max - min > MIN_DYNAMIC_RANGE {
                ((u16::from(min) + u16::from(max)) / 2) as u8
            } else {
                0
            }
        })
        .collect();
    let mut smoothed = Vec::with_capacity(own.len());
    for by in 0..blocks_y {
        let top = by.clamp(2, blocks_y - 3);
        for bx in 0..blocks_x {
            let left = bx.clamp(2, blocks_x - 3);
            let centre = u32::from(own[by * blocks_x + bx]);
            let (mut sum, mut count) = (2 * centre, 2 * u32::from(centre > 0));
            for y in top - 2..=top + 2 {
                for &t in &own[y * blocks_x + left - 2..][..5] {
                    sum += u32::from(t);
                    count += u32::from(t > 0);
                }
            }
            // A mean of levels: at most 255.
            smoothed.push(sum.checked_div(count).map_or(0, |mean| mean.min(255) as u8));
        }
    }
    // Runs of blocks without a threshold take the next block's (the last run, the previous).
    let mut filled_to = 0;
    for i in 0..smoothed.len() {
        if smoothed[i] > 0 {
            let t = smoothed[i];
            smoothed[filled_to..i].fill(t);
            filled_to = i + 1;
        }
    }
    if let Some(&t) = filled_to.checked_sub(1).and_then(|i| smoothed.get(i)) {
        smoothed[filled_to..].fill(t);
    }
    smoothed
}

/// Each block's threshold: the mean black point of the 5×5 blocks around it (moved inwards at
/// the edges).
fn block_thresholds(points: &[u32], blocks_x: usize, blocks_y: usize) -> Vec<u8> {
    let mut thresholds = Vec::with_capacity(blocks_x * blocks_y);
    for by in 0..blocks_y {
        let top = by.clamp(2, blocks_y - 3);
        for bx in 0..blocks_x {
            let left = bx.clamp(2, blocks_x - 3);
            let sum: u32 = (top - 2..=top + 2)
                .map(|y| points[y * blocks_x + left - 2..][..5].iter().sum::<u32>())
                .sum();
            // A mean of levels: at most 255.
            thresholds.push((sum / 25).min(255) as u8);
        }
    }
    thresholds
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Our matrix and rxing's.
    fn both(image: &GrayImage) -> (Option<BitMatrix>, Option<BitMatrix>) {
        (ported_black_matrix(image), rxing_black_matrix(image))
    }

    /// A pseudo-random frame: flat areas, edges, noise, and blocks whose levels span exactly
    /// the flat-block limit or one more.
    fn frame(width: u32, height: u32, seed: u32) -> GrayImage {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        GrayImage::from_fn(width, height, |x, y| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let level = match (x / 8 + y / 8 + seed) % 5 {
                0 => 90,
                1 => 90 + 24 * ((x + y) % 2),
                2 => 90 + 25 * ((x + y) % 2),
                3 => 40 + state % 180,
                _ => 200 - 150 * ((x / 3 + y / 5) % 2),
            };
            image::Luma([level as u8])
        })
    }

    #[test]
    fn the_matrix_is_rxings_on_frames_of_every_shape() {
        let sizes = [
            (40, 40),
            (41, 47),
            (63, 40),
            (64, 64),
            (65, 129),
            (127, 77),
            (200, 150),
            (333, 166),
            (39, 100),
            (12, 9),
        ];
        for (w, h) in sizes {
            for seed in 0..8 {
                let (ours, theirs) = both(&frame(w, h, seed));
                assert!(ours.is_some(), "{w}×{h}, seed {seed}");
                assert_eq!(ours, theirs, "{w}×{h}, seed {seed}");
            }
        }
        let (ours, theirs) = both(&GrayImage::from_pixel(80, 72, image::Luma([90])));
        assert_eq!(ours, theirs, "flat");
        assert_eq!(black_matrix(&GrayImage::new(0, 5)), None);
    }

    /// zxing-cpp's midrange binarizer written as it is there, block after block: thresholds,
    /// smoothing, gap filling, then each block thresholded in turn.
    fn midrange_reference(image: &GrayImage) -> Vec<bool> {
        let (w, h) = (image.width() as usize, image.height() as usize);
        let (bw, bh) = (w.div_ceil(8), h.div_ceil(8));
        let at = |x: usize, y: usize| i32::from(image.get_pixel(x as u32, y as u32)[0]);
        let mut own = vec![0i32; bw * bh];
        for y in 0..bh {
            let y0 = (y * 8).min(h - 8);
            for x in 0..bw {
                let x0 = (x * 8).min(w - 8);
                let levels: Vec<i32> = (0..64).map(|i| at(x0 + i % 8, y0 + i / 8)).collect();
                let (min, max) = (*levels.iter().min().unwrap(), *levels.iter().max().unwrap());
                own[y * bw + x] = if max - min > 24 { (max + min) / 2 } else { 0 };
            }
        }
        let mut out = vec![0i32; bw * bh];
        for y in 0..bh {
            for x in 0..bw {
                let (left, top) = (x.clamp(2, bw - 3), y.clamp(2, bh - 3));
                let mut sum = own[y * bw + x] * 2;
                let mut n = if sum > 0 { 2 } else { 0 };
                for yy in top - 2..=top + 2 {
                    for xx in left - 2..=left + 2 {
                        let t = own[yy * bw + xx];
                        sum += t;
                        n += i32::from(t > 0);
                    }
                }
                out[y * bw + x] = if n > 0 { sum / n } else { 0 };
            }
        }
        let mut last: Option<usize> = None;
        for i in 0..out.len() {
            if out[i] != 0 {
                let start = last.map_or(0, |l| l + 1);
                let t = out[i];
                out[start..i].fill(t);
                last = Some(i);
            }
        }
        let tail = out[last.unwrap_or(0)];
        out[last.map_or(0, |l| l + 1)..].fill(tail);
        let mut black = vec![false; w * h];
        for y in 0..bh {
            let y0 = (y * 8).min(h - 8);
            for x in 0..bw {
                let x0 = (x * 8).min(w - 8);
                for i in 0..64 {
                    let (px, py) = (x0 + i % 8, y0 + i / 8);
                    black[py * w + px] = at(px, py) <= out[y * bw + x];
                }
            }
        }
        black
    }

    #[test]
    fn the_midrange_matrix_is_zxing_cpps_on_frames_whose_sides_are_multiples_of_8() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scan");
        let mut images: Vec<GrayImage> = (0..8).map(|seed| frame(200, 144, seed)).collect();
        images.push(frame(40, 40, 3));
        // Flat: no block has a threshold, so only level 0 is black.
        images.push(GrayImage::from_pixel(80, 72, image::Luma([90])));
        for name in ["vouchers/012-blur.jpg", "no-code/002-noise.jpg"] {
            images.push(image::open(fixtures.join(name)).unwrap().to_luma8());
        }
        for image in &images {
            let (w, h) = (image.width(), image.height());
            let ours = midrange_black_matrix(image).unwrap();
            let reference = midrange_reference(image);
            for (y, x) in (0..h).flat_map(|y| (0..w).map(move |x| (y, x))) {
                assert_eq!(
                    ours.get(x, y),
                    reference[(y * w + x) as usize],
                    "{w}×{h} at ({x}, {y})"
                );
            }
        }
        let flat = midrange_black_matrix(&GrayImage::from_pixel(80, 72, image::Luma([90])));
        assert_eq!(flat.unwrap().getTopLeftOnBit(), None);
        assert_eq!(midrange_black_matrix(&GrayImage::new(0, 5)), None);
    }

    #[test]
    fn the_midrange_threshold_cuts_a_blurred_edge_halfway() {
        // A dark bar 24 pixels wide (36 to 59) on light paper, its edges blurred over 8
        // pixels: the bar stays 24 pixels wide.
        let image = GrayImage::from_fn(96, 48, |x, _| {
            let d = (i32::try_from(x).unwrap() - 48).abs() - 12;
            let level = 40 + (200 * (d + 4).clamp(0, 8)) / 8;
            image::Luma([level as u8])
        });
        let matrix = midrange_black_matrix(&image).unwrap();
        let black: Vec<u32> = (0..96).filter(|&x| matrix.get(x, 24)).collect();
        assert_eq!(black.len(), 24, "{black:?}");
        assert_eq!((black[0], black[23]), (36, 59));
    }

    #[test]
    fn the_matrix_is_rxings_on_the_photos() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scan");
        for name in [
            "vouchers/000-perspective.jpg",
            "vouchers/025-noise.jpg",
            "vouchers/070-phone-screen.jpg",
            "vouchers/084-small.jpg",
            "no-code/002-noise.jpg",
            "no-code/005-glare.jpg",
        ] {
            let image = image::open(fixtures.join(name)).unwrap().to_luma8();
            let (ours, theirs) = both(&image);
            assert!(ours.is_some(), "{name}");
            assert_eq!(ours, theirs, "{name}");
        }
    }
}
