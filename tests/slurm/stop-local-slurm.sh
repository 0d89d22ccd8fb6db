#!/usr/bin/env bash
# stop-local-slurm.sh STATE_DIR: stops the daemons start-local-slurm.sh started there (by their pid
# files only: nothing else is touched), waiting up to 10 s for each.
set -uo pipefail
STATE="${1:?usage: stop-local-slurm.sh STATE_DIR}"
for pidfile in "$STATE/slurmd.daemon.pid" "$STATE/slurmctld.daemon.pid" "$STATE/munge/munged.pid"; do
  [ -f "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$pidfile"
done
exit 0
