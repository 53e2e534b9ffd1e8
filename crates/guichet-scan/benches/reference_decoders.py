#!/usr/bin/env python3
"""Reference QR decoders for the evaluation harness (benches/eval.rs), in one process.

First writes one line naming the decoders ({"ready": "..."}), then reads grayscale frames on standard input, each as a little-endian u32 width, a u32 height and
width*height bytes, and answers each with one JSON line:
{"zxing": [texts], "zxing_ms": t, "zbar": [texts], "zbar_ms": t}
where t is the time of the decode call alone (no process start, no file decoding).

- zxing-cpp 3.1.1: the PyPI wheel `zxing-cpp==3.1.1` (`zxingcpp.read_barcodes`, QR only,
  default options); any other version is refused;
- zbar: Debian's libzbar0 (what `zbarimg` uses), called through ctypes, QR only.

Run with the interpreter the wheel is installed for (`python3 -m pip install zxing-cpp==3.1.1
numpy`, `make setup`); the harness runs `$EVAL_PYTHON`, by default `python3`.
"""

import ctypes
import importlib.metadata
import json
import struct
import sys
import time

import numpy
import zxingcpp

ZXING_VERSION = "3.1.1"

ZBAR_QRCODE = 64
ZBAR_CFG_ENABLE = 0


def fourcc(code):
    return sum(ord(c) << (8 * i) for i, c in enumerate(code))


class Zbar:
    def __init__(self):
        lib = ctypes.CDLL("libzbar.so.0")
        lib.zbar_image_scanner_create.restype = ctypes.c_void_p
        lib.zbar_image_create.restype = ctypes.c_void_p
        lib.zbar_image_first_symbol.restype = ctypes.c_void_p
        lib.zbar_image_first_symbol.argtypes = [ctypes.c_void_p]
        lib.zbar_symbol_next.restype = ctypes.c_void_p
        lib.zbar_symbol_next.argtypes = [ctypes.c_void_p]
        lib.zbar_symbol_get_data.restype = ctypes.POINTER(ctypes.c_char)
        lib.zbar_symbol_get_data.argtypes = [ctypes.c_void_p]
        lib.zbar_symbol_get_data_length.restype = ctypes.c_uint
        lib.zbar_symbol_get_data_length.argtypes = [ctypes.c_void_p]
        lib.zbar_image_scanner_set_config.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.zbar_image_set_format.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        lib.zbar_image_set_size.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
        lib.zbar_image_set_data.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p]
        lib.zbar_scan_image.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.zbar_image_destroy.argtypes = [ctypes.c_void_p]
        self.lib = lib
        self.scanner = lib.zbar_image_scanner_create()
        lib.zbar_image_scanner_set_config(self.scanner, 0, ZBAR_CFG_ENABLE, 0)
        lib.zbar_image_scanner_set_config(self.scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1)

    def decode(self, width, height, pixels):
        lib = self.lib
        buffer = ctypes.create_string_buffer(pixels, len(pixels))
        start = time.perf_counter()
        image = lib.zbar_image_create()
        lib.zbar_image_set_format(image, fourcc("Y800"))
        lib.zbar_image_set_size(image, width, height)
        lib.zbar_image_set_data(image, buffer, len(pixels), None)
        lib.zbar_scan_image(self.scanner, image)
        texts = []
        symbol = lib.zbar_image_first_symbol(image)
        while symbol:
            length = lib.zbar_symbol_get_data_length(symbol)
            data = ctypes.string_at(lib.zbar_symbol_get_data(symbol), length)
            texts.append(data.decode("utf-8", errors="replace"))
            symbol = lib.zbar_symbol_next(symbol)
        lib.zbar_image_destroy(image)
        return texts, (time.perf_counter() - start) * 1000.0


def main():
    version = importlib.metadata.version("zxing-cpp")
    if version != ZXING_VERSION:
        sys.exit(f"zxing-cpp {version} installed, the harness compares with {ZXING_VERSION}")
    zbar = Zbar()
    sys.stdout.write(json.dumps({"ready": f"zxing-cpp {version} (PyPI), libzbar0 (Debian)"}) + "\n")
    sys.stdout.flush()
    source = sys.stdin.buffer
    while True:
        header = source.read(8)
        if len(header) < 8:
            return
        width, height = struct.unpack("<II", header)
        pixels = source.read(width * height)
        frame = numpy.frombuffer(pixels, dtype=numpy.uint8).reshape((height, width))
        start = time.perf_counter()
        results = zxingcpp.read_barcodes(frame, formats=zxingcpp.BarcodeFormat.QRCode)
        zxing_ms = (time.perf_counter() - start) * 1000.0
        zbar_texts, zbar_ms = zbar.decode(width, height, pixels)
        answer = {
            "zxing": [r.text for r in results],
            "zxing_ms": zxing_ms,
            "zbar": zbar_texts,
            "zbar_ms": zbar_ms,
        }
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
