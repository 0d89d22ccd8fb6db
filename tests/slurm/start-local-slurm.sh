#!/usr/bin/env bash
# start-local-slurm.sh STATE_DIR: a real single-node Slurm on this machine, for the Slurm sweep test
# (tests/Toolkit.Tests/Sweeps/SlurmSweepTests.cs) and for trying `toolkit sweep --slurm` by hand.
#
#   - installs Debian 12's slurmctld, slurmd, slurm-client and munge when they are missing (root only);
#   - writes STATE_DIR/slurm.conf: one node (this host at 127.0.0.1, all its CPUs), one partition,
#     select/cons_tres, proctrack/linuxproc and task/none (containers have no systemd or cgroups),
#     no accounting; its own ports and munge socket, so it does not touch a system Slurm or munge;
#   - starts munged, slurmctld and slurmd in the background (pid files in STATE_DIR) and waits until
#     the node is idle.
# Use it with: export SLURM_CONF=STATE_DIR/slurm.conf. Stop it with stop-local-slurm.sh STATE_DIR.
# Exit codes: 0 running; 10 the packages cannot be installed; 11 the daemons did not start
# (the reason is the last line of stderr, and the daemons' logs are in STATE_DIR).
set -uo pipefail

STATE="${1:?usage: start-local-slurm.sh STATE_DIR}"
CTLD_PORT="${TOOLKIT_SLURMCTLD_PORT:-16817}"
SLURMD_PORT="${TOOLKIT_SLURMD_PORT:-16818}"
say() { printf '[local-slurm] %s\n' "$*" >&2; }
cannot_install() { say "cannot install Slurm: $*"; exit 10; }
cannot_start() { say "cannot start Slurm: $*"; exit 11; }

# --- 1. Packages -----------------------------------------------------------------------------------
missing=()
for tool in munged slurmctld slurmd sbatch squeue sinfo; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || cannot_install "${missing[*]} missing and not root (run: apt-get install -y slurmctld slurmd slurm-client munge)"
  command -v apt-get >/dev/null 2>&1 || cannot_install "${missing[*]} missing and no apt-get on this system"
  say "installing slurmctld slurmd slurm-client munge (missing: ${missing[*]})..."
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurmctld slurmd slurm-client munge; } \
    > "${TMPDIR:-/tmp}/local-slurm-install.log" 2>&1 \
    || cannot_install "apt-get install failed (log: ${TMPDIR:-/tmp}/local-slurm-install.log)"
fi
export PATH="$PATH:/usr/sbin:/sbin"

# --- 2. Configuration ------------------------------------------------------------------------------
mkdir -p "$STATE"/{ctld,spool,munge} || cannot_start "cannot create $STATE"
STATE="$(cd "$STATE" && pwd)"
NODE="$(hostname -s)"
CPUS="$(nproc)"
KEY=/etc/munge/munge.key
if [ ! -r "$KEY" ]; then
  KEY="$STATE/munge/munge.key"
  [ -f "$KEY" ] || { dd if=/dev/urandom of="$KEY" bs=1024 count=1 2>/dev/null && chmod 600 "$KEY"; } || cannot_start "cannot write a munge key"
fi
cat > "$STATE/slurm.conf" <<END
# Written by tests/slurm/start-local-slurm.sh: one node, no systemd/cgroups, no accounting.
ClusterName=toolkit-local
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=$(id -un)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$STATE/munge/munge.socket
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=local Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
END
export SLURM_CONF="$STATE/slurm.conf"

# --- 3. Daemons ------------------------------------------------------------------------------------
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
start() { # start NAME PIDFILE COMMAND...: in the background, its pid in PIDFILE
  local name="$1" pidfile="$2"; shift 2
  if alive "$pidfile"; then say "$name already running (pid $(cat "$pidfile"))"; return 0; fi
  nohup "$@" > "$STATE/$name.out" 2>&1 < /dev/null &
  echo $! > "$pidfile"
}
start munged "$STATE/munge/munged.pid" munged --foreground --force --socket="$STATE/munge/munge.socket" \
  --key-file="$KEY" --pid-file="$STATE/munge/munged.pid.own" --log-file="$STATE/munge/munged.log" \
  --seed-file="$STATE/munge/munged.seed"
for _ in $(seq 50); do [ -S "$STATE/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$STATE/munge/munge.socket" ] || cannot_start "munged did not start ($(tail -1 "$STATE/munged.out" 2>/dev/null))"
start slurmctld "$STATE/slurmctld.daemon.pid" slurmctld -D -i -f "$SLURM_CONF"
start slurmd "$STATE/slurmd.daemon.pid" slurmd -D -f "$SLURM_CONF"

for _ in $(seq 150); do
  state="$(sinfo -h -N -o '%T' 2>/dev/null | head -1)"
  case "$state" in idle|mixed|allocated) say "running: node $NODE $state, $CPUS CPUs (SLURM_CONF=$SLURM_CONF)"; exit 0 ;; esac
  alive "$STATE/slurmctld.daemon.pid" || cannot_start "slurmctld exited ($(tail -1 "$STATE/slurmctld.log" "$STATE/slurmctld.out" 2>/dev/null | tr '\n' ' '))"
  alive "$STATE/slurmd.daemon.pid" || cannot_start "slurmd exited ($(tail -1 "$STATE/slurmd.log" "$STATE/slurmd.out" 2>/dev/null | tr '\n' ' '))"
  sleep 0.2
done
cannot_start "node $NODE not idle after 30 s (state '${state:-unknown}'; logs in $STATE)"
