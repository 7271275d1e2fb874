#!/usr/bin/env bash
# Zoom augmentation at GPU scale, as one prepared run (device time is short). Zoom (`--min-scale`) lowered every
# artist's colour error on the CPU, where its six-artist stage ran 3,424 steps of 4; here it runs at the card's scale:
#   1. two six-artist stages at once from that CPU zoom stage (.gpu/init), both with zoom 0.3 and --ema 0.999:
#      L1 alone, and GAN + L1;
#   2. from them, at once, for the artists still missing a target: an L1 fine-tune of the L1 stage and a GAN + L1
#      fine-tune of the GAN stage (lambda L1 300; for Monet also 500, session 5's winner), each with zoom and
#      --keep-best (the epoch that scores best on the tune paintings);
#   3. the L1 stage and the fine-tunes into $OUT as one tar in 15 MiB parts, with the logs.
# Every run keeps 10% of its training paintings out (--tune-percent 10) to choose between candidates there.
# Needs the packed data in .gpu/paintings (python -m bench.gpu_pack --paintings ...) and the model to start from in
# .gpu/init (config.json + model.safetensors; session 6 used the CPU zoom stage of the README's recipe table).
# Usage: bash bench/gpu_zoom.sh [STAGE_MIN] [TUNE_MIN]
# A CPU rehearsal: DRY="--limit 8 --epochs 1 --epochs-decay 1" bash bench/gpu_zoom.sh 0.2 0.2
source "$(dirname "$0")/gpu_lib.sh"
STAGE_MIN=${1:-2.8}
TUNE_MIN=${2:-2.8}
declare -A EPOCHS=([monet]=8 [picasso]=25 [dali]=40)  # 560-960 steps of 16, judged after every epoch
declare -A ZOOM=([monet]=0.3 [picasso]=0.3 [dali]=0.2)  # as the CPU fine-tunes shipped or tried

say "1. two six-artist zoom stages, $STAGE_MIN min each"
export OMP_NUM_THREADS=8
at_once "$STAGE_MIN" "
train zoom-l1 $SIX --init .gpu/init --min-scale 0.3 --lambda-gan 0 --ema 0.999 --epochs 50 --epochs-decay 50 --time-budget $STAGE_MIN &
train zoom-gan $SIX --init .gpu/init --min-scale 0.3 --ema 0.999 --epochs 50 --epochs-decay 50 --time-budget $STAGE_MIN &"

say "2. fine-tunes, $TUNE_MIN min each"
export OMP_NUM_THREADS=2
runs=""
for a in monet picasso dali; do
  each="--artist $a --min-scale ${ZOOM[$a]} --keep-best --lr 1e-4 --epochs ${EPOCHS[$a]} --epochs-decay ${EPOCHS[$a]} --time-budget $TUNE_MIN"
  runs+="train l1-$a $each --init $W/zoom-l1 --lambda-gan 0 &"$'\n'
  runs+="train gan-$a $each --init $W/zoom-gan --lambda-l1 300 &"$'\n'
done
runs+="train gan500-monet --artist monet --min-scale 0.3 --keep-best --lr 1e-4 --epochs 8 --epochs-decay 8 --time-budget $TUNE_MIN --init $W/zoom-gan --lambda-l1 500 &"
at_once "$TUNE_MIN" "$runs"

pack zoom zoom-l1 'l1-*' 'gan-*' 'gan500-*'
finish
