#!/usr/bin/python3
"""Makes the WebP fixtures of WebpCorpusTest and what Pillow makes of them.

Run from this folder with Debian 12's packages: python3-pil (Pillow 9.4.0, libwebp 1.2.4),
python3-numpy and webp (cwebp, img2webp, webpmux 1.2.4). Sources are drawn here from a fixed
seed, so the script remakes the same files. Writes the .webp files and expected.tsv: per file
Pillow's mode and size, the SHA-256 of its decoded bytes, and the SHA-256 of the OpenAI and HF
preprocessings at 224 (pixel_u8 channel-first, and pixel_values as little-endian float32
channel-first), computed with Pillow's own resize, crop and convert and numpy's float32
arithmetic (the operations torchvision and transformers run). Files Pillow refuses get a row
with mode "refused".
"""
import hashlib
import os
import struct
import subprocess

import numpy as np
from PIL import Image, ImageDraw, features

S = 224
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
rng = np.random.default_rng(23)


def photo(w, h):
    """A photo-like RGB image: gradients, soft noise, a few hard edges and lines."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(x / 9.0) * np.cos(y / 13.0)
    g = 255 * x / max(w - 1, 1)
    b = 255 * y / max(h - 1, 1)
    img = np.stack([r, g, b], axis=-1) + rng.normal(0, 12, (h, w, 3))
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    d.rectangle([w // 5, h // 4, w // 2, h // 2], fill=(250, 240, 20))
    d.ellipse([w // 2, h // 3, w - 3, h - 3], outline=(10, 10, 200), width=3)
    d.line([0, h - 1, w - 1, 0], fill=(0, 0, 0), width=2)
    return im


def with_alpha(im):
    """Adds an alpha plane: a horizontal ramp, a fully transparent hole, an opaque band."""
    w, h = im.size
    a = np.tile(np.linspace(0, 255, w), (h, 1))
    a[h // 3: h // 2, w // 3: w // 2] = 0
    a[:, : w // 8] = 255
    im = im.convert("RGBA")
    im.putalpha(Image.fromarray(a.astype(np.uint8), "L"))
    return im


def palette(w, h, colors):
    """A flat-colour image of exactly `colors` colours (for the colour-indexing transform)."""
    cols = rng.integers(0, 256, (colors, 3), dtype=np.uint8)
    y, x = np.mgrid[0:h, 0:w]
    idx = ((x // 5) * 7 + (y // 3) * 3 + (x * y) % 5) % colors
    return Image.fromarray(cols[idx], "RGB")


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cwebp(src, out, *opts):
    src.save("src.png")
    run("cwebp", "-quiet", *opts, "src.png", "-o", out)


def chunk(tag, payload):
    pad = b"\0" if len(payload) & 1 else b""
    return tag + struct.pack("<I", len(payload)) + payload + pad


def riff(chunks):
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def chunks_of(path):
    """The top-level chunks of a WebP file, as (tag, payload)."""
    data = open(path, "rb").read()
    out, at = [], 12
    while at < len(data):
        size = struct.unpack("<I", data[at + 4: at + 8])[0]
        out.append((data[at: at + 4], data[at + 8: at + 8 + size]))
        at += 8 + size + (size & 1)
    return out


def vp8x(flags, w, h):
    return chunk(b"VP8X", bytes([flags, 0, 0, 0]) + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little"))


def raw_alpha(alpha, filt):
    """An ALPH payload, uncompressed, with prediction filter 0 none, 1 horizontal, 2 vertical, 3 gradient."""
    a = alpha.astype(np.int32)
    h, w = a.shape
    pred = np.zeros_like(a)
    pred[0, 1:] = a[0, :-1]  # the first row is predicted from the left for every filter
    if filt == 1:
        pred[1:, 0] = a[:-1, 0]
        pred[1:, 1:] = a[1:, :-1]
    elif filt == 2:
        pred[1:, :] = a[:-1, :]
    elif filt == 3:
        pred[1:, 0] = a[:-1, 0]
        pred[1:, 1:] = np.clip(a[1:, :-1] + a[:-1, 1:] - a[:-1, :-1], 0, 255)
    if filt == 0:
        pred[:] = 0
    return bytes([filt << 2]) + ((a - pred) & 0xFF).astype(np.uint8).tobytes()


def make():
    p = photo(97, 61)
    cwebp(p, "lossy-q75-odd.webp", "-q", "75")
    cwebp(photo(128, 96), "lossy-q10-f100-sharpness7.webp", "-q", "10", "-f", "100", "-sharpness", "7")
    cwebp(photo(80, 64), "lossy-q95-simple-filter.webp", "-q", "95", "-nostrong", "-f", "60")
    cwebp(photo(96, 80), "lossy-q40-simple-filter-sharpness3.webp", "-q", "40", "-nostrong", "-sharpness", "3")
    cwebp(photo(112, 70), "lossy-q50-sns100-segments4.webp", "-q", "50", "-sns", "100", "-segments", "4")
    cwebp(photo(64, 64), "lossy-q60-nofilter.webp", "-q", "60", "-f", "0", "-segments", "1")
    cwebp(photo(33, 17), "lossy-q80-sharp-yuv.webp", "-q", "80", "-sharp_yuv", "-m", "6")
    cwebp(photo(1, 1), "lossy-1x1.webp", "-q", "75")
    cwebp(photo(3, 2), "lossy-3x2.webp", "-q", "75")
    cwebp(photo(240, 18), "lossy-q100-wide.webp", "-q", "100")
    photo(70, 50).convert("L").save("lossy-gray-pillow.webp", quality=70)

    cwebp(photo(90, 60), "lossless-z6.webp", "-lossless")
    cwebp(photo(61, 45), "lossless-z0.webp", "-z", "0")
    cwebp(photo(75, 52), "lossless-z9.webp", "-z", "9")
    cwebp(photo(64, 40), "lossless-near60.webp", "-lossless", "-near_lossless", "60")
    for n in (2, 4, 16, 256):
        cwebp(palette(77, 39, n), "lossless-palette%d.webp" % n, "-lossless")
    cwebp(with_alpha(photo(66, 50)), "lossless-alpha.webp", "-lossless", "-exact")
    cwebp(photo(1, 1), "lossless-1x1.webp", "-lossless")

    a = with_alpha(photo(72, 54))
    cwebp(a, "lossy-alpha-default.webp", "-q", "70")
    cwebp(a, "lossy-alpha-filter-best.webp", "-q", "70", "-alpha_filter", "best", "-exact")
    cwebp(a, "lossy-alpha-filter-none.webp", "-q", "70", "-alpha_filter", "none")
    cwebp(a, "lossy-alpha-raw.webp", "-q", "70", "-alpha_method", "0")
    cwebp(a, "lossy-alpha-q30-levels.webp", "-q", "70", "-alpha_q", "30")
    # Uncompressed alpha with each prediction filter, muxed by hand around a lossy image.
    base = photo(50, 38)
    cwebp(base, "tmp-vp8.webp", "-q", "60")
    vp8 = [c for c in chunks_of("tmp-vp8.webp") if c[0] == b"VP8 "][0][1]
    alpha = np.array(with_alpha(base))[:, :, 3]
    for f, name in ((1, "horizontal"), (2, "vertical"), (3, "gradient")):
        data = riff([vp8x(0x10, 50, 38), chunk(b"ALPH", raw_alpha(alpha, f)), chunk(b"VP8 ", vp8)])
        open("lossy-alpha-raw-%s.webp" % name, "wb").write(data)
    # Extended format: a lossy image with ICC and EXIF chunks (ignored), and one that only flags alpha.
    open("extended-icc-exif.webp", "wb").write(riff([
        vp8x(0x20 | 0x08, 50, 38), chunk(b"ICCP", b"not really a profile"), chunk(b"VP8 ", vp8),
        chunk(b"EXIF", b"Exif\0\0MM\0*\0\0\0\x08\0\0")]))
    open("extended-alpha-flag-only.webp", "wb").write(riff([vp8x(0x10, 50, 38), chunk(b"VP8 ", vp8)]))
    os.remove("tmp-vp8.webp")

    # Animations: img2webp (full-canvas frames), and webpmux with a first frame placed at an offset.
    photo(60, 40).save("f1.png")
    with_alpha(photo(60, 40)).save("f2.png")
    run("img2webp", "-loop", "0", "-lossy", "-q", "70", "f1.png", "-d", "80", "f2.png", "-o", "anim-lossy.webp")
    run("img2webp", "-loop", "0", "-lossless", "f2.png", "-d", "80", "f1.png", "-o", "anim-lossless-alpha.webp")
    cwebp(photo(30, 20), "tmp-small.webp", "-q", "80")
    cwebp(with_alpha(photo(24, 16)), "tmp-small-alpha.webp", "-q", "80")
    cwebp(photo(60, 40), "tmp-full.webp", "-q", "70")
    run("webpmux", "-frame", "tmp-small.webp", "+100+10+6", "-frame", "tmp-full.webp", "+100", "-loop", "0",
        "-o", "anim-offset.webp")
    run("webpmux", "-frame", "tmp-small-alpha.webp", "+100+20+8", "-frame", "tmp-full.webp", "+100", "-loop", "0",
        "-o", "anim-offset-alpha.webp")
    for t in ("f1.png", "f2.png", "src.png", "tmp-small.webp", "tmp-small-alpha.webp", "tmp-full.webp"):
        os.remove(t)


def sha(b):
    return hashlib.sha256(b).hexdigest()


def resize_size(w, h):
    if w <= h:
        return S, int(S * h / w)
    return int(S * w / h), S


def normalise(u8_hwc, scale_in_double):
    if scale_in_double:  # transformers: rescale in float64, then float32
        x = (u8_hwc.astype(np.float64) * (1 / 255)).astype(np.float32)
    else:  # torchvision: float32 division
        x = u8_hwc.astype(np.float32) / np.float32(255)
    x = (x - MEAN) / STD
    return x.transpose(2, 0, 1).astype("<f4").tobytes()


def preprocess(im, hf):
    if hf:
        im = im.convert("RGB")
    ow, oh = resize_size(*im.size)
    im = im.resize((ow, oh), Image.BICUBIC)
    if hf:
        left, top = (ow - S) // 2, (oh - S) // 2
    else:
        left, top = int(round((ow - S) / 2.0)), int(round((oh - S) / 2.0))
    im = im.crop((left, top, left + S, top + S)).convert("RGB")
    u8 = np.asarray(im)
    return sha(u8.transpose(2, 0, 1).tobytes()), sha(normalise(u8, hf))


def expected():
    rows = ["# file\tmode\twidth\theight\tdecoded_sha256\topenai_u8_sha256\topenai_f32_sha256\thf_u8_sha256\thf_f32_sha256"]
    for f in sorted(x for x in os.listdir(".") if x.endswith(".webp")):
        try:
            im = Image.open(f)
            im.load()
        except Exception:
            rows.append("\t".join([f, "refused"] + ["-"] * 7))
            continue
        o = preprocess(im, False)
        h = preprocess(im, True)
        rows.append("\t".join([f, im.mode, str(im.width), str(im.height), sha(im.tobytes()), *o, *h]))
    open("expected.tsv", "w").write("\n".join(rows) + "\n")


if __name__ == "__main__":
    print("Pillow", Image.__version__, "libwebp", features.version("webp"))
    make()
    expected()
