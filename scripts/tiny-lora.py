#!/usr/bin/env python3
"""Writes a small kohya-style LoRA for the reference folder's tiny SD 1.5 model (width 64, MLP 256,
3 layers): rank 4, alpha 2, on every attention and MLP linear, plus one UNet key (ignored by
sdclip). Seeded, standard library only. The docs' LoRA examples use it:

    python3 scripts/tiny-lora.py /tmp/loras/tiny-detail.safetensors
"""
import json
import random
import struct
import sys

rng = random.Random(24)
tensors = {}
for layer in range(3):
    for module, out, inp in [("self_attn_q_proj", 64, 64), ("self_attn_k_proj", 64, 64),
                             ("self_attn_v_proj", 64, 64), ("self_attn_out_proj", 64, 64),
                             ("mlp_fc1", 256, 64), ("mlp_fc2", 64, 256)]:
        stem = "lora_te_text_model_encoder_layers_%d_%s" % (layer, module)
        tensors[stem + ".lora_down.weight"] = ([4, inp], [rng.gauss(0, 0.5) for _ in range(4 * inp)])
        tensors[stem + ".lora_up.weight"] = ([out, 4], [rng.gauss(0, 0.5) for _ in range(out * 4)])
        tensors[stem + ".alpha"] = ([], [2.0])
tensors["lora_unet_mid_block_attentions_0_proj_in.alpha"] = ([], [2.0])

header, data = {"__metadata__": {"ss_network_module": "networks.lora"}}, b""
for name in sorted(tensors):
    shape, values = tensors[name]
    raw = struct.pack("<%df" % len(values), *values)
    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
    data += raw
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * (-len(h) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + data)
