#!/usr/bin/env bash
# One run of the table issue #25 asks for: ONNX Runtime, then sdclip F32 / F16 / Q8_0 / Q4_K on the
# same formula model, text then images, then ONNX Runtime again; each sdclip run's peak RSS too.
#   benchmarks/dtype-table.sh DIR ORT-DIR [SECONDS]
# DIR holds vitl.safetensors (./sdclip synth --vision), vitl.f16.safetensors, vitl.q8_0.gguf and
# vitl.q4_k.gguf (./sdclip convert vitl.safetensors ... --dtype f16 / --type q8_0 / q4_k).
# ORT-DIR is a copy of ../shared/anchors with ort-java built and clip-text.onnx / clip-vision.onnx
# exported as its README says. Prints one JSON line per run. Every sdclip run uses
# SDCLIP_JAVA_OPTS=-Xmx256m (unless set), so the RSS figures compare the models, not heap growth.
# Never run it while anything else runs on the machine.
set -euo pipefail
export SDCLIP_TOKENIZER=${SDCLIP_TOKENIZER:-$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/../shared/reference/tokenizer/bpe_simple_vocab_16e6.txt.gz}
root="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir=$1 ort=$2 seconds=${3:-3}
export SDCLIP_JAVA_OPTS=${SDCLIP_JAVA_OPTS:--Xmx256m}
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
ort_run() { # ONNX-FILE REPS
  (cd "$ort/ort-java" && "$java" -cp "target/ort-bench-1.jar:target/dependency/*" OrtBench "$ort/$1" 2 "$2" --json 2>/dev/null | tail -1)
}
sdclip_run() { # MODEL [--vision]: bench's JSON line with the process's peak RSS added
  local out rss
  out=$(mktemp) rss=$(mktemp)
  /usr/bin/time -f '%M' -o "$rss" "$root/sdclip" bench --threads 2 --json --quiet --seconds "$seconds" \
    --model "$dir/$1" "${@:2}" >"$out" 2>/dev/null
  tail -1 "$out" | sed "s/}\$/, \"peak_rss_kb\": $(cat "$rss")}/"
  rm -f "$out" "$rss"
}
models=(vitl.safetensors vitl.f16.safetensors vitl.q8_0.gguf vitl.q4_k.gguf)
ort_run clip-text.onnx 10
for m in "${models[@]}"; do sdclip_run "$m"; done
ort_run clip-vision.onnx 5
for m in "${models[@]}"; do sdclip_run "$m" --vision; done
ort_run clip-text.onnx 10
ort_run clip-vision.onnx 5
for m in "${models[@]}"; do # a cold one-prompt encode (page cache warm): wall seconds and peak RSS, three times
  for i in 1 2 3; do
    /usr/bin/time -f "{\"encode\": \"$m\", \"wall_s\": %e, \"peak_rss_kb\": %M}" \
      "$root/sdclip" encode --quiet --model "$dir/$m" --output "$dir/cold.npy" "a photo of a cat" 2>&1 >/dev/null | tail -1
  done
done
rm -f "$dir/cold.npy"
