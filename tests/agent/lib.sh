# SPDX-License-Identifier: GPL-2.0
# Sourced by fwgated's VM tests (tests/agent/e2e.sh, fallback.sh, trust.sh, withdraw.sh), which set NAME (the
# test's name) and BASE (its first port on 6.12; 6.1 takes BASE + 300, so that both kernels can run at once)
# before sourcing it, with the kernel (KVER, K61 or K612; default 6.12) as $1. It gives them:
#   KV, W (their working directory, under build/vm-out/), F (the fwgate CLI), N1 (node 1's URL), GUEST_HOST
#   (the host as the guest reaches it), the etcd cluster and the nodes of tests/chain/cluster.sh;
#   cleanup on exit (stops what $W/*.pid names, then cleanup_extra, which a test may define, then the cluster;
#   keeps $W when keep=1), fail, hex_of, consortium, chain_up, certify_device, make_disk.

TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/build/kernels.env"
KV=${1:-$K612}
case $KV in K61) KV=$K61 ;; K612) KV=$K612 ;; esac
[ "$KV" = "$K61" ] && BASE=$((BASE + 300))
mkdir -p "$TOP/build/vm-out"
W=$(mktemp -d "$TOP/build/vm-out/$NAME.XXXXXX")
chmod 755 "$W"
. "$TOP/tests/chain/cluster.sh"
F=$TOP/build/bin/fwgate
N1=$(node_url 1)
GUEST_HOST=http://10.0.2.2

cleanup_extra() { :; }

cleanup() {
	for p in "$W"/mirror.pid "$W"/watch.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	cleanup_extra
	cluster_stop
	[ "${keep:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT INT TERM

# fail WHAT: the setup failed; keeps $W and shows the end of the logs that tell why.
fail() {
	echo "not ok - $NAME setup: $*"
	keep=1
	for f in "$W"/setup.log "$W"/node1.log "$W"/etcd1.log; do
		[ -f "$f" ] && tail -n 5 "$f" | sed "s|^|# ${f##*/}: |"
	done
	exit 1
}

hex_of() { sha256sum "$1" | cut -c1-64; }

# consortium: in $W/keys, manufacturer acme and checkers anssi, bsi, ncsc (RSA-3072, which both kernels
# verify), a device key (P-256); the genesis ($W/genesis, device type headunit, q = 2) and the device's policy
# ($W/policy).
consortium() {
	(
		cd "$W" && mkdir -p keys blobs && cd keys &&
		"$F" keygen acme && for c in anssi bsi ncsc; do "$F" keygen "$c" || exit 1; done &&
		"$F" keygen --alg p256 device &&
		"$F" genesis --name "$NAME" --manufacturer acme.pub --checker anssi.pub --checker bsi.pub \
			--checker ncsc.pub --type headunit --threshold 2 --out "$W/genesis" &&
		"$F" provision --manufacturer acme.pub --checker anssi.pub --checker bsi.pub \
			--checker ncsc.pub --threshold 2 --type headunit --device-key device.pub --out "$W/policy"
	) >"$W/setup.log" 2>&1 || fail "keys: $(tail -n 3 "$W/setup.log")"
}

# chain_up: the 3-member etcd cluster and node 1 (a heartbeat every 2 s); GENESIS, the hash of block 0.
chain_up() {
	for i in 1 2 3; do etcd_start $i; done
	etcd_wait || fail "etcd"
	node_start 1 --heartbeat 2 || fail "node 1"
	GENESIS=$("$F" log --node "$N1" 2>/dev/null | sed -n 's/^block 0 \([0-9a-f]\{64\}\).*/\1/p' | head -n 1)
	[ -n "$GENESIS" ] || fail "no block 0 on $N1"
}

# certify_device: acme certifies the device key on the chain.
certify_device() {
	"$F" certify --key "$W/keys/acme.key" --type headunit --device-key "$W/keys/device.pub" --node "$N1" \
		>>"$W/setup.log" 2>&1 || fail "certify"
}

# make_disk MIB SLOT_MIB: $W/disk.img, MIB large, with the GPT partitions fwstate (1 MiB), rootfs_a and
# rootfs_b (SLOT_MIB each).
make_disk() {
	truncate -s "${1}M" "$W/disk.img" &&
	printf 'label: gpt\nsize=1MiB, name=fwstate\nsize=%sMiB, name=rootfs_a\nsize=%sMiB, name=rootfs_b\n' \
		"$2" "$2" | sfdisk -q "$W/disk.img" || fail "sfdisk"
}
