#!/usr/bin/env bash
# Throughput of ClipJob on local[N] against `sdclip score` on the same machine and model, as
# marginal seconds per image-caption pair: each is run on SMALL and on LARGE pairs, and the
# difference of the two wall times over LARGE - SMALL pairs is the cost of one more pair, JVM
# start, Spark start and model open cancelled out. Both use THREADS threads for the model.
#   benchmarks/spark-throughput.sh MODEL [SMALL LARGE THREADS [MODEL-OPTIONS...]]
# MODEL: a whole CLIP model (`./sdclip synth --vision --output vitl.safetensors` makes a
# full-size ViT-L/14 without a download). Needs `spark/clipjob build` first. Never run it while
# anything else runs on the machine.
set -euo pipefail
root="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model=$1 small=${2:-24} large=${3:-72} threads=${4:-2}
extra=("${@:5}") # e.g. --heads 4 --vision-heads 4 --tokenizer VOCAB for the tiny test model
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
images=("$root"/../shared/reference/images/*)
captions=("a photo of an astronaut" "a cat on a sofa" "a cup of coffee" "the CLIP logo"
  "a gray image" "a picture with transparency" "a cat in the grass")

make_pairs() { # N DIR: N images with sidecar captions, and the lists sdclip score reads
  local n=$1 dir=$2 i src ext
  mkdir -p "$dir/pairs"
  : >"$dir/images.txt"
  : >"$dir/prompts.txt"
  for ((i = 0; i < n; i++)); do
    src=${images[i % ${#images[@]}]}
    ext=${src##*.}
    printf -v name '%05d' "$i"
    cp "$src" "$dir/pairs/$name.$ext"
    echo "${captions[i % ${#captions[@]}]}, number $i" | tee "$dir/pairs/$name.txt" >>"$dir/prompts.txt"
    echo "pairs/$name.$ext" >>"$dir/images.txt"
  done
}

seconds() { # runs "$@", prints its wall time in seconds
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

"$root/sdclip" --version >/dev/null # builds the CLI jar now if the sources changed, not inside a timing
declare -A t
for n in "$small" "$large"; do
  make_pairs "$n" "$work/$n"
  t[score,$n]=$(seconds "$root/sdclip" score --model "$model" --threads "$threads" \
    --images "$work/$n/images.txt" --prompts "$work/$n/prompts.txt" --output "$work/$n/score.csv" "${extra[@]}")
  t[spark,$n]=$(seconds "$root/spark/clipjob" local score --master "local[$threads]" --threads "$threads" \
    --input "$work/$n/pairs" --output "$work/$n/spark" --shard-size 8 --model "$model" "${extra[@]}")
  [ -f "$work/$n/spark/_SUCCESS" ] || { echo "ClipJob did not finish on $n pairs" >&2; exit 1; }
done
per_score=$(echo "(${t[score,$large]} - ${t[score,$small]}) / ($large - $small)" | bc -l)
per_spark=$(echo "(${t[spark,$large]} - ${t[spark,$small]}) / ($large - $small)" | bc -l)
printf 'pairs %d and %d, %d threads\n' "$small" "$large" "$threads"
printf 'sdclip score  wall %6.1f s and %6.1f s: %.3f s per pair\n' "${t[score,$small]}" "${t[score,$large]}" "$per_score"
printf 'ClipJob       wall %6.1f s and %6.1f s: %.3f s per pair\n' "${t[spark,$small]}" "${t[spark,$large]}" "$per_spark"
printf 'ClipJob / score: %.3f\n' "$(echo "$per_spark / $per_score" | bc -l)"
