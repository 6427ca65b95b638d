#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The traffic filter on a real interface, on the host (root): "fwgatectl bpf filter" attaches to the server
# end of a veth pair between two network namespaces. The client has an allowed and an unlisted address of
# each family and picks one per destination by route. A SYN from an allowed source reaches the server's
# kernel (ECONNREFUSED: nothing listens); one from an unlisted source is dropped (the connect times out).
# Datagrams to the relay port beyond the burst are dropped. Prints "ok - NAME" or "not ok - NAME" per case.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
C=$top/build/bin/fwgatectl
cli=fwgbpf-fcli-$$ srv=fwgbpf-fsrv-$$
log=$(mktemp)
pid=

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"
	ip netns del "$cli" 2>/dev/null
	ip netns del "$srv" 2>/dev/null
	rm -f "$log"
}
trap cleanup EXIT

result() {
	if [ "$1" = 0 ]; then echo "ok - $2"; else echo "not ok - $2"; fi
}

ip netns add "$cli" && ip netns add "$srv" &&
	ip link add v0 netns "$cli" type veth peer name v1 netns "$srv" &&
	ip -n "$cli" addr add 10.77.1.1/24 dev v0 && ip -n "$cli" addr add 10.77.1.9/24 dev v0 &&
	ip -n "$cli" addr add fd78::1/64 dev v0 nodad && ip -n "$cli" addr add fd78::9/64 dev v0 nodad &&
	ip -n "$srv" addr add 10.77.1.2/24 dev v1 && ip -n "$srv" addr add 10.77.1.3/24 dev v1 &&
	ip -n "$srv" addr add fd78::2/64 dev v1 nodad && ip -n "$srv" addr add fd78::3/64 dev v1 nodad &&
	ip -n "$cli" link set v0 up && ip -n "$srv" link set v1 up &&
	ip -n "$cli" route add 10.77.1.2/32 dev v0 src 10.77.1.1 &&
	ip -n "$cli" route add 10.77.1.3/32 dev v0 src 10.77.1.9 &&
	ip -n "$cli" -6 route add fd78::2/128 dev v0 src fd78::1 &&
	ip -n "$cli" -6 route add fd78::3/128 dev v0 src fd78::9 ||
	{ echo "not ok - filter on veth: network namespaces"; exit 1; }

ip netns exec "$srv" "$C" bpf filter v1 --allow 10.77.1.1 --allow fd78::1/128 --port 8443 \
	--relay-port 7000 --rate 1 --burst 3 >"$log" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q attached "$log" && break; sleep 0.1; done
result "$(grep -q "filter attached to v1" "$log"; echo $?)" "filter on veth: fwgatectl bpf filter attaches XDP"

# connect HOST: what connect() to HOST port 8443 from the client said, "timed out" after 3 s.
connect() {
	ip netns exec "$cli" timeout 3 bash -c "exec 3<>/dev/tcp/$1/8443" 2>&1 | sed -n 's/.*connect: //p'
	[ "${PIPESTATUS[0]}" = 124 ] && echo "timed out"
}

expect() {
	local got
	got=$(connect "$2")
	[ "$got" = "$1" ]
	result $? "filter on veth: $3 ($got)"
}

expect "Connection refused" 10.77.1.2 "update port from an allowed IPv4 source is accepted"
expect "timed out" 10.77.1.3 "update port from an unlisted IPv4 source is dropped"
expect "Connection refused" fd78::2 "update port from an allowed IPv6 source is accepted"
expect "timed out" fd78::3 "update port from an unlisted IPv6 source is dropped"
ip netns exec "$cli" bash -c 'for i in 1 2 3 4 5 6 7 8 9 10; do echo x >/dev/udp/10.77.1.2/7000; done'

kill "$pid"
wait "$pid"
pid=
grep -q "^filter relay_accepted 3$" "$log" && grep -q "^filter drop_rate 7$" "$log"
result $? "filter on veth: 3 of 10 relay datagrams pass at 1/s with a burst of 3"
grep -Eq "^filter update_accepted [1-9]" "$log" && grep -Eq "^filter drop_not_allowed [1-9]" "$log" &&
	grep -Eq "^filter passed [1-9]" "$log"
result $? "filter on veth: counters ($(grep -E '^filter [a-z_]+ [0-9]+$' "$log" | cut -d' ' -f2,3 | tr '\n' ' '))"
