#!/usr/bin/env bash
# Regenerates scripts/RESULTS.md from the experiment scripts' default runs.
#   scripts/results.sh            run every experiment (one at a time), then rewrite RESULTS.md
#   scripts/results.sh NAME...    run only these (e.g. phase-change), then rewrite RESULTS.md
#   scripts/results.sh --collect  rewrite RESULTS.md from the saved records, running nothing
#   scripts/results.sh --threads N NAME...   pass --threads N to each script (recorded in its command). With
#                                 --threads 1 the scripts that train through the seed runner (exp.TrainAll) run as many
#                                 seeds at once as there are cores; the others use one core, so two clones running
#                                 disjoint NAMEs of those finish sooner; copy their records into one checkout and --collect
# Experiments run only on a clean checkout of the code (src/, tasks/, scripts/, build/): the commit a record names is
# then the code that produced it. Each run saves its record, scripts/results/NAME.log (committed: the date, the
# duration, the status, the code commit, the exact command and every line the script printed starting with "RESULT:"),
# and its full output in runs/experiments/NAME/stdout.log (not committed). A section's code commit is the newest commit
# that changed the code every script shares (src/, tasks/, the build, scripts/lib) or that section's own script; a
# record made at an older commit is still reported, under a line that says it is stale and how many commits of that
# code it predates, so RESULTS.md never passes old numbers off as current and never loses them either.
set -euo pipefail
cd "$(dirname "$0")/.."
ALL=(fixed-vs-variable-period fixed-period-repeats phase-change phase-change-sizes kqv-similarity exaptation pattern-in-noise set-extraction new-task dropout-heads positions conv-attn routed-arithmetic encoder-decoder poems-vs-articles superposition grokking relational ioi ioi-set-extraction text-induction fine-tuning)
# The code every script runs; the benchmark harness (bench/run.sh's code) computes no script's result.
SHARED=(src tasks build toolkit Directory.Build.props Directory.Build.targets paket.dependencies paket.lock scripts/lib scripts/toolkit.csx
        ':(exclude)src/Toolkit.Cli/Bench' ':(exclude)src/Toolkit.Cli/Commands/BenchCommand.cs')
code_commit() { git log -1 --format=%h --abbrev=7 -- "${SHARED[@]}" "scripts/$1.csx"; } # code_commit NAME

code_is_clean() { [[ -z "$(git status --porcelain -- "${SHARED[@]}" scripts/*.csx)" ]]; }

run_one() {
  local name=$1 dir=runs/experiments/$1
  mkdir -p "$dir" scripts/results
  echo "== $name" >&2
  local start; start=$(date +%s)
  local status
  local command=(./toolkit run "scripts/$name.csx" "${THREADS[@]}")
  if "${command[@]}" > "$dir/stdout.log.tmp" 2>&1; then status=ok; else status="failed (exit $?)"; fi
  local seconds=$(( $(date +%s) - start ))
  { echo "#date $(date -u '+%Y-%m-%d %H:%M UTC')"; echo "#seconds $seconds"; echo "#status $status"
    echo "#commit $(code_commit "$name")"; echo "#command ${command[*]}"; echo "#question $(question "$name")"
    cat "$dir/stdout.log.tmp"; } > "$dir/stdout.log"
  rm -f "$dir/stdout.log.tmp"
  grep -E '^(#|RESULT:|CLAIM:|MEASURE:)' "$dir/stdout.log" > "scripts/results/$name.log" || true
  grep '^RESULT:' "$dir/stdout.log" >&2 || true
}

# The script's header comment up to its usage line, as one paragraph: the question it asks and how.
question() { awk '/^\/\/   \.\/toolkit run/ || !/^\/\//{exit} {sub(/^\/\/ ?/, ""); printf "%s%s", (NR > 1 ? " " : ""), $0}' "scripts/$1.csx"; }

# The record's claims (CLAIM lines: family, claim, estimate, seeds, p, Holm-adjusted p, decision; tab-separated) as a
# markdown table.
claims_table() {
  echo "| claim | estimate [95% interval] | seeds | p | Holm-adjusted p | decision |"
  echo "|---|---|---|---|---|---|"
  awk -F'\t' '$1 == "CLAIM:" { for (i = 3; i <= 8; i++) gsub(/\|/, "\\|", $i); printf "| %s | %s | %s | %s | %s | %s |\n", $3, $4, $5, $6, $7, $8 }' "$1"
}

# The figures' shared awk: rows of 22 px under a title, labels right-aligned at x 412, a plot from x 420 to 740 with
# five gridlines; row(i, label, tip) opens row i's group (a <title> tooltip and the label) and returns its centre.
SVG_AWK='
  function esc(t) { gsub(/&/, "\\&amp;", t); gsub(/</, "\\&lt;", t); gsub(/>/, "\\&gt;", t); return t }
  function frame(n, title, ticks,   k, t) {
    h = 56 + 22 * n; split(ticks, t, "|")
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">\n", h
    printf "<text x=\"8\" y=\"16\" font-size=\"12\" font-weight=\"bold\">%s</text>\n", esc(title)
    for (k = 0; k <= 4; k++)
      printf "<line x1=\"%d\" y1=\"28\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", 420 + k * 80, 420 + k * 80, h - 20, 420 + k * 80, h - 6, t[k + 1]
    return h
  }
  function row(i, label, tip,   y) {
    y = 40 + 22 * i - 6; if (length(label) > 64) label = substr(label, 1, 63) "…"
    printf "<g><title>%s</title><text x=\"412\" y=\"%d\" text-anchor=\"end\">%s</text>", esc(tip), y + 4, esc(label)
    return y
  }'

# The same claims as a figure (SVG): each claim's p-value (hollow) and Holm-adjusted p-value (filled: green when shown)
# on one log axis, with the 5% line, so which claims survive the correction reads at a glance whatever their units.
claims_figure() {
  awk -F'\t' -v title="$2" "$SVG_AWK"'
    function x(p) { if (p !~ /^[0-9.eE+-]+$/ || p <= 0) p = 1e-4; v = -log(p) / log(10); if (v > 4) v = 4; return 420 + v * 80 }
    $1 == "CLAIM:" { n++; what[n] = $3; p[n] = $6; adj[n] = $7; dec[n] = $8 }
    END {
      h = frame(n, title ": p (hollow) and Holm-adjusted p (filled, green when shown)", "1|1e-1|1e-2|1e-3|1e-4")
      printf "<text x=\"412\" y=\"%d\" text-anchor=\"end\" fill=\"#555\">p-value (log scale)</text>\n", h - 6
      printf "<line x1=\"%.1f\" y1=\"28\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>", x(0.05), x(0.05), h - 20
      printf "<text x=\"%.1f\" y=\"38\" fill=\"#c00\">5%%</text>\n", x(0.05) + 4
      for (i = 1; i <= n; i++) {
        y = row(i, what[i], what[i] ": p " p[i] ", Holm-adjusted " adj[i] ", " dec[i])
        if (dec[i] ~ /^too few/) { printf "<text x=\"424\" y=\"%d\" fill=\"#888\">not tested: %s</text></g>\n", y + 4, esc(dec[i]); continue }
        printf "<circle cx=\"%.1f\" cy=\"%d\" r=\"4\" fill=\"none\" stroke=\"#555\"/>", x(p[i]), y
        printf "<circle cx=\"%.1f\" cy=\"%d\" r=\"4\" fill=\"%s\"/></g>\n", x(adj[i]), y, (dec[i] ~ /^shown/ ? "#2a7" : "#999")
      }
      print "</svg>"
    }' "$1"
}

# The record's headline numbers (MEASURE lines: what, estimate, value, low, high, baseline, chance, their numbers, axis;
# tab-separated) as a markdown table.
measures_table() {
  echo "| measurement | estimate [95% interval] | position-only baseline | chance |"
  echo "|---|---|---|---|"
  awk -F'\t' '$1 == "MEASURE:" { for (i = 2; i <= 8; i++) { gsub(/\|/, "\\|", $i); if ($i == "") $i = "–" } printf "| %s | %s | %s | %s |\n", $2, $3, $7, $8 }' "$1"
}

# The shares among them as a figure (SVG) on one 0–100% axis: the interval, the estimate, and ticks at the position-only
# baseline (orange) and chance (grey), so a probe's distance from both reads at a glance.
measures_figure() {
  awk -F'\t' -v title="$2" "$SVG_AWK"'
    function x(v) { if (v < 0) v = 0; if (v > 1) v = 1; return 420 + v * 320 }
    $1 == "MEASURE:" && $11 == "share" { n++; what[n] = $2; est[n] = $3; v[n] = $4; lo[n] = $5; hi[n] = $6; b[n] = $9; c[n] = $10 }
    END {
      frame(n, title ": estimate and 95% interval; position-only baseline (orange), chance (grey)", "0%|25%|50%|75%|100%")
      for (i = 1; i <= n; i++) {
        y = row(i, what[i], what[i] ": " est[i])
        if (c[i] != "") printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\" stroke-width=\"2\"/>", x(c[i]), y - 7, x(c[i]), y + 7
        if (b[i] != "") printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e80\" stroke-width=\"2\"/>", x(b[i]), y - 7, x(b[i]), y + 7
        if (lo[i] != "" && hi[i] != "") printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#247\" stroke-width=\"2\"/>", x(lo[i]), y, x(hi[i]), y
        printf "<circle cx=\"%.1f\" cy=\"%d\" r=\"4\" fill=\"#247\"/></g>\n", x(v[i]), y
      }
      print "</svg>"
    }' "$1"
}

collect() {
  local out=scripts/RESULTS.md
  {
    echo "# Experiment results"
    echo
    echo "Generated by \`scripts/results.sh\` from the records its runs saved (\`scripts/results/NAME.log\`). Each section gives the"
    echo "question (the script's header), the conclusion the script computed from its numbers with the library's rules, the"
    echo "exact command, the code commit, the date and the run time; then, where the record has them, a table and a figure of"
    echo "its headline numbers with their 95% intervals and a table and a figure of its claims with their raw and"
    echo "Holm-adjusted p-values; then every line the script printed starting with \`RESULT:\`. A section run at an older"
    echo "commit than the newest one that changed its code says so first (records made before the tables existed have none). Full logs:"
    echo "\`runs/experiments/NAME/stdout.log\` on the machine that ran them; reports: \`runs/experiments/NAME/report.html\`."
    echo "Machine: $(nproc) cores (shared), CPU only. Same seed, config and thread count give the same numbers."
    for name in "${ALL[@]}"; do
      local log=scripts/results/$name.log current; current="$(code_commit "$name")"
      echo
      echo "## $name"
      echo
      if [[ ! -f $log ]]; then echo "Not run yet: run \`scripts/results.sh $name\`."; continue; fi
      local commit; commit="$(sed -n 's/^#commit //p' "$log")"
      if [[ $commit != "$current" ]]; then
        local since; since="$(git rev-list --count "$commit..$current" -- "${SHARED[@]}" "scripts/$name.csx" 2>/dev/null || echo "an unknown number of")"
        echo "**Stale.** Run at commit ${commit:-unknown}; $since later commits changed the code this section runs (newest: $current), so"
        echo "these numbers describe commit ${commit:-unknown}'s code. Refresh with \`scripts/results.sh $name\`."
        echo
      fi
      local asked; asked="$(sed -n 's/^#question //p' "$log")"
      echo "**Question and design.** ${asked:-$(question "$name")}"
      echo
      local conclusions; conclusions="$(grep '^RESULT: conclusion: ' "$log" | sed 's/^RESULT: conclusion: //' || true)"
      echo "**Conclusion.** ${conclusions:-(the script prints no conclusion line: see the measurements)}"
      echo
      echo "**Run.** \`$(sed -n 's/^#command //p' "$log")\` at commit $commit: $(sed -n 's/^#date //p' "$log"), $(sed -n 's/^#seconds //p' "$log") s, $(sed -n 's/^#status //p' "$log")."
      local note; note="$(sed -n 's/^#note //p' "$log")"
      [[ -n $note ]] && { echo; echo "$note"; }
      echo
      if grep -q '^MEASURE:' "$log"; then
        echo "**Measurements** (95% intervals: over sequences for one seed, Student t over seeds for a mean; docs/design.md §4):"
        echo
        measures_table "$log"
        echo
      fi
      if grep -qP '^MEASURE:.*\tshare$' "$log"; then
        measures_figure "$log" "$name" > "scripts/results/$name-measures.svg"
        echo "![$name: accuracies with their intervals beside the position-only baseline and chance](results/$name-measures.svg)"
        echo
      else
        rm -f "scripts/results/$name-measures.svg"
      fi
      if grep -q '^CLAIM:' "$log"; then
        echo "**Claims** (over seeds, decided as one family with Holm's correction; docs/design.md §4):"
        echo
        claims_table "$log"
        echo
        claims_figure "$log" "$name" > "scripts/results/$name.svg"
        echo "![$name: p-values of the claims before and after Holm's correction](results/$name.svg)"
        echo
      else
        rm -f "scripts/results/$name.svg"
      fi
      echo "<details><summary>Every measurement ($(grep -c '^RESULT:' "$log" || true) lines the script printed)</summary>"
      echo
      grep '^RESULT:' "$log" | sed 's/^RESULT: /- /' || echo "- (no RESULT lines: see the log)"
      echo
      echo "</details>"
    done
  } > "$out"
  echo "wrote $out" >&2
}

case ${1:-} in
  -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
  --collect) collect; exit 0 ;;
esac
if ! code_is_clean; then
  echo "error: the code has uncommitted changes, so no commit would describe these results" >&2
  echo "hint: commit (or stash) the changes under src/, tasks/, scripts/ and build/, then run scripts/results.sh again" >&2
  exit 2
fi
THREADS=()
if [[ ${1:-} == --threads ]]; then THREADS=(--threads "$2"); shift 2; fi
names=("$@"); [[ ${#names[@]} -eq 0 ]] && names=("${ALL[@]}")
for n in "${names[@]}"; do
  if [[ ! -f scripts/$n.csx || " ${ALL[*]} " != *" $n "* ]]; then
    echo "error: '$n' is not an experiment of the results run" >&2
    echo "hint: name one of: ${ALL[*]} (or --collect, --threads N, --help)" >&2
    exit 2
  fi
done
for n in "${names[@]}"; do run_one "$n"; done
collect
