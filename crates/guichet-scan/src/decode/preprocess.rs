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
