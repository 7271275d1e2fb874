# Helpers shared by the prepared GPU runs (sourced by gpu_stage.sh and gpu_zoom.sh; needs T0, W, LOGS and DRY set).
say() { echo "[$(($(date +%s) - T0)) s] $*"; }
train() {  # train NAME OPTIONS...: one colorizer into $W/NAME, its log in $LOGS/NAME.log
  local name=$1
  shift
  python3 -m train.colorize "$@" --data .gpu/paintings --tune-percent 10 --batch-size 16 --checkpoint-every 600 \
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
