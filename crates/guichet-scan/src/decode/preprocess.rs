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
    let src = image.as_raw();
    let stride = image.width() as usize;
    let f = factor as usize;
    let area = (f * f) as u32;
    let mut out = Vec::with_capacity(w as usize * h as usize);
    let mut sums = vec![0u32; w as usize];
    for by in 0..h as usize {
        sums.fill(0);
        for row in src[by * f * stride..(by * f + f) * stride].chunks_exact(stride) {
            for (x, sum) in sums.iter_mut().enumerate() {
                *sum += row[x * f..x * f + f]
                    .iter()
                    .map(|&p| u32::from(p))
                    .sum::<u32>();
            }
        }
        out.extend(sums.iter().map(|&s| (s / area) as u8));
    }
    GrayImage::from_raw(w, h, out).unwrap_or_default()
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
    }
}
