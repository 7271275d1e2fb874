#!/usr/bin/env bash
# A six-artist stage on a lent GPU, then per-artist fine-tunes from it, as one prepared run (device time is short).
#   1. two stages from the Claude Monet model on the training paintings of all six artists, at once:
#      L1 alone and GAN + L1 (batch 16, --ema 0.999); the L1 stage is staged in $OUT at once;
#   2. from them, for each artist still missing a target, at once: a GAN + L1 fine-tune of the GAN stage and,
#      for Warhol and Dali, an a*b* class model from the L1 stage; packed into $OUT (15 MiB parts).
# Every run keeps 10% of its training paintings out (--tune-percent 10) to choose between candidates there.
# Needs weights/claude-monet-lab and the packed data in .gpu/paintings (python -m bench.gpu_pack --paintings ...).
# Usage: bash bench/gpu_stage.sh [STAGE_MIN] [TUNE_MIN]
# A CPU rehearsal: DRY="--limit 8 --epochs 1 --epochs-decay 1" bash bench/gpu_stage.sh 0.2 0.2
source "$(dirname "$0")/gpu_lib.sh"
STAGE_MIN=${1:-3.3}
TUNE_MIN=${2:-3.5}
declare -A EPOCHS=([monet]=15 [picasso]=40 [warhol]=60 [dali]=80)  # about 1,000-1,600 steps of 16 each

say "1. two six-artist stages, $STAGE_MIN min each"
export OMP_NUM_THREADS=8
at_once "$STAGE_MIN" "
train stage-l1 $SIX --init weights/claude-monet-lab --lambda-gan 0 --ema 0.999 --epochs 50 --epochs-decay 50 --time-budget $STAGE_MIN &
train stage-gan $SIX --init weights/claude-monet-lab --ema 0.999 --epochs 50 --epochs-decay 50 --time-budget $STAGE_MIN &"
tar cf "$OUT/stage.tar" -C "$W" $(files stage-l1) && say "staged: $(ls -la "$OUT/stage.tar")"

say "2. fine-tunes, $TUNE_MIN min each"
export OMP_NUM_THREADS=2
runs=""
for a in monet picasso warhol dali; do
  runs+="train gan-$a --artist $a --init $W/stage-gan --lr 1e-4 --epochs ${EPOCHS[$a]} --epochs-decay ${EPOCHS[$a]} --time-budget $TUNE_MIN &"$'\n'
done
for a in warhol dali; do
  runs+="train cls-$a --artist $a --init $W/stage-l1 --classes --lambda-l1 0 --lambda-gan 0 --lr 2e-4 --epochs ${EPOCHS[$a]} --epochs-decay ${EPOCHS[$a]} --time-budget $TUNE_MIN &"$'\n'
done
at_once "$TUNE_MIN" "$runs"

pack tunes 'gan-*' 'cls-*'
finish
