#!/bin/sh
# Starts and stops a one-node Slurm cluster on 127.0.0.1 in a folder of
# its own, from Debian's packages (slurmctld, slurmd, munge), for the
# Slurm executor's tests and bench: its own munge key and socket, its own
# slurm.conf, state, spool, logs and ports, nothing in /etc or /run.
#
#   slurm_cluster.sh start DIR   prints SLURM_CONF=DIR/slurm.conf once srun works
#   slurm_cluster.sh stop DIR    ends the daemons it started there
#
# Needs root (slurmd starts steps as their user) and the packages; says
# which is missing, with exit status 77, when it cannot start.
set -eu

cmd=${1:-}
dir=${2:-}
[ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

# The steps' daemons of this cluster: they outlive slurmd, and only their
# environment tells them from another cluster's.
stepds() {
	for comm in /proc/[0-9]*/comm; do
		[ "$(cat "$comm" 2>/dev/null)" = slurmstepd ] || continue
		pid=${comm#/proc/}
		pid=${pid%/comm}
		tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null |
			grep -qx "SLURM_CONF=$dir/slurm.conf" && echo "$pid"
	done
}

stop() {
	# every job of the cluster is ours: cancel them while slurmctld is up
	if [ -s "$dir/slurmctld.pid" ]; then
		jobs=$(SLURM_CONF="$dir/slurm.conf" squeue --noheader --format=%A 2>/dev/null || true)
		# shellcheck disable=SC2086
		[ -z "$jobs" ] || SLURM_CONF="$dir/slurm.conf" scancel $jobs 2>/dev/null || true
		i=0
		while [ -n "$(stepds)" ] && [ $i -lt 30 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	pids=""
	for d in slurmd slurmctld munged; do
		[ -s "$dir/$d.pid" ] && pids="$pids $(cat "$dir/$d.pid")"
		rm -f "$dir/$d.pid"
	done
	pids=$(echo $pids $(stepds))
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null || true
	i=0
	while [ $i -lt 30 ]; do
		alive=""
		for pid in $pids; do
			kill -0 "$pid" 2>/dev/null && alive="$alive $pid"
		done
		[ -n "$alive" ] || return 0
		sleep 0.1
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	kill -9 $alive 2>/dev/null || true
}

if [ "$cmd" = stop ]; then
	stop
	exit 0
fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

if [ "$(id -u)" -ne 0 ]; then
	echo "the test cluster needs root: slurmd runs steps as their user" >&2
	exit 77
fi
for p in munged mungekey slurmctld slurmd srun scancel squeue; do
	command -v "$p" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
	command -v "$p" >/dev/null 2>&1 || {
		echo "the test cluster needs $p (Debian packages slurmctld, slurmd, slurm-client, munge)" >&2
		exit 77
	}
done

mkdir -p "$dir/state" "$dir/spool"
chmod 700 "$dir"
# Ports of its own, so that clusters of other runs on the machine differ.
base=$((20000 + ($$ % 2000) * 2))
cpus=$(nproc)
mungekey -c -f -k "$dir/munge.key"
munged -f --key-file="$dir/munge.key" --socket="$dir/munge.sock" \
	--pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munged.seed"

cat > "$dir/slurm.conf" <<CONF
ClusterName=hosttest
SlurmctldHost=localhost
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge.sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=debug
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=2
MinJobAge=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:64
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -N localhost -f "$SLURM_CONF"

i=0
until srun -N1 -n1 --immediate=5 true >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -ge 40 ]; then
		echo "the test cluster did not start; its logs:" >&2
		tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" "$dir/munged.log" >&2 || true
		stop
		exit 1
	fi
	sleep 0.25
done
echo "SLURM_CONF=$SLURM_CONF"
