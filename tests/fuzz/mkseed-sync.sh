#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Remakes tests/fuzz/corpus/sync/with-blob-chunks, the seed of fuzz_sync and the fixture of
# tests/agent/sync_test.c, from a real chain: a 3-member etcd cluster and a node on loopback (ports from
# FWGATE_CHAIN_PORT), ten blocks (genesis, a device certificate, an update, two approvals and a rejection,
# an ack, a nack naming the manufacturer, the update's image in two blob chunks), as a node serves them at
# GET /blocks?from=0, after a be16 length and the device's trust policy. Run it when a format changes.
# Needs `make` first.
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d /tmp/fwgate-seed.XXXXXX)
BASE=${FWGATE_CHAIN_PORT:-23790}
. "$TOP/tests/chain/cluster.sh"
F=$TOP/build/bin/fwgate
trap 'cluster_stop; rm -rf "$W"' EXIT INT TERM

mkdir -p "$W/keys" "$W/blobs"
cd "$W/keys"
"$F" keygen m >/dev/null
"$F" keygen --alg p256 dev >/dev/null
"$F" keygen c1 >/dev/null
"$F" keygen --alg p256 c2 >/dev/null
"$F" keygen c3 >/dev/null
"$F" genesis --name seed --manufacturer m.pub --checker c1.pub --checker c2.pub --checker c3.pub --type hu \
	--threshold 2 --out "$W/genesis"
"$F" provision --manufacturer m.pub --checker c1.pub --checker c2.pub --checker c3.pub --threshold 2 \
	--type hu --device-key dev.pub --out "$W/policy"
for i in 1 2 3; do etcd_start $i; done
etcd_wait
node_start 1
N=$(node_url 1)

# One block each: the next is submitted once the node's head has moved.
height() { curl -sf "$N/head" | sed -n 's/.*"height": *\([0-9]*\).*/\1/p'; }
one() {
	h=$(height)
	"$@" >/dev/null
	for _ in $(seq 100); do
		[ "$(height)" != "$h" ] && return 0
		sleep 0.1
	done
	echo "no new block after: $*" >&2
	return 1
}
head -c 100000 /dev/urandom >"$W/img"
one "$F" certify --key m.key --type hu --device-key dev.pub --node "$N"
one "$F" publish --key m.key --image "$W/img" --version 1 --type hu --target rootfs --node "$N" --out "$W/u.stmt"
one "$F" approve --key c1.key --node "$N" --out "$W/v1" "$W/u.stmt"
one "$F" approve --key c2.key --node "$N" --out "$W/v2" "$W/u.stmt"
one "$F" reject --key c3.key --node "$N" --out "$W/v3" "$W/u.stmt"
one "$F" ack --key dev.key --update "$W/u.stmt" --node "$N"
one "$F" ack --key dev.key --update "$W/u.stmt" --culprit m.pub --reason digest-mismatch --node "$N"
"$F" upload --key m.key --image "$W/img" --node "$N" >/dev/null

out=$TOP/tests/fuzz/corpus/sync/with-blob-chunks
len=$(stat -c %s "$W/policy")
{
	printf "\\$(printf %03o $((len >> 8)))\\$(printf %03o $((len & 255)))"
	cat "$W/policy"
	curl -sf "$N/blocks?from=0"
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out: $(stat -c %s "$out") bytes, head $(curl -sf "$N/head")"
