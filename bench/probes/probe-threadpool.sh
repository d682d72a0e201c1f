#!/bin/sh
# Issue 7 probe: builds bench/probes/probe-threadpool.cpp against node-llama-cpp's prebuilt libraries
# (headers from the llama.cpp checkout bench/llama-cpp.ts made, same commit) into /tmp and runs
# it: no threadpool (node-llama-cpp's way) vs an attached persistent threadpool (llama-server's
# way) vs no threadpool with every call handed to a worker thread (node-llama-cpp's AsyncWorkers), 1 and 2 threads, alternating, next to llama-bench tg on the same model.
#
#   sh bench/probes/probe-threadpool.sh [model.gguf] [tokens] [rounds]
set -eu
cd "$(dirname "$0")/../.."
MODEL=${1:-.cache/models/random-qwen2.5-0.5b-1810d81183a2efae.gguf}
TOKENS=${2:-128}
ROUNDS=${3:-3}
SRC=${LLAMA_BRIDGE_CACHE:-$HOME/.cache/llama-bridge}/llama.cpp-de3ff815ea7d
PREBUILT=node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
BIN=/tmp/probe-threadpool
g++ -O2 -std=c++17 -I"$SRC/include" -I"$SRC/ggml/include" bench/probes/probe-threadpool.cpp -o "$BIN" \
  -L"$PREBUILT" -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so -Wl,-rpath,"$(pwd)/$PREBUILT" -pthread
for round in $(seq "$ROUNDS"); do
  for t in 1 2; do
    "$BIN" "$PREBUILT" "$MODEL" $t none "$TOKENS" 50 1
    "$BIN" "$PREBUILT" "$MODEL" $t pool "$TOKENS" 50 1
    "$BIN" "$PREBUILT" "$MODEL" $t hop "$TOKENS" 50 1
    LD_LIBRARY_PATH="$SRC/build/bin" "$SRC/build/bin/llama-bench" -m "$MODEL" -p 0 -n "$TOKENS" -t $t -r 1 -o jsonl 2>/dev/null | sed -n 's/.*"avg_ts": *\([0-9.]*\).*/\1/p' | awk -v t=$t '{printf "llama-bench threads=%d: %.1f tok/s\n", t, $1}'
  done
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
done
