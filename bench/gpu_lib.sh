# What the prepared GPU runs share (sourced first by gpu_stage.sh and gpu_zoom.sh): the folders, the six artists,
# the environment record, and helpers to train colorizers side by side under a hard stop and to pack the results.
set -u
OUT=${OUT:-/tmp/gpu-out}
STAGE=${STAGE:-/tmp/gpu-stage}
W=$STAGE/weights
LOGS=$STAGE/logs
mkdir -p "$OUT" "$W" "$LOGS"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
T0=$(date +%s)
SIX="--artist monet --artist picasso --artist titian --artist warhol --artist dali --artist malevich"

say() { echo "[$(($(date +%s) - T0)) s] $*"; }
train() {  # train NAME OPTIONS...: one colorizer into $W/NAME (OPTIONS override the defaults), its log in $LOGS/NAME.log
  local name=$1
  shift
  python3 -m train.colorize --data .gpu/paintings --tune-percent 10 --batch-size 16 --checkpoint-every 600 "$@" \
    --out "$W/$name" ${DRY:-} > "$LOGS/$name.log" 2>&1
  say "$name: exit $?"
}
budget() { awk "BEGIN {print int($1 * 60 + 90)}"; }  # a hard stop: the budget plus time to load and save
files() { for d in "$@"; do echo "$d/config.json $d/model.safetensors $d/README.md"; done; }
at_once() {  # at_once MINUTES RUNS: the runs (lines of `train ...`) side by side, stopped at the hard stop
  timeout "$(budget "$1")" bash -c "$(declare -f train say); T0=$T0 W=$W LOGS=$LOGS DRY='${DRY:-}'
$2
wait"
}
pack() {  # pack NAME 'PATTERN'...: the trained model folders in $W matching the (quoted) patterns, as $OUT/NAME.tar.partNN
  local name=$1 trained
  shift
  trained=$(cd "$W" && shopt -s nullglob && for d in $*; do [ -f "$d/model.safetensors" ] && echo "$d"; done)
  [ -n "$trained" ] && tar cf - -C "$W" $(files $trained) | split -b 15m -d - "$OUT/$name.tar.part"
}
finish() {  # the logs into $OUT, and what is there
  tar czf "$OUT/logs.tgz" -C "$STAGE" logs
  say "done: $(ls "$OUT" | tr '\n' ' ')"
}

{ nvidia-smi; python3 -c "import torch; print('torch', torch.__version__)"; } > "$LOGS/env.txt" 2>&1
say "environment: $(tail -1 "$LOGS/env.txt")"
