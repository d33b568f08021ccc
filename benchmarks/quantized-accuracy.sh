#!/usr/bin/env bash
# Accuracy of quantized weights against F32 on one model (issue #25): conditioning and text_embeds
# cosines per row, image_embeds cosines per image, and the Spearman correlation of the 100 x 100
# image-caption cosine matrix (what CLIPScore ranks), each quantized model against the first.
#   benchmarks/quantized-accuracy.sh F32-MODEL OTHER-MODEL...
# e.g. ./sdclip synth --vision --output vitl.safetensors, then ./sdclip convert vitl.safetensors
# vitl.q8_0.gguf --type q8_0 (and q4_k). The 100 images are crops, flips and tints of
# ../shared/reference/images; the 100 captions are ../shared/reference/expected/prompts.json
# plus generated ones. Measurement only (never a test): needs python3-numpy and python3-pil.
set -euo pipefail
export SDCLIP_TOKENIZER=${SDCLIP_TOKENIZER:-$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/../shared/reference/tokenizer/bpe_simple_vocab_16e6.txt.gz}
root="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$root/../shared/reference" "$work" <<'PY'
import json, random, sys, os
from PIL import Image, ImageOps
ref, work = sys.argv[1], sys.argv[2]
rnd = random.Random(25)
srcs = sorted(os.listdir(ref + "/images"))
os.makedirs(work + "/images")
for i in range(100):
    im = Image.open(ref + "/images/" + srcs[i % len(srcs)]).convert("RGB")
    w, h = im.size
    cw, ch = int(w * rnd.uniform(0.5, 1)), int(h * rnd.uniform(0.5, 1))
    x, y = rnd.randrange(w - cw + 1), rnd.randrange(h - ch + 1)
    im = im.crop((x, y, x + cw, y + ch))
    if rnd.random() < 0.5: im = ImageOps.mirror(im)
    tint = Image.new("RGB", im.size, tuple(rnd.randrange(256) for _ in range(3)))
    im = Image.blend(im, tint, rnd.uniform(0, 0.4))
    im.save(f"{work}/images/{i:03d}.png")
prompts = [p for p in json.load(open(ref + "/expected/prompts.json")) if p]
things = ["cat", "dog", "astronaut", "cup of coffee", "horse", "city", "mountain", "logo", "car", "bird"]
places = ["on the moon", "in a kitchen", "at sunset", "in the rain", "on a table", "in a forest"]
styles = ["a photo", "an oil painting", "a pencil sketch", "a 3d render", "(masterpiece:1.2), best quality"]
while len(prompts) < 100:
    prompts.append(f"{rnd.choice(styles)} of a {rnd.choice(things)} {rnd.choice(places)}")
open(work + "/prompts.txt", "w").write("\n".join(prompts) + "\n")
PY
n=0
for model in "$@"; do
  "$root/sdclip" encode --quiet --model "$model" --prompts "$work/prompts.txt" --output "$work/text$n.safetensors"
  "$root/sdclip" encode-image --quiet --model "$model" --output "$work/image$n.safetensors" "$work"/images/*.png
  n=$((n + 1))
done
/usr/bin/python3 - "$work" "$@" <<'PY'
import json, struct, sys
import numpy as np
work, models = sys.argv[1], sys.argv[2:]
def load(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        head = json.loads(f.read(n)); data = f.read()
    out = {}
    for k, v in head.items():
        if k == "__metadata__": continue
        a, b = v["data_offsets"]
        dt = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}[v["dtype"]]
        out[k] = np.frombuffer(data[a:b], dtype=dt).reshape(v["shape"]).astype(np.float64)
    return out
def cos(a, b):
    a, b = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
def ranks(x):
    r = np.empty(len(x)); r[np.argsort(x, kind="stable")] = np.arange(len(x)); return r
def spearman(a, b):
    return np.corrcoef(ranks(a.ravel()), ranks(b.ravel()))[0, 1]
def unit(x): return x / np.linalg.norm(x, axis=1, keepdims=True)
t = [load(f"{work}/text{i}.safetensors") for i in range(len(models))]
im = [load(f"{work}/image{i}.safetensors") for i in range(len(models))]
S0 = unit(im[0]["image_embeds"]) @ unit(t[0]["text_embeds"]).T
for i in range(1, len(models)):
    c = cos(t[0]["conditioning"], t[i]["conditioning"])
    e = cos(t[0]["text_embeds"], t[i]["text_embeds"])
    v = cos(im[0]["image_embeds"], im[i]["image_embeds"])
    S = unit(im[i]["image_embeds"]) @ unit(t[i]["text_embeds"]).T
    per_caption = np.mean([spearman(S0[:, j], S[:, j]) for j in range(S.shape[1])])
    print(json.dumps({"model": models[i], "against": models[0],
        "conditioning_rows": len(c), "conditioning_cos_min": round(c.min(), 6), "conditioning_cos_median": round(float(np.median(c)), 6),
        "text_embeds_cos_min": round(e.min(), 6), "image_embeds_cos_min": round(v.min(), 6),
        "image_embeds_cos_median": round(float(np.median(v)), 6),
        "spearman_100x100": round(spearman(S0, S), 6), "spearman_per_caption_mean": round(per_caption, 6),
        "cosine_matrix_spread": round(float(S0.std()), 6)}))
PY
