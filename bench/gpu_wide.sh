#!/usr/bin/env bash
# A wider colorizer lineage on a lent GPU, as one prepared run (device time is short). Every shipped colorizer is
# ngf 16 (6.8 MB); ngf 32 has 4x the parameters and still fits the 50 MB limit (27 MB in fp16). Two lineages,
# side by side, each the shipped models' stages redone from scratch on all six artists' training paintings:
#   1. GAN + L1 with zoom augmentation (--min-scale 0.3, --ema 0.999, batch 16): ngf 32, and ngf 16 as the control;
#   2. from each, the six-artist L1 zoom stage the shipped Monet and Warhol models were fine-tuned from, with its
#      CPU recipe (L1 alone, lr 2e-4, batch 4, 4 + 4 epochs, zoom 0.3);
#   3. the ngf 32 stages of both steps and the control's L1 stage into $OUT (15 MiB parts), with the logs.
# The per-artist fine-tunes then run on the CPU with the shipped recipes. Every run keeps 10% of its training
# paintings out (--tune-percent 10) to choose between candidates there.
# Needs the packed data in .gpu/paintings (python -m bench.gpu_pack --paintings ...).
# Usage: bash bench/gpu_wide.sh [GAN_MIN] [L1_MIN]
# A CPU rehearsal: DRY="--limit 8 --epochs 1 --epochs-decay 1" bash bench/gpu_wide.sh 0.3 0.3
source "$(dirname "$0")/gpu_lib.sh"
GAN_MIN=${1:-4.3}
L1_MIN=${2:-2.3}
export OMP_NUM_THREADS=8

say "1. two six-artist GAN + L1 stages from scratch, $GAN_MIN min each"
at_once "$GAN_MIN" "
train gan32 $SIX --ngf 32 --min-scale 0.3 --ema 0.999 --epochs 100 --epochs-decay 100 --time-budget $GAN_MIN &
train gan16 $SIX --ngf 16 --min-scale 0.3 --ema 0.999 --epochs 100 --epochs-decay 100 --time-budget $GAN_MIN &"

say "2. the L1 zoom stages from them, $L1_MIN min each"
at_once "$L1_MIN" "
train l1-32 $SIX --init $W/gan32 --min-scale 0.3 --lambda-gan 0 --lr 2e-4 --epochs 4 --epochs-decay 4 --batch-size 4 --time-budget $L1_MIN &
train l1-16 $SIX --init $W/gan16 --min-scale 0.3 --lambda-gan 0 --lr 2e-4 --epochs 4 --epochs-decay 4 --batch-size 4 --time-budget $L1_MIN &"

pack wide gan32 l1-32 l1-16
finish
