//! Scanning: frame sources, QR decode worker and keyboard-wedge decoder.
