#!/bin/bash
# Heatmaps of a whole crop dataset spread over a SLURM job array: one shard per array task, then
# one merge job. Submit with:
#   jobid=$(sbatch --parsable --array=0-15 tools/slurm-cam-batch.sh DATA MODEL OUTDIR)
#   sbatch --dependency=afterok:$jobid --wrap "weaksight cam-merge --out OUTDIR/cams.wscam OUTDIR/shard-*.wscam"
#   weaksight evaluate --data DATA --model MODEL --cache OUTDIR/cams.wscam --out OUTDIR/report
# A shard that is killed or pre-empted can simply be resubmitted: it continues its own file.
#SBATCH --job-name=weaksight-cams
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
set -euo pipefail
data=$1 model=$2 out=$3
methods=${WEAKSIGHT_METHODS:-cam,gradcam,gradcam++,smoothgradcam++,scorecam}
mkdir -p "$out"
shards=${SLURM_ARRAY_TASK_COUNT:?run as an array job}
exec weaksight --log-file "$out/shard-$SLURM_ARRAY_TASK_ID.log" cam-batch \
    --data "$data" --model "$model" --methods "$methods" --split all --crops lesion \
    --device cuda --batch 64 --shard "$SLURM_ARRAY_TASK_ID/$shards" \
    --out "$out/shard-$SLURM_ARRAY_TASK_ID.wscam"
