//! Image preparation before a QR decoder sees a frame: downscaling, contrast stretching,
//! adaptive thresholding and inversion, on 8-bit grayscale images.
//!
//! Written here rather than taken from `imageproc`: each is a single pass over the pixels, tuned
//! for the decode loop's time budget, and `imageproc` would add its own dependency tree
//! (nalgebra, rayon) to the kiosk for four small functions.

use image::GrayImage;

/// Shrinks `image` by the smallest integer factor that brings its longer side to at most
/// `max_side`, averaging each factor × factor block (a box filter, which also smooths sensor
/// noise). Returns `None` when the image is already small enough.
pub fn downscale_to(image: &GrayImage, max_side: u32) -> Option<GrayImage> {
    let longer = image.width().max(image.height());
    if max_side == 0 || longer <= max_side {
        return None;
    }
    let factor = longer.div_ceil(max_side);
    Some(downscale_by(image, factor))
}

/// Shrinks `image` by an integer factor (box filter); the partial blocks at the right and bottom
/// edges are dropped.
pub fn downscale_by(image: &GrayImage, factor: u32) -> GrayImage {
    let factor = factor.max(1);
    let (w, h) = (image.width() / factor, image.height() / factor);
    if w == 0 || h == 0 {
        return GrayImage::new(w, h);
    }
    let pixels = if factor == 2 {
        halve(image, w as usize, h as usize)
    } else {
        box_averages(image, factor as usize, w as usize, h as usize)
    };
    GrayImage::from_raw(w, h, pixels).unwrap_or_default()
}

/// [`downscale_by`] 2, the half-size image of every frame the retries reach: each pair of rows
/// summed in 16 bits, then each pair of columns (constant sizes, which the compiler turns into
/// vector instructions: four times faster than [`box_averages`]).
fn halve(image: &GrayImage, w: usize, h: usize) -> Vec<u8> {
    let stride = image.width() as usize;
    let used = 2 * w;
    let mut out = Vec::with_capacity(w * h);
    let mut columns = vec![0u16; used];
    for band in image.as_raw().chunks_exact(2 * stride).take(h) {
        let (top, bottom) = band.split_at(stride);
        for ((sum, &a), &b) in columns.iter_mut().zip(&top[..used]).zip(&bottom[..used]) {
            *sum = u16::from(a) + u16::from(b);
        }
        out.extend(
            columns
                .chunks_exact(2)
                .map(|pair| ((pair[0] + pair[1]) / 4) as u8),
        );
    }
    out
}

/// The mean level of each `f`×`f` block of `image`, `w` blocks across and `h` down: per column
/// of a band of `f` rows first (one pass per row), then `f` columns at a time.
fn box_averages(image: &GrayImage, f: usize, w: usize, h: usize) -> Vec<u8> {
    let stride = image.width() as usize;
    let used = w * f;
    let area = (f * f) as u32;
    let mut out = Vec::with_capacity(w * h);
    let mut columns = vec![0u32; used];
    for band in image.as_raw().chunks_exact(f * stride).take(h) {
        columns.fill(0);
        for row in band.chunks_exact(stride) {
            for (sum, &level) in columns.iter_mut().zip(&row[..used]) {
                *sum += u32::from(level);
            }
        }
        out.extend(
            columns
                .chunks_exact(f)
                .map(|block| (block.iter().sum::<u32>() / area) as u8),
        );
    }
    out
}

/// Stretches the levels so that the darkest 1 % become black and the brightest 1 % white
/// (a dim or washed-out photo gets its full range back).
pub fn stretch_contrast(image: &GrayImage) -> GrayImage {
    let mut histogram = [0usize; 256];
    for &p in image.as_raw() {
        histogram[usize::from(p)] += 1;
    }
    let total = image.as_raw().len();
    let cut = total / 100;
    let level_at = |target: usize| {
        let mut seen = 0;
        histogram
            .iter()
            .position(|&n| {
                seen += n;
                seen > target
            })
            .unwrap_or(255)
    };
    let (low, high) = (level_at(cut), level_at(total.saturating_sub(cut + 1)));
    let mut lut = [0u8; 256];
    if high > low {
        for (level, out) in lut.iter_mut().enumerate() {
            let scaled = (level.saturating_sub(low) * 255) / (high - low);
            *out = scaled.min(255) as u8;
        }
    } else {
        for (level, out) in lut.iter_mut().enumerate() {
            *out = level as u8;
        }
    }
    let pixels = image
        .as_raw()
        .iter()
        .map(|&p| lut[usize::from(p)])
        .collect();
    GrayImage::from_raw(image.width(), image.height(), pixels).unwrap_or_default()
}

/// Black (`true`) where a pixel is darker than the mean of the square window of `radius`
/// around it minus `offset` levels: a local threshold that survives shadows and glare across
/// the frame. Row-major, one `bool` per pixel.
pub fn adaptive_threshold(image: &GrayImage, radius: u32, offset: u8) -> Vec<bool> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let src = image.as_raw();
    // Integral image with a zero row and column in front.
    let mut integral = vec![0u64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row_sum = 0u64;
        for x in 0..w {
            row_sum += u64::from(src[y * w + x]);
            integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row_sum;
        }
    }
    let r = radius.max(1) as usize;
    let mut black = Vec::with_capacity(w * h);
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            let sum = integral[y1 * (w + 1) + x1] + integral[y0 * (w + 1) + x0]
                - integral[y0 * (w + 1) + x1]
                - integral[y1 * (w + 1) + x0];
            let count = ((y1 - y0) * (x1 - x0)) as u64;
            let pixel = u64::from(src[y * w + x]) + u64::from(offset);
            black.push(pixel * count < sum);
        }
    }
    black
}

/// The mean of the `(2 radius + 1)²` window around each pixel (at the edges, of the part of
/// the window inside the image; within one level: each row's mean is rounded): running sums along each row, then running column sums down
/// the rows (one pass each, whatever the radius).
pub fn box_blur(image: &GrayImage, radius: u32) -> GrayImage {
    let (w, h) = (image.width() as usize, image.height() as usize);
    if w == 0 || h == 0 {
        return image.clone();
    }
    let r = (radius as usize).min(MAX_BLUR_RADIUS);
    let mut rows = vec![0u8; w * h];
    let mut sums = Vec::new();
    for (src, dst) in image.as_raw().chunks_exact(w).zip(rows.chunks_exact_mut(w)) {
        if r <= MAX_SHIFTED_SUM_RADIUS && w > 2 * r {
            blur_row_shifted(src, dst, r, &mut sums);
        } else {
            blur_row(src, dst, r);
        }
    }
    // Down the columns: the sums of the rows in the window, one row added and one taken away
    // per output row (loops over whole rows, which the compiler vectorises).
    let mut out = vec![0u8; w * h];
    let mut sums = vec![0u32; w];
    let row = |y: usize| &rows[y * w..(y + 1) * w];
    for y in 0..=r.min(h - 1) {
        for (s, &p) in sums.iter_mut().zip(row(y)) {
            *s += u32::from(p);
        }
    }
    for (y, dst) in out.chunks_exact_mut(w).enumerate() {
        let count = (y + r).min(h - 1) + 1 - y.saturating_sub(r);
        let reciprocal = reciprocal(count);
        for (o, &s) in dst.iter_mut().zip(&sums) {
            *o = mean(s, count, reciprocal);
        }
        if y + r + 1 < h {
            for (s, &p) in sums.iter_mut().zip(row(y + r + 1)) {
                *s += u32::from(p);
            }
        }
        if y >= r {
            for (s, &p) in sums.iter_mut().zip(row(y - r)) {
                *s -= u32::from(p);
            }
        }
    }
    GrayImage::from_raw(image.width(), image.height(), out).unwrap_or_default()
}

/// The largest radius [`box_blur`] uses (a larger one is clipped to it): keeps every window
/// sum times its reciprocal within 32 bits.
const MAX_BLUR_RADIUS: usize = 60;

/// ⌈2¹⁶ / count⌉: dividing by `count` becomes a multiply and a shift.
fn reciprocal(count: usize) -> u32 {
    (1u32 << 16).div_ceil(count.max(1) as u32)
}

/// The rounded mean of `count` levels summing to `sum` (within one level; `sum` is at most
/// 255 × (2 × [`MAX_BLUR_RADIUS`] + 1), so the product stays within 32 bits).
fn mean(sum: u32, count: usize, reciprocal: u32) -> u8 {
    (((sum + count as u32 / 2) * reciprocal) >> 16).min(255) as u8
}

/// Up to this radius, [`box_blur`] sums each row's windows as shifted copies of the row
/// ([`blur_row_shifted`]).
const MAX_SHIFTED_SUM_RADIUS: usize = 8;

/// [`blur_row`] for a small radius `r` and a row longer than `2 r`, the same levels: where the
/// window is whole, its sums are the row added to itself shifted by each offset of the window
/// (`2 r + 1` passes over whole slices in 16 bits, which the compiler turns into vector
/// instructions, where [`blur_row`]'s running sum goes one pixel at a time); the `r` pixels at
/// each end sum their clipped window directly. `sums` is scratch space.
fn blur_row_shifted(src: &[u8], dst: &mut [u8], r: usize, sums: &mut Vec<u16>) {
    let w = src.len();
    let inner = w - 2 * r;
    sums.clear();
    sums.resize(inner, 0);
    for offset in 0..=2 * r {
        for (sum, &level) in sums.iter_mut().zip(&src[offset..offset + inner]) {
            *sum += u16::from(level);
        }
    }
    let whole = 2 * r + 1;
    let whole_reciprocal = reciprocal(whole);
    for (d, &sum) in dst[r..r + inner].iter_mut().zip(sums.iter()) {
        *d = mean(u32::from(sum), whole, whole_reciprocal);
    }
    for x in (0..r).chain(w - r..w) {
        let window = &src[x.saturating_sub(r)..=(x + r).min(w - 1)];
        let sum: u32 = window.iter().map(|&p| u32::from(p)).sum();
        dst[x] = mean(sum, window.len(), reciprocal(window.len()));
    }
}

/// One row of [`box_blur`]: the mean of the clipped window of `r` around each pixel; the
/// middle of the row, where the window is whole, in its own loop.
fn blur_row(src: &[u8], dst: &mut [u8], r: usize) {
    let w = src.len();
    let level = |x: usize| u32::from(src[x]);
    let mut sum: u32 = src.iter().take(r + 1).map(|&p| u32::from(p)).sum();
    let mut count = (r + 1).min(w);
    // Left edge: the window grows (and may already reach the right edge).
    let mut x = 0;
    while x < w && (x < r || x + r + 1 > w) && x <= r {
        dst[x] = mean(sum, count, reciprocal(count));
        if x + r + 1 < w {
            sum += level(x + r + 1);
            count += 1;
        }
        if x >= r {
            sum -= level(x - r);
            count -= 1;
        }
        x += 1;
    }
    // Middle: the whole window, one level in and one out.
    let whole = 2 * r + 1;
    let whole_reciprocal = reciprocal(whole);
    while x + r < w && x >= r {
        dst[x] = mean(sum, whole, whole_reciprocal);
        if x + r + 1 < w {
            sum += level(x + r + 1);
        }
        sum -= level(x - r);
        x += 1;
        if x + r >= w {
            break;
        }
    }
    // Right edge: the window shrinks.
    count = (x + r).min(w - 1) + 1 - x.saturating_sub(r);
    while x < w {
        dst[x] = mean(sum, count, reciprocal(count));
        if x >= r {
            sum -= level(x - r);
            count -= 1;
        }
        x += 1;
    }
}

/// Unsharp masking: each pixel pushed away from its neighbourhood's mean (a box of
/// `radius`) by `amount` times the difference. Restores the edges a blurred or moving code
/// has lost.
pub fn sharpen(image: &GrayImage, radius: u32, amount: f32) -> GrayImage {
    let blurred = box_blur(image, radius);
    // In 1/256ths, in integers: the compiler vectorises this loop, not one with `f32::round`.
    let amount = (amount * 256.0).round() as i32;
    let pixels = image
        .as_raw()
        .iter()
        .zip(blurred.as_raw())
        .map(|(&p, &b)| {
            let p = i32::from(p);
            (p + ((amount * (p - i32::from(b)) + 128) >> 8)).clamp(0, 255) as u8
        })
        .collect();
    GrayImage::from_raw(image.width(), image.height(), pixels).unwrap_or_default()
}

/// Evens out the light: each pixel divided by its wide neighbourhood's mean (a box of
/// `radius`), so that a shadow band or a bright side of the frame has the same paper level as
/// the rest. Levels at or near white (saturated glare) stay white.
pub fn flatten_light(image: &GrayImage, radius: u32) -> GrayImage {
    let background = box_blur(image, radius);
    let pixels = image
        .as_raw()
        .iter()
        .zip(background.as_raw())
        .map(|(&p, &b)| ((u32::from(p) * 160) / u32::from(b).max(8)).min(255) as u8)
        .collect();
    GrayImage::from_raw(image.width(), image.height(), pixels).unwrap_or_default()
}

/// The negative image (light-on-dark codes become dark-on-light).
pub fn invert(image: &GrayImage) -> GrayImage {
    let pixels = image.as_raw().iter().map(|&p| 255 - p).collect();
    GrayImage::from_raw(image.width(), image.height(), pixels).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(w: u32, h: u32) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| image::Luma([((x + y) % 256) as u8]))
    }

    #[test]
    fn downscale_averages_blocks_and_keeps_small_images() {
        let image =
            GrayImage::from_fn(4, 2, |x, _| image::Luma([if x % 2 == 0 { 0 } else { 200 }]));
        let half = downscale_by(&image, 2);
        assert_eq!((half.width(), half.height()), (2, 1));
        assert_eq!(half.as_raw(), &vec![100, 100]);
        // Odd sides: the last column and row are dropped; a factor of 3 divides by 9.
        let third = downscale_by(&ramp(7, 4), 3);
        assert_eq!((third.width(), third.height()), (2, 1));
        assert_eq!(third.as_raw(), &vec![2, 5]);
        // Halving (its own code) averages each 2×2 block, down to the last level.
        let image = GrayImage::from_fn(9, 5, |x, y| image::Luma([(x * 37 + y * 101) as u8]));
        let half = downscale_by(&image, 2);
        assert_eq!((half.width(), half.height()), (4, 2));
        for (x, y, level) in half.enumerate_pixels() {
            let sum: u32 = [(0, 0), (1, 0), (0, 1), (1, 1)]
                .iter()
                .map(|(dx, dy)| u32::from(image.get_pixel(2 * x + dx, 2 * y + dy)[0]))
                .sum();
            assert_eq!(u32::from(level[0]), sum / 4);
        }
        assert!(downscale_to(&ramp(100, 50), 100).is_none());
        let shrunk = downscale_to(&ramp(1000, 500), 400).unwrap();
        assert_eq!((shrunk.width(), shrunk.height()), (333, 166));
    }

    #[test]
    fn contrast_stretch_uses_the_full_range() {
        let dim = GrayImage::from_fn(100, 100, |x, _| image::Luma([40 + (x / 5) as u8]));
        let stretched = stretch_contrast(&dim);
        assert_eq!(stretched.as_raw().iter().min(), Some(&0));
        assert_eq!(stretched.as_raw().iter().max(), Some(&255));
        // A flat image stays as it is.
        let flat = GrayImage::from_pixel(10, 10, image::Luma([77]));
        assert_eq!(stretch_contrast(&flat), flat);
    }

    #[test]
    fn adaptive_threshold_follows_a_shadow() {
        // A dark square on a background that fades from bright to dim.
        let image = GrayImage::from_fn(60, 20, |x, y| {
            let background = 250 - 3 * x as u8;
            let in_square = |x0: u32| (x0..x0 + 6).contains(&x) && (7..13).contains(&y);
            image::Luma([if in_square(5) || in_square(45) {
                background / 3
            } else {
                background
            }])
        });
        let black = adaptive_threshold(&image, 8, 10);
        let at = |x: usize, y: usize| black[y * 60 + x];
        assert!(at(7, 10) && at(47, 10));
        assert!(!at(20, 3) && !at(55, 3));
    }

    #[test]
    fn box_blur_is_the_mean_of_the_clipped_window() {
        let image = GrayImage::from_fn(23, 17, |x, y| {
            image::Luma([((x * 53 + y * 97) % 256) as u8])
        });
        for radius in [0, 1, 3, 30] {
            let blurred = box_blur(&image, radius);
            for (x, y, level) in blurred.enumerate_pixels() {
                let r = radius as i64;
                let (mut sum, mut count) = (0u32, 0u32);
                for yy in (y as i64 - r)..=(y as i64 + r) {
                    for xx in (x as i64 - r)..=(x as i64 + r) {
                        if (0..23).contains(&xx) && (0..17).contains(&yy) {
                            sum += u32::from(image.get_pixel(xx as u32, yy as u32)[0]);
                            count += 1;
                        }
                    }
                }
                // Rows are rounded before the columns are summed: within one level.
                let mean = f64::from(sum) / f64::from(count);
                let got = f64::from(level[0]);
                assert!(
                    (got - mean).abs() <= 1.0,
                    "radius {radius} at {x},{y}: {got} for {mean}"
                );
            }
        }
        assert_eq!(box_blur(&GrayImage::new(0, 5), 2).len(), 0);
    }

    #[test]
    fn shifted_row_sums_give_the_running_sums_levels() {
        let mut state = 12_345u32;
        for w in [1usize, 2, 3, 6, 7, 8, 17, 18, 64, 1280] {
            let row: Vec<u8> = (0..w)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    (state % 256) as u8
                })
                .collect();
            for r in 0..=MAX_SHIFTED_SUM_RADIUS {
                if w <= 2 * r {
                    continue;
                }
                let (mut running, mut shifted) = (vec![0u8; w], vec![0u8; w]);
                blur_row(&row, &mut running, r);
                blur_row_shifted(&row, &mut shifted, r, &mut Vec::new());
                assert_eq!(running, shifted, "width {w}, radius {r}");
            }
        }
    }

    #[test]
    fn sharpening_steepens_an_edge_and_flattening_lifts_a_shadow() {
        // A soft edge from 60 to 200.
        let edge = GrayImage::from_fn(40, 8, |x, _| {
            image::Luma([(60 + (x.clamp(15, 25) - 15) * 14) as u8])
        });
        let sharp = sharpen(&edge, 2, 1.5);
        assert!(sharp.get_pixel(16, 4)[0] < edge.get_pixel(16, 4)[0]);
        assert!(sharp.get_pixel(24, 4)[0] > edge.get_pixel(24, 4)[0]);
        assert_eq!(sharp.get_pixel(2, 4)[0], 60, "flat areas stay as they are");
        // Paper at 200, half of it in a shadow at 100: both halves come out at the same level.
        let shadowed = GrayImage::from_fn(200, 40, |x, _| {
            image::Luma([if x < 100 { 200 } else { 100 }])
        });
        let flat = flatten_light(&shadowed, 8);
        assert_eq!(flat.get_pixel(20, 20)[0], flat.get_pixel(180, 20)[0]);
    }

    #[test]
    fn invert_twice_is_identity_and_degenerate_images_are_fine() {
        let image = ramp(7, 3);
        assert_eq!(invert(&invert(&image)), image);
        let empty = GrayImage::new(0, 0);
        assert!(adaptive_threshold(&empty, 4, 4).is_empty());
        assert_eq!(stretch_contrast(&empty).len(), 0);
        assert_eq!(downscale_by(&ramp(1, 1), 4).len(), 0);
        assert_eq!(downscale_by(&GrayImage::new(0, 9), 2).len(), 0);
    }
}
