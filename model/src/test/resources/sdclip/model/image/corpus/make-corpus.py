#!/usr/bin/python3
"""Makes the image corpus CorpusTest checks: small JPEG and BMP fixtures covering colour profiles,
marker layouts, subsampling, CMYK/YCCK, truncation, Exif orientations and RLE/OS2 BMPs, with
Pillow's decode and both CLIP preprocessings recorded as the expected results.

Run from this folder with Debian's packages (bookworm: Pillow 9.4.0 on libjpeg-turbo 2.1.5):
    apt-get install -y python3-pil python3-numpy gcc libjpeg62-turbo-dev
    /usr/bin/python3 make-corpus.py
It rewrites the fixtures, expected.json (what each file must decode and preprocess to, as
SHA-256 of the bytes) and decoded.safetensors (Pillow's decoded samples, for reporting by how
much a decode differs). jpegw.c writes the JPEGs Pillow cannot (YCCK, RGB, 4:4:0, 4:1:1).

BMP RLE: Pillow 9.4 reads a delta escape's two bytes from the wrong place and drops the last
pixel of an odd RLE4 absolute run (fixed upstream by pull requests 9443 and 9710). The expected
results follow the fixed behaviour: this script swaps in a decoder with both fixes (written here,
not copied) and also records what unpatched 9.4 gives, under "pillow_9_4".
"""
import hashlib
import io
import json
import os
import struct
import subprocess
import sys

import numpy as np
import PIL
from PIL import BmpImagePlugin, Image, ImageFile, ImageOps, features

HERE = os.path.dirname(os.path.abspath(__file__))
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
S = 224


def source(w, h):
    """A deterministic test picture: smooth colour ramps, hard edges and a little noise."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 90 * np.sin(x / 4.0) * np.cos(y / 7.0)
    g = 40 + 170 * x / w
    b = 220 - 180 * y / h
    block = ((x // 9 + y // 7) % 2 == 0)
    r = np.where(block, r, 255 - r)
    noise = np.random.default_rng(23).integers(-12, 13, size=(h, w, 3))
    rgb = np.stack([r, g, b], axis=-1) + noise
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def with_black(im):
    """CMYK with a real black channel (Pillow's convert("CMYK") leaves K at 0): 80% under-colour removal."""
    cmy = 255 - np.asarray(im, dtype=np.int32)
    k = cmy.min(axis=-1) * 4 // 5
    return Image.fromarray(np.concatenate([cmy - k[..., None], k[..., None]], axis=-1).astype(np.uint8), "CMYK")


# ---------------------------------------------------------------- the two preprocessings

def short_side_to(w, h):
    short, long = min(w, h), max(w, h)
    n = int(S * long / short)
    return (S, n) if w <= h else (n, S)


def openai(im):
    """clip/clip.py _transform(224): Resize(BICUBIC) in the image's own mode, CenterCrop,
    convert("RGB"), ToTensor, Normalize (torchvision's arithmetic, in numpy float32)."""
    im = im.resize(short_side_to(*im.size), Image.BICUBIC)
    w, h = im.size
    left, top = int(round((w - S) / 2.0)), int(round((h - S) / 2.0))
    im = im.crop((left, top, left + S, top + S)).convert("RGB")
    u8 = np.asarray(im, dtype=np.uint8).transpose(2, 0, 1).copy()
    x = u8.astype(np.float32) / np.float32(255)
    return u8, ((x - MEAN[:, None, None]) / STD[:, None, None]).astype(np.float32)


def hf(im):
    """transformers CLIPImageProcessor (slow): convert("RGB"), resize, crop floor, rescale in double."""
    im = im.convert("RGB")
    im = im.resize(short_side_to(*im.size), Image.BICUBIC)
    a = np.asarray(im, dtype=np.uint8)
    h, w = a.shape[:2]
    top, left = (h - S) // 2, (w - S) // 2
    a = a[top:top + S, left:left + S]
    u8 = a.transpose(2, 0, 1).copy()
    x = (u8.astype(np.float64) * (1 / 255)).astype(np.float32)
    return u8, ((x - MEAN[:, None, None]) / STD[:, None, None]).astype(np.float32)


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


# ---------------------------------------------------------------- BMP RLE, fixed

def fixed_rle_decode(self, buffer):
    """Pillow's BmpRleDecoder with the upstream fixes: a delta's two bytes are the ones just
    read (9443), and an RLE4 absolute run of n pixels takes ceil(n / 2) bytes, the last nibble of
    an odd run being padding (9710)."""
    rle4 = self.args[1]
    width = self.state.xsize
    total = width * self.state.ysize
    out = bytearray()
    x = 0
    while len(out) < total:
        pair = self.fd.read(2)
        if len(pair) < 2:
            break
        count, code = pair
        if count:
            count = max(0, min(count, width - x))
            for i in range(count):
                out.append((code >> 4 if i % 2 == 0 else code & 15) if rle4 else code)
            x += count
        elif code == 0:
            while len(out) % width:
                out.append(0)
            x = 0
        elif code == 1:
            break
        elif code == 2:
            delta = self.fd.read(2)
            if len(delta) < 2:
                break
            out += bytes(delta[0] + delta[1] * width)
            x = len(out) % width
        else:
            data = self.fd.read((code + 1) // 2 if rle4 else code)
            if rle4:
                nibbles = [n for b in data for n in (b >> 4, b & 15)]
                out += bytes(nibbles[:code])
            else:
                out += data
            if len(data) < ((code + 1) // 2 if rle4 else code):
                break
            x += code
            if self.fd.tell() % 2:
                self.fd.seek(1, os.SEEK_CUR)
    self.set_as_raw(bytes(out), ("L" if self.mode == "L" else "P", 0, self.args[-1]))
    return -1, 0


PILLOW_94_RLE = BmpImagePlugin.BmpRleDecoder.decode


def bmp_header(size, w, h, bits, compression, image, colors, header=40):
    off = 14 + header + 4 * colors
    info = struct.pack("<IiiHHIIiiII", header, w, h, 1, bits, compression, image, 2835, 2835, colors, colors)
    return b"BM" + struct.pack("<IHHI", off + size, 0, 0, off) + info + bytes(header - 40)


def palette_bytes(colors):
    return b"".join(bytes((b, g, r, 0)) for r, g, b in colors)


def rle8_delta():
    """12 x 6, bottom-up; escapes: 00 00 end of line, 00 01 end of bitmap, 00 02 dx dy delta."""
    pal = [(i * 16 % 256, 255 - i * 9, (i * 53) % 256) for i in range(16)]
    d = bytes([4, 1, 0, 3, 2, 3, 4, 0, 3, 9, 0, 0,  # run 4 x 1; absolute 2 3 4 (odd: a pad byte); run; EOL
               0, 2, 3, 1,                          # delta 3 right, 1 up: row 1 skipped, row 2 from x 3
               5, 7, 0, 0,                          # run 5 x 7; EOL
               12, 2, 0, 0,                         # a full row; EOL
               0, 4, 1, 2, 3, 4,                    # absolute 4 (even: no pad)
               0, 2, 2, 0,                          # delta 2 right
               8, 11, 0, 0,                         # a run of 8 cut to the 6 left in the row; EOL
               12, 13, 0, 1])                       # the last row; end of bitmap
    return bmp_header(len(d), 12, 6, 8, 1, len(d), 16) + palette_bytes(pal) + d


def rle4_delta():
    """10 x 5, bottom-up, 4-bit indices (runs alternate the two nibbles)."""
    pal = [(255 - i * 15, i * 15, (i * 80) % 256) for i in range(16)]
    d = bytes([5, 0x12, 0, 3, 0x34, 0x50, 0, 0,  # run 1 2 1 2 1; absolute 3 (2 bytes, last nibble padding); EOL
               0, 2, 4, 1,                      # delta 4 right, 1 up
               6, 0x7A, 0, 0,                   # run 7 A 7 A 7 A; EOL
               0, 5, 0x9B, 0xCD, 0xE0, 0,       # absolute 5 (3 bytes, then a pad byte to an even offset)
               3, 0x66, 0, 0,                   # run; EOL
               10, 0xF1, 0, 1])                 # the last row; end of bitmap
    return bmp_header(len(d), 10, 5, 4, 2, len(d), 16) + palette_bytes(pal) + d


def os2v2(bits):
    im = source(13, 7)
    if bits == 8:
        p = im.quantize(37)
        rgb = p.getpalette()[:37 * 3]
        pal = [tuple(rgb[i:i + 3]) for i in range(0, len(rgb), 3)]
        stride = (13 + 3) & ~3
        rows = [bytes(p.crop((0, y, 13, y + 1)).tobytes()) + bytes(stride - 13) for y in range(6, -1, -1)]
        data = b"".join(rows)
        return bmp_header(len(data), 13, 7, 8, 0, len(data), 37, header=64) + palette_bytes(pal) + data
    stride = (13 * 3 + 3) & ~3
    rows = []
    for y in range(6, -1, -1):
        line = im.crop((0, y, 13, y + 1)).tobytes()
        rows.append(b"".join(line[i:i + 3][::-1] for i in range(0, 39, 3)) + bytes(stride - 39))
    data = b"".join(rows)
    return bmp_header(len(data), 13, 7, 24, 0, len(data), 0, header=64) + data


# ---------------------------------------------------------------- JPEG helpers

def segments(data):
    """(marker, start, end) of each marker segment before the first scan's data."""
    out, i = [], 2
    while i < len(data):
        m = data[i + 1]
        n = struct.unpack(">H", data[i + 2:i + 4])[0]
        out.append((m, i, i + 2 + n))
        if m == 0xDA:
            break
        i += 2 + n
    return out


def insert_after_soi(data, seg):
    return data[:2] + seg + data[2:]


def app13_first(data):
    iptc = b"\x1c\x02\x00\x00\x02\x00\x04" + b"\x1c\x02\x78\x00\x05chat\x2e"
    block = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    if len(block) % 2:
        block += b"\x00"
    body = b"Photoshop 3.0\x00" + block
    return insert_after_soi(data, b"\xff\xed" + struct.pack(">H", len(body) + 2) + body)


def dqt16(data):
    """Rewrites every 8-bit quantisation table as a 16-bit one with its values tripled (some over 255)."""
    out, last = bytearray(), 0
    for m, a, b in segments(data):
        if m != 0xDB:
            continue
        out += data[last:a]
        body, i, new = data[a + 4:b], 0, bytearray()
        while i < len(body):
            pq, tq = body[i] >> 4, body[i] & 15
            assert pq == 0
            vals = body[i + 1:i + 65]
            new += bytes([0x10 | tq]) + b"".join(struct.pack(">H", v * 3) for v in vals)
            i += 65
        out += b"\xff\xdb" + struct.pack(">H", len(new) + 2) + new
        last = b
    return bytes(out + data[last:])


def drop_app14(data):
    for m, a, b in segments(data):
        if m == 0xEE:
            return data[:a] + data[b:]
    raise ValueError("no APP14")


def sos_offsets(data):
    i, found = 2, []
    while i < len(data) - 1:
        if data[i] == 0xFF and data[i + 1] == 0xDA:
            found.append(i)
        i += 1
    return found


# ICC profiles: minimal matrix/TRC display profiles (v2), written here. D50-adapted primaries.
def icc(description, red, green, blue, trc):
    def s15(v):
        return struct.pack(">i", int(round(v * 65536)))

    def xyz(v):
        return b"XYZ " + bytes(4) + b"".join(s15(c) for c in v)

    desc = description.encode() + b"\x00"
    tags = [
        (b"desc", b"desc" + bytes(4) + struct.pack(">I", len(desc)) + desc + bytes(4 + 4 + 2 + 1 + 67)),
        (b"cprt", b"text" + bytes(4) + b"No copyright, sdclip test data\x00"),
        (b"wtpt", xyz((0.9642, 1.0, 0.8249))),
        (b"rXYZ", xyz(red)),
        (b"gXYZ", xyz(green)),
        (b"bXYZ", xyz(blue)),
        (b"rTRC", trc),
        (b"gTRC", trc),
        (b"bTRC", trc),
    ]
    table, blob = b"", b""
    offset = 128 + 4 + 12 * len(tags)
    for sig, body in tags:
        while len(body) % 4:
            body += b"\x00"
        table += sig + struct.pack(">II", offset + len(blob), len(body))
        blob += body
    size = offset + len(blob)
    header = (struct.pack(">I", size) + b"lcms" + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp" + b"APPL" + bytes(4) + bytes(4) + bytes(4)
              + bytes(8) + bytes(4) + s15(0.9642) + s15(1.0) + s15(0.8249) + b"sdcl" + bytes(16) + bytes(28))
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + blob


def gamma_curve(g):
    return b"curv" + bytes(4) + struct.pack(">IH", 1, int(round(g * 256)))


def srgb_curve():
    vals = []
    for i in range(1024):
        v = i / 1023
        v = v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
        vals.append(int(round(v * 65535)))
    return b"curv" + bytes(4) + struct.pack(">I", 1024) + struct.pack(">1024H", *vals)


ADOBE_RGB = icc("Adobe RGB (1998) compatible, sdclip test", (0.60974, 0.31111, 0.01947),
                (0.20528, 0.62567, 0.06087), (0.14919, 0.06322, 0.74457), gamma_curve(563 / 256))
DISPLAY_P3 = icc("Display P3 compatible, sdclip test", (0.51512, 0.24120, -0.00105),
                 (0.29198, 0.69225, 0.04189), (0.15710, 0.06657, 0.78407), srgb_curve())


def jpegw(name, im, space, sampling):
    raw = os.path.join(HERE, "jpegw.in")
    with open(raw, "wb") as f:
        f.write(im.tobytes())
    mode = "cmyk" if im.mode == "CMYK" else "rgb"
    w, h = im.size
    subprocess.run([os.path.join(HERE, "jpegw"), raw, os.path.join(HERE, name), str(w), str(h), mode, space,
                    sampling], check=True)
    os.remove(raw)


def save(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def pillow_jpeg(im, **kw):
    b = io.BytesIO()
    im.save(b, "JPEG", **kw)
    return b.getvalue()


# ---------------------------------------------------------------- the corpus

def make():
    subprocess.run(["gcc", "-O1", "-o", os.path.join(HERE, "jpegw"), os.path.join(HERE, "jpegw.c"), "-ljpeg"],
                   check=True)
    rgb = source(40, 30)
    odd = source(41, 31)
    cases = []  # (file, what it covers)

    def jpeg(name, what, data):
        save(name, data)
        cases.append((name, what))

    jpeg("jpeg-420.jpg", "baseline 4:2:0 (Pillow's default)", pillow_jpeg(rgb))
    jpeg("jpeg-422.jpg", "baseline 4:2:2", pillow_jpeg(rgb, subsampling=1))
    jpeg("jpeg-444.jpg", "baseline 4:4:4", pillow_jpeg(rgb, subsampling=0))
    jpeg("jpeg-420-odd.jpg", "4:2:0, odd width and height", pillow_jpeg(odd, quality=90))
    jpegw("jpeg-440.jpg", rgb, "ycbcr", "1x2,1x1,1x1")
    cases.append(("jpeg-440.jpg", "4:4:0 (libjpeg-turbo's h1v2 fancy upsampling)"))
    jpegw("jpeg-440-odd.jpg", odd, "ycbcr", "1x2,1x1,1x1")
    cases.append(("jpeg-440-odd.jpg", "4:4:0, odd width and height"))
    jpegw("jpeg-411.jpg", rgb, "ycbcr", "4x1,1x1,1x1")
    cases.append(("jpeg-411.jpg", "4:1:1"))
    jpeg("jpeg-progressive.jpg", "progressive 4:2:0", pillow_jpeg(rgb, progressive=True))
    jpeg("jpeg-gray.jpg", "grayscale", pillow_jpeg(rgb.convert("L")))
    jpeg("jpeg-icc-adobe-rgb.jpg", "an Adobe RGB (1998) ICC profile: ignored",
         pillow_jpeg(rgb, icc_profile=ADOBE_RGB))
    jpeg("jpeg-icc-display-p3.jpg", "a Display P3 ICC profile: ignored", pillow_jpeg(rgb, icc_profile=DISPLAY_P3))
    jpeg("jpeg-app13-first.jpg", "APP13 (Photoshop IPTC) before the JFIF APP0", app13_first(pillow_jpeg(rgb)))
    jpeg("jpeg-dqt16.jpg", "16-bit quantisation tables", dqt16(pillow_jpeg(rgb, quality=30)))
    jpegw("jpeg-rgb.jpg", rgb, "rgb", "1x1,1x1,1x1")
    cases.append(("jpeg-rgb.jpg", "RGB components (Adobe transform 0)"))
    cmyk = with_black(rgb)
    adobe = pillow_jpeg(cmyk)
    jpeg("jpeg-cmyk-adobe.jpg", "CMYK, Adobe marker (transform 0, inverted as Photoshop writes)", adobe)
    jpeg("jpeg-cmyk-plain.jpg", "CMYK, no Adobe marker", drop_app14(adobe))
    jpegw("jpeg-ycck.jpg", cmyk, "ycck", "2x2,1x1,1x1,2x2")
    cases.append(("jpeg-ycck.jpg", "YCCK (Adobe transform 2), chroma 2x2 subsampled"))
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        jpeg(f"jpeg-exif-{o}.jpg", f"Exif orientation {o}", pillow_jpeg(rgb, exif=exif.tobytes()))
    whole = pillow_jpeg(rgb, quality=90)
    jpeg("jpeg-truncated.jpg", "cut in the middle of its scan", whole[:len(whole) * 3 // 5])
    jpeg("jpeg-no-eoi.jpg", "all scans, no EOI marker", whole[:-2])
    prog = pillow_jpeg(rgb, progressive=True, quality=90)
    jpeg("jpeg-progressive-cut.jpg", "progressive, ends before its last scan", prog[:sos_offsets(prog)[-1]])

    save("bmp-rle8-delta.bmp", rle8_delta())
    cases.append(("bmp-rle8-delta.bmp", "RLE8 with delta escapes, odd absolute run"))
    save("bmp-rle4-delta.bmp", rle4_delta())
    cases.append(("bmp-rle4-delta.bmp", "RLE4 with a delta escape, odd absolute runs"))
    save("bmp-os2v2-8bit.bmp", os2v2(8))
    cases.append(("bmp-os2v2-8bit.bmp", "OS/2 2.x header (64 bytes), 8-bit palette"))
    save("bmp-os2v2-24bit.bmp", os2v2(24))
    cases.append(("bmp-os2v2-24bit.bmp", "OS/2 2.x header (64 bytes), 24-bit"))
    b = io.BytesIO()
    source(13, 7).save(b, "BMP")
    save("bmp-24bit.bmp", b.getvalue())
    cases.append(("bmp-24bit.bmp", "Windows 24-bit (the JDK's reader)"))
    b = io.BytesIO()
    source(13, 7).quantize(20).save(b, "BMP")
    save("bmp-8bit.bmp", b.getvalue())
    cases.append(("bmp-8bit.bmp", "Windows 8-bit palette (the JDK's reader)"))
    os.remove(os.path.join(HERE, "jpegw"))
    return cases


def record(cases):
    expected, tensors = [], {}
    for name, what in cases:
        path = os.path.join(HERE, name)
        entry = {"file": name, "what": what}
        if name.endswith(".bmp"):
            BmpImagePlugin.BmpRleDecoder.decode = PILLOW_94_RLE
            try:
                with Image.open(path) as im:
                    im.load()
                    entry["pillow_9_4"] = sha(np.asarray(im))
            except Exception as e:  # noqa: BLE001
                entry["pillow_9_4"] = f"{type(e).__name__}: {e}"
            BmpImagePlugin.BmpRleDecoder.decode = fixed_rle_decode
        try:
            with Image.open(path) as im:
                im.load()
                entry.update(mode=im.mode, width=im.size[0], height=im.size[1])
                pixels = np.asarray(im)
                if im.mode == "P":
                    pal = im.getpalette()  # the entries the file defines; the rest read as a gray ramp
                    entry["palette"] = sha(np.array(pal, dtype=np.uint8))
                    entry["palette_entries"] = len(pal) // 3
                entry["decoded"] = sha(pixels)
                tensors[name] = pixels
                for label, f in (("openai", openai), ("hf", hf)):
                    u8, values = f(im)
                    entry[label] = {"pixel_u8": sha(u8), "pixel_values": sha(values.astype("<f4"))}
                t = ImageOps.exif_transpose(im)
                if t.size != im.size or not np.array_equal(np.asarray(t), pixels):
                    tp = {"width": t.size[0], "height": t.size[1], "decoded": sha(np.asarray(t))}
                    for label, f in (("openai", openai), ("hf", hf)):
                        u8, values = f(t)
                        tp[label] = {"pixel_u8": sha(u8), "pixel_values": sha(values.astype("<f4"))}
                    entry["exif_transpose"] = tp
        except Exception as e:  # noqa: BLE001
            entry["pillow_error"] = f"{type(e).__name__}: {e}"
        expected.append(entry)
    return expected, tensors


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, a in tensors.items():
        a = np.ascontiguousarray(a, dtype=np.uint8)
        header[name] = {"dtype": "U8", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    header["__metadata__"] = {"made_by": "make-corpus.py", "pillow": PIL.__version__}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    cases = make()
    expected, tensors = record(cases)
    meta = {"pillow": PIL.__version__, "libjpeg_turbo": features.version("libjpeg_turbo") or "",
            "numpy": np.__version__, "python": sys.version.split()[0], "fixtures": expected}
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    write_safetensors(os.path.join(HERE, "decoded.safetensors"), tensors)
    for e in expected:
        print(f"{e['file']:28} {e.get('mode', '-'):5} {e.get('pillow_error', '')}")


if __name__ == "__main__":
    main()
