# SPDX-License-Identifier: GPL-2.0
# Sourced by tests/chain/suite and bench: a 3-member etcd cluster and fwgate-node processes on loopback, each
# with its own data dir and ports under $W, stopped by pid. Ports start at $BASE (default 23790).

BASE=${BASE:-23790}
ETCD_MEMBERS=3
CLUSTER=""
ENDPOINTS=""
for i in 1 2 3; do
	CLUSTER="$CLUSTER${CLUSTER:+,}m$i=http://127.0.0.1:$((BASE + 10 * i + 1))"
	ENDPOINTS="$ENDPOINTS${ENDPOINTS:+,}http://127.0.0.1:$((BASE + 10 * i))"
done

# etcd_start I: starts member I (1-3); data persists in $W/etcd$I across restarts.
etcd_start() {
	i=$1
	mkdir -p "$W/etcd$i"
	state=new
	[ -d "$W/etcd$i/member" ] && state=existing
	etcd --name "m$i" --data-dir "$W/etcd$i" \
		--listen-client-urls "http://127.0.0.1:$((BASE + 10 * i))" \
		--advertise-client-urls "http://127.0.0.1:$((BASE + 10 * i))" \
		--listen-peer-urls "http://127.0.0.1:$((BASE + 10 * i + 1))" \
		--initial-advertise-peer-urls "http://127.0.0.1:$((BASE + 10 * i + 1))" \
		--initial-cluster "$CLUSTER" --initial-cluster-state $state \
		--initial-cluster-token "fwgate-test-$BASE" --max-request-bytes 4194304 \
		--heartbeat-interval 50 --election-timeout 500 >"$W/etcd$i.log" 2>&1 &
	echo $! >"$W/etcd$i.pid"
}

# stop_pid FILE: SIGTERM, up to 5 s for a clean exit, then SIGKILL.
stop_pid() {
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$1"
}

etcd_stop() {
	stop_pid "$W/etcd$1.pid"
}

etcd_kill() {
	[ -f "$W/etcd$1.pid" ] && kill -9 "$(cat "$W/etcd$1.pid")" 2>/dev/null
	[ -f "$W/etcd$1.pid" ] && wait "$(cat "$W/etcd$1.pid")" 2>/dev/null
	rm -f "$W/etcd$1.pid"
}

# Waits until the cluster answers a linearizable read.
etcd_wait() {
	for _ in $(seq 100); do
		ETCDCTL_API=3 etcdctl --endpoints "$ENDPOINTS" --command-timeout=1s get x >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "etcd cluster did not come up" >&2
	return 1
}

# node_start I [ARGS...]: fwgate-node I on port BASE+100+I, with $FWGATE_NODE_ARGS too (benchmarks compare options).
node_start() {
	i=$1
	shift
	"$TOP/build/bin/fwgate-node" --etcd "$ENDPOINTS" --listen "127.0.0.1:$((BASE + 100 + i))" \
		--genesis "$W/genesis" --blobs "$W/blobs" ${FWGATE_NODE_ARGS:-} "$@" >>"$W/node$i.log" 2>&1 &
	echo $! >"$W/node$i.pid"
	for _ in $(seq 100); do
		curl -sf "http://127.0.0.1:$((BASE + 100 + i))/head" >/dev/null && return 0
		sleep 0.1
	done
	echo "node $i did not come up" >&2
	return 1
}

node_url() {
	echo "http://127.0.0.1:$((BASE + 100 + $1))"
}

node_kill() {
	[ -f "$W/node$1.pid" ] && kill -9 "$(cat "$W/node$1.pid")" 2>/dev/null
	[ -f "$W/node$1.pid" ] && wait "$(cat "$W/node$1.pid")" 2>/dev/null
	rm -f "$W/node$1.pid"
}

node_stop() {
	stop_pid "$W/node$1.pid"
}

cluster_stop() {
	for i in 1 2 3 4; do node_kill $i; done
	for i in 1 2 3; do etcd_stop $i; done
}

# keys_and_genesis: two manufacturers, three checkers, a device type "router" with q = 2.
keys_and_genesis() {
	F=$TOP/build/bin/fwgate
	mkdir -p "$W/keys" "$W/blobs"
	(
		cd "$W/keys" || exit 1
		"$F" keygen acme && "$F" keygen --alg p256 globex && "$F" keygen --alg p256 c1 && "$F" keygen c2 && "$F" keygen --alg p256 c3 &&
		"$F" keygen evil &&
		"$F" genesis --name test --manufacturer acme.pub --manufacturer globex.pub --checker c1.pub --checker c2.pub \
			--checker c3.pub --type router --threshold 2 --out "$W/genesis"
	)
}

# free_base START STEP OFFSETS...: the first of START, START+STEP, ... (8 tries) at which every
# START+OFFSET can be bound on 127.0.0.1: loopback clients take ephemeral ports in our ranges too.
free_base() {
	fb=$1 step=$2
	shift 2
	for _ in 1 2 3 4 5 6 7 8; do
		python3 -c 'import socket, sys
for o in sys.argv[2:]:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[1]) + int(o)))' "$fb" "$@" 2>/dev/null && break
		fb=$((fb + step))
	done
	echo "$fb"
}
