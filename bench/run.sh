#!/usr/bin/env bash
# Runs the benchmarks and rewrites bench/RESULTS.md: per benchmark the exact command, the commit, the date,
# the machine's load average before and after (this machine is shared: a busy neighbour shows there), the
# duration and the full output. Each run's log is kept in bench/logs/NAME.log (committed): a run replaces its own
# benchmark's log only, and RESULTS.md is rendered from all of them.
#   bench/run.sh              every benchmark (about 55 minutes on 2 idle cores)
#   bench/run.sh NAME...      only these (train tasks analysis profile optimizer memory phase-change variants contention contention-alone seeds allocator)
#   bench/run.sh --render     rewrite RESULTS.md from the logs, running nothing
# Runs only on a clean checkout of the code, so the commit recorded is the code that produced the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A ARGS=(
  [train]="bench train --rounds 5"
  [tasks]="bench tasks"
  [analysis]="bench analysis"
  [profile]="bench profile"
  [optimizer]="bench optimizer"
  [memory]="bench memory"
  [phase-change]="bench phase-change --seeds 3 --steps 800 --lr 0.003,0.01 --warmup-steps 100,20 --batch-size 64,32"
  [variants]="bench variants"
  [contention]="bench contention --alone-rounds 8 --rounds 2"
  [contention-alone]="bench contention --modes default,spin1000 --alone-rounds 20 --rounds 0"
  [seeds]="bench seeds --seeds 4 --rounds 3"
  [allocator]="bench allocator --rounds 5"
)
ORDER=(train tasks analysis profile optimizer memory phase-change variants contention contention-alone seeds allocator)
LOGS=bench/logs
names=("$@"); [[ ${#names[@]} -eq 0 ]] && names=("${ORDER[@]}")
[[ "${names[0]}" == --render ]] && names=()
if [[ ${#names[@]} -gt 0 && -n "$(git status --porcelain -- src tasks build Directory.Build.targets)" ]]; then
  echo "bench/run.sh: the code has uncommitted changes; commit them first so the numbers name their code" >&2
  exit 2
fi
commit=$(git rev-parse --short HEAD)
mkdir -p "$LOGS"
for name in "${names[@]}"; do
  [[ -n "${ARGS[$name]:-}" ]] || { echo "unknown benchmark $name (known: ${ORDER[*]})" >&2; exit 2; }
  log=$LOGS/$name.log
  start=$(date +%s); before=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "== ./toolkit ${ARGS[$name]}" >&2
  ./toolkit ${ARGS[$name]} > "$log.out" 2> "$log.err" || { echo "$name failed; see $log.err" >&2; exit 1; }
  { echo "#commit $commit"; echo "#command ./toolkit ${ARGS[$name]}"; echo "#date $(date -u '+%Y-%m-%d %H:%M UTC')";
    echo "#load-before $before"; echo "#load-after $(cut -d' ' -f1-3 /proc/loadavg)"; echo "#seconds $(( $(date +%s) - start ))";
    cat "$log.out"; } > "$log"
  rm -f "$log.out" "$log.err"
done
{
  echo "# Benchmark results"
  echo
  echo "Written by \`bench/run.sh\` from the logs in \`bench/logs/\`. Every figure below is what the command printed;"
  echo "ratios compare against a baseline measured in the same run. The load average (1, 5, 15 min) before and"
  echo "after each run says how busy the shared 2-core machine was: above about 2, absolute speeds are depressed."
  for name in "${ORDER[@]}"; do
    log=$LOGS/$name.log
    [[ -f $log ]] || continue
    echo
    echo "## $name"
    echo
    sed -n 's/^#command \(.*\)/command: `\1`/p; s/^#commit \(.*\)/commit: \1/p; s/^#date \(.*\)/date: \1/p; s/^#load-before \(.*\)/load average before: \1/p; s/^#load-after \(.*\)/load average after: \1/p; s/^#seconds \(.*\)/seconds: \1/p' "$log" | sed 's/$/  /'
    echo
    echo '```'
    grep -v '^#' "$log"
    echo '```'
  done
} > bench/RESULTS.md
echo "wrote bench/RESULTS.md" >&2
