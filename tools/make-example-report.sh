#!/usr/bin/env bash
# Regenerates docs/example-report/: the phantom benchmark of issue 16, end to end on the CPU.
# 40 synthetic KiTS cases, 64-px kidney crops, a tiny ResNet trained on image-level labels (no class
# balancing: validation F1 0.82 against 0.57 with --balance sampling on these crops) and a 2.5D
# one on the same crops with the planes 5 mm above and below as two more input channels, then
# `evaluate --proposals all --context-model`: the CAM rows, the refined, volumetric and 2.5D
# proposals, the supervised and the pseudo-label U-Nets, with the fraction of the gap closed.
# About 15 minutes on 2 cores.
# Usage: tools/make-example-report.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
work=${2:-$(mktemp -d /tmp/weaksight-example-report.XXXXXX)}
weaksight="$build/bin/weaksight --no-log-file"
mkdir -p "$work"
cd "$work"
start=$(date +%s)
$weaksight phantom --out cases --cases 40 --seed 2026 --thickness 5 > phantom.log
$weaksight dataset build --cases cases --out crops64 --crop 64 --seed 1 --context 1 \
  --context-spacing 5 > dataset.log
$weaksight train --data crops64 --out m64.wsm --arch tiny --epochs 40 --lr 3e-3 --step 30 \
  --seed 0 --context 0 > train.log
$weaksight train --data crops64 --out m64-2.5d.wsm --arch tiny --epochs 40 --lr 3e-3 --step 30 \
  --seed 0 > train-2.5d.log
$weaksight evaluate --data crops64 --model m64.wsm --out eval --methods gradcam,gradcam++,scorecam \
  --proposals all --unet-epochs 20 --context-model m64-2.5d.wsm | tee evaluate.log
out="$here/docs/example-report"
cp eval/report.md eval/threshold_iou.png eval/iou_intervals.png eval/confusion_matrix.png eval/examples.png "$out/"
echo "example report -> $out ($(( $(date +%s) - start )) s; work files in $work)"
