#!/usr/bin/env python3
"""Writes the GGUF test fixtures under testdata/src/main/resources/sdclip/testdata/gguf/.

Everything is written by llama.cpp's gguf-py (GGUFWriter, and quants.py for quantizing and for
the reference dequantization), so the files are what llama.cpp's own tools write. Run from the
repository root with Debian's python3 and gguf-py on the path (gguf-py imports numpy and
sentencepiece: apt-get install python3-numpy python3-sentencepiece):

    PYTHONPATH=../shared/tools/gguf-py /usr/bin/python3 testdata/scripts/make-gguf-fixtures.py

Deterministic: the same gguf-py gives the same bytes. Files:

  quants.gguf               v3: one [2, 512] tensor per type sdclip reads (F32, F16, BF16, Q8_0, Q4_0,
                            Q4_1, Q5_0, Q5_1 quantized from `input` by quants.py; Q2_K..Q6_K as seeded
                            random blocks with finite scales, since quants.py cannot quantize them),
                            a 3-D F32 tensor, an I32 tensor, and metadata of every value type
  quants.expected.safetensors  `input` and, per tensor, quants.py's dequantized F32 values
  quants-v2.gguf            quants.gguf with its version field set to 2 (v2 and v3 share the layout)
  aligned64.gguf            general.alignment 64, two tensors
  big-endian.gguf           GGUFWriter(endianess=BIG): must be refused as big-endian
  iq4_nl.gguf               one IQ4_NL tensor: must be refused naming the type
  tiny-clip-vision.f16.gguf tiny-clip's vision tower as llama.cpp's convert_image_encoder_to_gguf.py
                            writes it with --vision-only (v.* names, fc1 as ffn_down, fc2 as ffn_up,
                            clip.vision.* metadata, 2-D and 4-D weights F16, the rest F32)
"""

import json
import struct
import sys
from pathlib import Path

import numpy as np

import gguf
from gguf import GGMLQuantizationType as T
from gguf.constants import Keys

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "testdata/src/main/resources/sdclip/testdata/gguf"
REFERENCE = ROOT.parent / "shared/reference/models/tiny-clip.safetensors"


def read_safetensors(path):
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=dtypes[e["dtype"]]).reshape(e["shape"])
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype=np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    path.write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def finish(w):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def random_k_blocks(rng, qtype, rows, cols):
    """Seeded random K-quant blocks whose F16 scale fields hold finite values of a sensible size."""
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(rows * cols // block, size), dtype=np.uint8)
    # where the F16 fields sit in each block (see ggml-common.h)
    f16_fields = {T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}[qtype]
    for at in f16_fields:
        scale = (rng.standard_normal(len(blocks)) * 0.01).astype(np.float16)
        blocks[:, at:at + 2] = scale.view(np.uint8).reshape(-1, 2)
    return blocks.reshape(rows, cols // block * size)


def quants():
    rng = np.random.default_rng(20250125)
    x = (rng.standard_normal((2, 512)) * 0.5).astype(np.float32)
    w = gguf.GGUFWriter(OUT / "quants.gguf", arch="sdclip-test")
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_float32("test.f32", 0.15625)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "h\u00e9llo")
    w.add_uint64("test.u64", 2**63 + 5)
    w.add_int64("test.i64", -(2**40))
    w.add_float64("test.f64", 1 / 3)
    w.add_array("test.array_i32", [1, -2, 3])
    w.add_array("test.array_str", ["a", "bc"])
    w.add_array("test.array_f32", [0.5, 0.25])
    expected = {"input": x}
    for t in (T.F32, T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1):
        q = gguf.quants.quantize(x, t)
        if t == T.BF16:
            w.add_tensor(t.name.lower(), q, raw_dtype=t)
        else:
            w.add_tensor(t.name.lower(), q, raw_dtype=t if t not in (T.F32, T.F16) else None)
        expected[t.name.lower()] = gguf.quants.dequantize(q, t)
    for t in (T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K):
        q = random_k_blocks(rng, t, 2, 512)
        w.add_tensor(t.name.lower(), q, raw_dtype=t)
        expected[t.name.lower()] = gguf.quants.dequantize(q, t)
    cube = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 11.5
    w.add_tensor("f32_3d", cube)
    expected["f32_3d"] = cube
    w.add_tensor("i32", np.array([7, -8, 9, 2**31 - 1, -(2**31)], dtype=np.int32))
    finish(w)
    write_safetensors(OUT / "quants.expected.safetensors", expected)
    v2 = bytearray((OUT / "quants.gguf").read_bytes())
    v2[4:8] = struct.pack("<I", 2)
    (OUT / "quants-v2.gguf").write_bytes(bytes(v2))


def small_files():
    w = gguf.GGUFWriter(OUT / "aligned64.gguf", arch="sdclip-test")
    w.add_custom_alignment(64)
    w.add_tensor("a", np.array([1.5, -2.0, 3.25], dtype=np.float32))
    w.add_tensor("b", np.array([[1, 2], [3, 4]], dtype=np.float16))
    finish(w)

    w = gguf.GGUFWriter(OUT / "big-endian.gguf", arch="sdclip-test", endianess=gguf.GGUFEndian.BIG)
    w.add_tensor("a", np.array([1.5, -2.0, 3.25, 4.0], dtype=np.float32))
    finish(w)

    w = gguf.GGUFWriter(OUT / "iq4_nl.gguf", arch="sdclip-test")
    w.add_tensor("w", np.zeros((1, 18), dtype=np.uint8), raw_dtype=T.IQ4_NL)
    finish(w)


def llama_cpp_name(name):
    """get_tensor_name() of llama.cpp's convert_image_encoder_to_gguf.py, for CLIP keys."""
    if "projection" in name:
        return name
    for a, b in (("text_model", "t"), ("vision_model", "v"), ("encoder.layers", "blk"), ("embeddings.", ""),
                 ("_proj", ""), ("self_attn.", "attn_"), ("layer_norm", "ln"), ("layernorm", "ln"),
                 ("mlp.fc1", "ffn_down"), ("mlp.fc2", "ffn_up"), ("embedding", "embd"), ("final", "post"),
                 ("layrnorm", "ln")):
        name = name.replace(a, b)
    return name


def clip_vision():
    src = read_safetensors(REFERENCE)
    cfg = json.loads((REFERENCE.parent / "models.json").read_text())["tiny-clip"]["vision"]
    w = gguf.GGUFWriter(OUT / "tiny-clip-vision.f16.gguf", arch="clip")
    w.add_bool("clip.has_text_encoder", False)
    w.add_bool("clip.has_vision_encoder", True)
    w.add_bool("clip.has_llava_projector", False)
    w.add_file_type(1)
    w.add_name("tiny-clip")
    w.add_description("vision-only CLIP model")
    w.add_uint32("clip.vision.image_size", cfg["image_size"])
    w.add_uint32("clip.vision.patch_size", cfg["patch_size"])
    w.add_uint32(Keys.LLM.EMBEDDING_LENGTH.format(arch="clip.vision"), cfg["width"])
    w.add_uint32(Keys.LLM.FEED_FORWARD_LENGTH.format(arch="clip.vision"), cfg["mlp_width"])
    w.add_uint32("clip.vision.projection_dim", 32)
    w.add_uint32(Keys.Attention.HEAD_COUNT.format(arch="clip.vision"), cfg["heads"])
    w.add_float32(Keys.Attention.LAYERNORM_EPS.format(arch="clip.vision"), cfg["layer_norm_eps"])
    w.add_uint32(Keys.LLM.BLOCK_COUNT.format(arch="clip.vision"), cfg["layers"])
    w.add_array("clip.vision.image_mean", [0.48145466, 0.4578275, 0.40821073])
    w.add_array("clip.vision.image_std", [0.26862954, 0.26130258, 0.27577711])
    w.add_bool("clip.use_gelu", cfg["activation"] == "gelu")
    # CLIPModel.state_dict() order for the vision tower
    keys = ["vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
            "vision_model.embeddings.position_embedding.weight", "vision_model.pre_layrnorm.weight",
            "vision_model.pre_layrnorm.bias"]
    for l in range(cfg["layers"]):
        p = f"vision_model.encoder.layers.{l}."
        for part in ("self_attn.k_proj", "self_attn.v_proj", "self_attn.q_proj", "self_attn.out_proj",
                     "layer_norm1", "mlp.fc1", "mlp.fc2", "layer_norm2"):
            keys += [p + part + ".weight", p + part + ".bias"]
    keys += ["vision_model.post_layernorm.weight", "vision_model.post_layernorm.bias", "visual_projection.weight"]
    for k in keys:
        data = src[k].squeeze()
        name = llama_cpp_name(k)
        if data.ndim == 4 or (name.endswith(".weight") and data.ndim == 2):
            data = data.astype(np.float16)
        else:
            data = data.astype(np.float32)
        w.add_tensor(name, data)
    finish(w)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    quants()
    small_files()
    if not REFERENCE.exists():
        sys.exit(f"{REFERENCE} not found: the llama.cpp CLIP fixture needs the reference data")
    clip_vision()
