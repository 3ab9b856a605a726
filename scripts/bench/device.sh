#!/usr/bin/env bash
# Quiet-machine check for machines without Node: the addon's conv kernels (C++ harness) against
# PyTorch on the same 2 cores (taskset), and the PyTorch StyleGAN2 step. Writes JSON to $OUT.
set -u
OUT=${OUT:-/tmp/bench-out}
mkdir -p "$OUT"
lscpu | grep -E "Model name" > "$OUT/cpu.txt"
g++ -O3 -march=native -std=c++17 -pthread -DGAN_NATIVE_NO_NAPI packages/backend/native/bench_conv.cc -o /tmp/bench_conv
for t in 1 2; do taskset -c 0,1 /tmp/bench_conv $t 20 > "$OUT/native-$t.json"; done
PY=${PY:-python3}
OMP_NUM_THREADS=2 taskset -c 0,1 $PY scripts/bench/torch_bench.py --threads 2 --reps 20 --steps 5 --sections conv,gan > "$OUT/torch.json"
OMP_NUM_THREADS=1 taskset -c 0 $PY scripts/bench/torch_bench.py --threads 1 --reps 10 --sections conv > "$OUT/torch-1.json"
cat "$OUT"/*.json "$OUT/cpu.txt"
