#!/usr/bin/env bash
# Rows per second of the generated "messages by status per day" expression over 100 pages of
# 1000 Twilio-shaped messages: metric (jlens-core, release) against jsonata-js 2 in node, on the
# same pages, in one run. Prints both sides' figures and the ratios.
#
# The machine is shared: both sides measure CPU time (rows per CPU-second), print the wall-clock
# time of the same runs to stderr, and run alternately three times, each keeping its best
# figure, so that a burst of load elsewhere cannot favour one side.
set -euo pipefail
cd "$(dirname "$0")/../../.."
target="${CARGO_TARGET_DIR:-target}"
scratch="$target/jsonata-js-bench"
mkdir -p "$scratch"

# jsonata-js goes in a scratch folder under the target dir, never in the repository.
if [ ! -d "$scratch/node_modules/jsonata" ]; then
  (cd "$scratch" && npm install --silent --no-audit --no-fund --no-save jsonata@2 >/dev/null)
fi
echo "jsonata-js $(node -p "require('$scratch/node_modules/jsonata/package.json').version"), node $(node --version), $(nproc) cores"

cargo bench -q -p metric --bench jsonata_vs_js --no-run
runs=""
for _ in 1 2 3; do
  runs+="$(cargo bench -q -p metric --bench jsonata_vs_js -- --write "$scratch/data")"$'\n'
  runs+="$(node crates/metric/bench/jsonata_vs_js.mjs "$scratch/data" "$scratch/node_modules")"$'\n'
done

best() { awk -v k="$1" '$1 == k && $2 > m { m = $2 } END { print m }' <<<"$runs"; }
for k in rust_eval_value_rows_per_sec rust_eval_page_rows_per_sec rust_extract_value_rows_per_sec \
  rust_text_to_rows_per_sec js_eval_rows_per_sec js_text_to_rows_per_sec; do
  printf '%-34s %10s\n' "$k" "$(best $k)"
done
awk -v rv="$(best rust_eval_value_rows_per_sec)" -v rp="$(best rust_eval_page_rows_per_sec)" \
  -v rt="$(best rust_text_to_rows_per_sec)" -v je="$(best js_eval_rows_per_sec)" \
  -v jt="$(best js_text_to_rows_per_sec)" 'BEGIN {
  printf "ratio, evaluation on parsed pages (engine pages / JS objects): %.1fx\n", rp / je
  printf "ratio, evaluation on serde_json values / JS objects:            %.1fx\n", rv / je
  printf "ratio, page text to rows (parse + evaluate [+ rows, Rust only]): %.1fx\n", rt / jt
}'
