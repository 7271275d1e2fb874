#!/usr/bin/env bash
# One session on a lent GPU machine, prepared and run as a whole (device time is short):
#   1. the training benchmark alone on the card (paper model: classic vs fast vs torch.compile, then a profile);
#   2. the shipped models trained at once (python -m train.all, a time budget per model), while the
#      CUDA-relevant tests run beside them (correctness only: the timings come from step 1);
#   3. results staged in $STAGE: logs in $OUT/logs.tgz; the model folders in $STAGE/models and, for runs with
#      --ema, their last (not averaged) weights in $STAGE/last, each as one tar split into 15 MiB parts.
# Needs the packed data in .gpu/ (python -m bench.gpu_pack). Usage: bash bench/gpu_session.sh [BUDGET_MIN]
# ONLY="maps-aerial2map maps-map2aerial" trains those alone; BENCH=0 and TESTS=0 skip steps 1 and the tests;
# COLORIZE="..." replaces the colorizers' options (default "--ngf 16 --batch-size 16").
# A CPU rehearsal of the whole script:
# DRY="--limit 8 --image-size 64 --load-size 72 --depth 6 --epochs 1 --epochs-decay 1" bash bench/gpu_session.sh 0.2
set -u
OUT=${OUT:-/tmp/gpu-out}
STAGE=${STAGE:-/tmp/gpu-stage}
BUDGET=${1:-5}
mkdir -p "$OUT" "$STAGE/logs" "$STAGE/models"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
T0=$(date +%s)
say() { echo "[$(($(date +%s) - T0)) s] $*"; }

{ nvidia-smi; python3 -c "import torch, huggingface_hub, safetensors, cv2, PIL; print('torch', torch.__version__, 'hub', huggingface_hub.__version__, 'safetensors', safetensors.__version__, 'cv2', cv2.__version__, 'PIL', PIL.__version__)"; } > "$STAGE/logs/env.txt" 2>&1
say "environment: $(tail -1 "$STAGE/logs/env.txt")"

if [ "${BENCH:-1}" != 0 ]; then
  say "training benchmark (paper model), the card to itself"
  timeout 150 python3 -m bench.train_gpu --profile ${DRY:+--device cpu} > "$STAGE/logs/bench_train_gpu.md" 2>&1
  say "bench: exit $?"
fi

say "training ${ONLY:-every model} (budget $BUDGET min each)"
timeout "$(awk "BEGIN {print int($BUDGET * 60 + 60)}")" python3 -m train.all --paintings .gpu/paintings --maps .gpu/maps \
  --out "$STAGE/weights" --log-dir "$STAGE/logs/train" --time-budget "$BUDGET" ${ONLY:+--only $ONLY} \
  --colorize-args "${COLORIZE:---ngf 16 --batch-size 16} --checkpoint-every 120 ${DRY:-}" \
  --maps-args "--ngf 32 --batch-size 16 --checkpoint-every 120 --scale 0.4767 ${DRY:-}" > "$STAGE/logs/train_all.txt" 2>&1 &
TRAIN=$!

if [ "${TESTS:-1}" != 0 ]; then
  say "CUDA tests beside the training"
  timeout 240 python3 -m pytest -q -p no:cacheprovider tests/test_train.py tests/test_models.py tests/test_hub_infer.py \
    > "$STAGE/logs/tests.txt" 2>&1
  say "tests: $(tail -1 "$STAGE/logs/tests.txt")"
fi
wait $TRAIN
say "training: exit $? $(tail -3 "$STAGE/logs/train_all.txt" | tr '\n' ' ')"

pack() {  # pack NAME FILES...: one tar of FILES (relative to $STAGE/weights) split into $STAGE/NAME/part*
  [ $# -gt 1 ] || return 0
  mkdir -p "$STAGE/$1"
  tar cf - -C "$STAGE/weights" "${@:2}" | split -b 15m -d - "$STAGE/$1/$1.tar.part"
}
shopt -s nullglob
files() { for f in "$@"; do d=${f%/model.safetensors}; d=${d#"$STAGE/weights/"}; echo "$d/config.json $d/model.safetensors $d/README.md"; done; }
pack models $(files "$STAGE"/weights/*/model.safetensors)
pack last $(files "$STAGE"/weights/*/train/last/model.safetensors)
ls -la "$STAGE"/models "$STAGE"/last 2>&1 | tee "$STAGE/logs/models.txt"
tar czf "$OUT/logs.tgz" -C "$STAGE" logs
say "done"
