#!/usr/bin/env bash
# Minor page faults every 15 s while one training at GPT-2's vocabulary runs (conv-attn.csx's Attn-Attn shape: d_vocab
# 21,888, context 128, batch 32, one thread, 60 steps): a heap kept for reuse shows faults while it grows to its peak
# (the first steps), then near none until the final evaluation; a heap that is trimmed and grown again shows bursts
# between. Usage: bench/heap-faults.sh [LABEL] (environment variables such as TOOLKIT_MALLOC=default pass through).
# Needs the corpora ./toolkit fetches (.toolkit/corpora/python-docs.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
label=${1:-toolkit}
out=$(mktemp -d)/run
./toolkit train --task text --param corpus=.toolkit/corpora/python-docs.txt --param format=plain --param context=128 \
  --param tokenizer=gpt2 --n-heads 4 --attn-only --d-vocab 21888 --n-ctx 128 --batch-size 32 --lr 2e-3 --steps 60 \
  --threads 1 --eval-every 1000 --out "$out" > /dev/null 2>&1 &
sleep 3
pid=$(pgrep -f "train --task text.*$out" | head -1)
line="$label: minor faults per 15 s:"
previous=0
while kill -0 "$pid" 2> /dev/null; do
  faults=$(awk '{print $10}' "/proc/$pid/stat" 2> /dev/null) || break
  line="$line $((faults - previous))"
  previous=$faults
  sleep 15
done
wait || true
echo "$line"
rm -rf "$(dirname "$out")"
