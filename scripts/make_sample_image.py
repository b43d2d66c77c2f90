"""Draw the bundled sample picture, assets/sample.png: a 512x512 grayscale scene made with numpy.

It has what makes max pooling's gradient interesting on a real image: flat
areas (many tied maxima), sharp and soft edges, smooth gradients, fine stripes,
a noisy patch (no ties) and text-like strokes. Written as an 8-bit PNG with
zlib and struct only, so the file is the same on every machine.

    python scripts/make_sample_image.py [--out assets/sample.png]
"""

from __future__ import annotations

import argparse
import struct
import zlib
from pathlib import Path

import numpy as np

SIZE = 512
OUT = Path(__file__).resolve().parents[1] / "assets" / "sample.png"

# A 5x7 bitmap font for the few letters the caption needs, one string per row.
GLYPHS = {
    "M": ["10001", "11011", "10101", "10101", "10001", "10001", "10001"],
    "A": ["01110", "10001", "10001", "11111", "10001", "10001", "10001"],
    "X": ["10001", "10001", "01010", "00100", "01010", "10001", "10001"],
    "P": ["11110", "10001", "10001", "11110", "10000", "10000", "10000"],
    "O": ["01110", "10001", "10001", "10001", "10001", "10001", "01110"],
    "L": ["10000", "10000", "10000", "10000", "10000", "10000", "11111"],
    " ": ["00000"] * 7,
}


def draw_text(img: np.ndarray, text: str, top: int, left: int, scale: int, value: float) -> None:
    """Stamp ``text`` in the bitmap font, each font pixel a ``scale`` x ``scale`` block."""
    for n, ch in enumerate(text):
        glyph = np.array([[c == "1" for c in row] for row in GLYPHS[ch]])
        block = np.kron(glyph, np.ones((scale, scale), dtype=bool))
        x0 = left + n * 6 * scale
        region = img[top : top + block.shape[0], x0 : x0 + block.shape[1]]
        region[block[: region.shape[0], : region.shape[1]]] = value


def make_scene(size: int = SIZE, seed: int = 0) -> np.ndarray:
    """The scene as uint8, shape (size, size); row 0 is the top."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size] / size  # 0..1 down and across
    img = 0.55 + 0.35 * (1 - rows)  # sky: bright at the top, darker towards the horizon

    sun = (rows - 0.2) ** 2 + (cols - 0.78) ** 2
    img = np.where(sun < 0.09**2, 1.0, img)  # hard-edged disc
    img += 0.12 * np.exp(-sun / 0.02)  # soft glow around it

    hills = 0.62 + 0.05 * np.sin(cols * 9) + 0.03 * np.sin(cols * 23 + 1)
    ground = rows > hills
    img = np.where(ground, 0.30 + 0.25 * (rows - hills), img)

    # A house: flat walls and roof are plateaus of equal values, full of ties.
    wall = (rows > 0.55) & (rows < 0.80) & (cols > 0.10) & (cols < 0.38)
    img = np.where(wall, 0.70, img)
    roof = (rows > 0.40) & (rows <= 0.55) & (np.abs(cols - 0.24) < (rows - 0.40) * 1.0)
    img = np.where(roof, 0.20, img)
    door = (rows > 0.66) & (rows < 0.80) & (cols > 0.21) & (cols < 0.27)
    img = np.where(door, 0.10, img)
    window = (rows > 0.60) & (rows < 0.66) & (cols > 0.13) & (cols < 0.18)
    img = np.where(window, 0.95, img)

    # Fine diagonal stripes and a checkerboard: periodic edges at a pooling-sized scale.
    stripes = (rows > 0.84) & (cols < 0.45)
    img = np.where(stripes, 0.35 + 0.3 * (np.sin((rows + cols) * size * 0.6) > 0), img)
    checker = (rows > 0.84) & (cols > 0.55) & (cols < 0.75)
    img = np.where(checker, 0.25 + 0.5 * ((np.floor(rows * size / 3) + np.floor(cols * size / 3)) % 2), img)

    # A patch of noise: no ties there, so every tie rule agrees.
    noise = (rows > 0.84) & (cols > 0.80) & (cols < 0.97)
    img = np.where(noise, rng.uniform(0.2, 0.9, img.shape), img)

    img = np.clip(img, 0.0, 1.0)
    draw_text(img, "MAX POOL", top=int(0.05 * size), left=int(0.06 * size), scale=max(1, size // 128), value=0.08)
    return np.round(img * 255).astype(np.uint8)


def png_bytes(gray: np.ndarray) -> bytes:
    """Encode an (H, W) uint8 array as a grayscale 8-bit PNG."""
    if gray.dtype != np.uint8 or gray.ndim != 2:
        raise ValueError(f"expected a 2-D uint8 array, got {gray.dtype} of shape {gray.shape}")
    height, width = gray.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale, no interlace
    # Filter type 1 ("Sub") on every row: each byte minus its left neighbour, which suits smooth images.
    diff = np.diff(gray.astype(np.int16), axis=1, prepend=0).astype(np.uint8)
    raw = np.hstack([np.ones((height, 1), dtype=np.uint8), diff]).tobytes()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    data = png_bytes(make_scene())
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
