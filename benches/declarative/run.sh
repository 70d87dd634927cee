#!/usr/bin/env bash
# What the shipped declarative rules cost: `bplint check` (release) over the 12 sample
# blueprints copied COPIES times, with and without them, plus rules that need JSONPath
# evaluation on serde_json copies. Runs are interleaved; medians of RUNS runs are printed.
#   bash benches/declarative/run.sh [COPIES=50] [RUNS=9]
# BPLINT=path/to/bplint times that binary instead of building this checkout's.
set -euo pipefail
cd "$(dirname "$0")/../.."
copies=${1:-50}
runs=${2:-9}
samples=${SAMPLES:-../shared/samples/blueprints}
if [ -n "${BPLINT:-}" ]; then
  bin=$BPLINT
else
  bin=${CARGO_TARGET_DIR:-target}/release/bplint
  cargo build --release --quiet
fi
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
for i in $(seq 1 "$copies"); do mkdir "$corpus/c$i"; cp "$samples"/*.json "$corpus/c$i/"; done
echo "corpus: $(ls "$corpus"/*/*.json | wc -l) files, $(du -sm "$corpus" | cut -f1) MB"
modes=(
  "built-in only|--no-declarative"
  "built-in + shipped declarative|"
  "built-in + 1 dynamic rule|--no-declarative --rules benches/declarative/dynamic-1.toml"
  "built-in + 3 dynamic rules|--no-declarative --rules benches/declarative/dynamic-3.toml"
  "built-in + 1 module-scoped \$..|--no-declarative --rules benches/declarative/descendant.toml"
  "built-in + 1 chain-then-filter rule|--no-declarative --rules benches/declarative/chain.toml"
)
declare -A times
for r in $(seq 1 "$runs"); do
  for m in "${modes[@]}"; do
    name=${m%%|*}; args=${m#*|}
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$bin" check "$corpus" --format compact $args >/dev/null || true
    end=$(date +%s.%N)
    times[$name]+="$(echo "$end - $start" | bc) "
  done
done
base=""
for m in "${modes[@]}"; do
  name=${m%%|*}
  med=$(echo "${times[$name]}" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  [ -z "$base" ] && base=$med
  printf '%-36s median %.3f s  ratio %.2f\n' "$name" "$med" "$(echo "$med / $base" | bc -l)"
done
