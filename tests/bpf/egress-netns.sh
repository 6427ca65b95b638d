#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The egress restriction on the host (root): a client namespace and a server namespace joined by a veth pair,
# the restriction attached to a fresh cgroup v2 with "fwgatectl bpf egress". A connect() allowed by the map
# reaches the server namespace and is refused there (ECONNREFUSED: nothing listens), one the map does not allow
# fails with EPERM before a packet leaves. Prints "ok - NAME" or "not ok - NAME" per case.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
C=$top/build/bin/fwgatectl
cli=fwgbpf-cli-$$ srv=fwgbpf-srv-$$
cg_root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
cg=$cg_root/fwgate-bpf-test-$$
log=$(mktemp)
pid=

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"
	ip netns del "$cli" 2>/dev/null
	ip netns del "$srv" 2>/dev/null
	[ -d "$cg" ] && rmdir "$cg"
	rm -f "$log"
}
trap cleanup EXIT

result() {
	if [ "$1" = 0 ]; then echo "ok - $2"; else echo "not ok - $2"; fi
}

[ -n "$cg_root" ] || { echo "not ok - egress: no cgroup2 mount"; exit 1; }
mkdir "$cg" && ip netns add "$cli" && ip netns add "$srv" &&
	ip link add v0 netns "$cli" type veth peer name v1 netns "$srv" &&
	ip -n "$cli" addr add 10.77.0.1/24 dev v0 && ip -n "$cli" addr add fd77::1/64 dev v0 nodad &&
	ip -n "$srv" addr add 10.77.0.2/24 dev v1 && ip -n "$srv" addr add 10.77.0.3/24 dev v1 &&
	ip -n "$srv" addr add fd77::2/64 dev v1 nodad &&
	ip -n "$cli" link set v0 up && ip -n "$srv" link set v1 up &&
	ip -n "$cli" link set lo up || { echo "not ok - egress: network namespaces"; exit 1; }

"$C" bpf egress "$cg" --allow 10.77.0.2:8443 --allow '[fd77::2]:8443' --allow 10.77.0.3 >"$log" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q attached "$log" && break; sleep 0.1; done
result "$(grep -q attached "$log"; echo $?)" "egress: fwgatectl bpf egress attaches to a cgroup"

# connect_from IN_CGROUP HOST PORT [udp]: prints what connect() said.
connect_from() {
	local proto=${4:-tcp}
	sh -c "[ $1 = no ] || echo \$\$ >$cg/cgroup.procs; exec ip netns exec $cli timeout 5 bash -c 'exec 3<>/dev/$proto/$2/$3' 2>&1" |
		sed -n 's/.*connect: //p'
	true
}

expect() {
	local got
	got=$(connect_from "$2" "$3" "$4" "${5:-}")
	[ "$got" = "$1" ]
	result $? "egress: $6 ($3 port $4: $got)"
}

expect "Connection refused" yes 10.77.0.2 8443 "" "allowed IPv4 address and port connects"
expect "Operation not permitted" yes 10.77.0.2 9000 "" "allowed IPv4 address on another port is denied"
expect "Connection refused" yes 10.77.0.3 9000 "" "an address allowed on any port connects"
expect "Connection refused" yes fd77::2 8443 "" "allowed IPv6 address and port connects"
expect "Operation not permitted" yes fd77::2 9000 "" "allowed IPv6 address on another port is denied"
expect "Operation not permitted" yes 10.77.0.1 8443 "" "a local address not on the list is denied"
expect "Connection refused" no 10.77.0.2 9000 "" "a process outside the cgroup is not restricted"
got=$(sh -c "echo \$\$ >$cg/cgroup.procs; exec ip netns exec $cli bash -c 'echo x >/dev/udp/10.77.0.2/9000' 2>&1")
case $got in *"Operation not permitted"*) r=0 ;; *) r=1 ;; esac
result $r "egress: UDP to a denied address and port is denied"

kill "$pid"
wait "$pid"
pid=
grep -q "^egress denied 4$" "$log" && grep -q "^egress allowed 3$" "$log"
result $? "egress: counters show 3 allowed and 4 denied"
