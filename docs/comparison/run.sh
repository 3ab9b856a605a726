#!/usr/bin/env bash
# Reproduces docs/comparison/*.json: every control method on the bundled GAN-Control shapes model
# and on the plain StyleGAN2 baseline, with `gan-control evaluate --compare` (the root README's
# table, "Compared with post-hoc methods"). Run from the repository root after
# `npx nx run gan-control:build`:
#
#   docs/comparison/run.sh [gan-control] [baseline]   # default: both models
#
# The baseline is packages/domain-shapes/baseline-model (BASELINE=<model folder> takes another, e.g.
# a training run's runs/shapes-32-baseline/model). OUT=<folder> writes the reports elsewhere. The
# model folders are copied to a temporary directory (fits are written into a model folder; the
# committed ones are left alone). A trained baseline's model.json names no attributes (it was
# trained without them), so the copy records the shapes plugins, as `convert --attribute` does for a
# converted model (the committed baseline-model already records them).
set -euo pipefail
# Backend: the CLI's default (wasm here, with the native addon when it is built); GAN_CONTROL_NATIVE=0
# turns the addon off. Training the regressors is not bit-identical across kernels, so their rows'
# last digits can differ between the two (docs/comparison/README.md says which the table used).
baseline=${BASELINE:-packages/domain-shapes/baseline-model}
[ -f "$baseline/model.json" ] || { echo "run.sh: no model.json in $baseline (usage: [BASELINE=<model folder>] docs/comparison/run.sh [gan-control] [baseline])" >&2; exit 2; }
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(gan-control baseline)
out=${OUT:-$(cd "$(dirname "$0")" && pwd)}
mkdir -p "$out"
repo=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r packages/domain-shapes/model "$work/gan-control"
cp -r "$baseline" "$work/baseline"
jq '.attributes = [{"name":"color","options":{}},{"name":"position","options":{}},{"name":"size","options":{}}]' "$work/baseline/model.json" > "$work/m.json"
mv "$work/m.json" "$work/baseline/model.json"

# Run inside the temporary folder, so the reports name the models 'gan-control' and 'baseline'.
gc() { (cd "$work" && node "$repo/apps/cli/dist/cli.js" "$@"); }
# Wall-clock seconds of each fit, appended to <model>.fit-seconds.txt (machine-dependent; not in the table's digits).
timed() { local model=$1 t=$SECONDS; shift; "$@"; echo "$(( SECONDS - t )) s: ${*:2}" >> "$out/$model.fit-seconds.txt"; }
eval_flags=(--samples 16 --steps 9 --range-samples 512 --compare --json)
for m in "${models[@]}"; do
  : > "$out/$m.fit-seconds.txt"
  timed "$m" gc directions --model "$m" --samples 2048 --seed 0 --json | jq 'del(.file)' > "$out/$m.interfacegan-fit.json"
  timed "$m" gc directions --model "$m" --method ganspace --samples 2048 --seed 0 --components 10 --json | jq 'del(.file)' > "$out/$m.ganspace-fit.json"
  timed "$m" gc directions --model "$m" --method regression --samples 16384 --seed 0 --hidden 256,256,256 --epochs 60 --json | jq 'del(.folder)' > "$out/$m.regression-fit.json"
  if [ "$m" = gan-control ]; then gc evaluate --model "$m" --method gan-control "${eval_flags[@]}" > "$out/$m.gan-control.json"; fi
  gc evaluate --model "$m" --method interfacegan "${eval_flags[@]}" > "$out/$m.interfacegan.json"
  gc evaluate --model "$m" --method ganspace --fit-samples 2048 "${eval_flags[@]}" > "$out/$m.ganspace.json"
  gc evaluate --model "$m" --method regression "${eval_flags[@]}" > "$out/$m.regression.json"
  gc evaluate --model "$m" --method regression --regression-mode replace "${eval_flags[@]}" > "$out/$m.regression-replace.json"
done
