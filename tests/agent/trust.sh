#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The trust anchor end to end (issue 12), on one kernel: a real 3-member etcd cluster and a fwgate-node on the
# host, a consortium (manufacturer acme, checkers anssi, bsi, ncsc; RSA-3072), and a device in QEMU with
# fwgate.ko and fwgated, booted twice on the same disk:
#   boot 1. the device enrols: fwgatectl enrol makes its key in the guest, only the public key reaches the host,
#      which certifies it and writes the enrolment policy. fwgated sets and locks it: fwgate.ko seals epoch 1.
#      The consortium rotates ncsc out and enisa in (epoch 2): fwgated carries the rotation to the kernel, which
#      re-seals. An update approved by ncsc and anssi is not installed (the kernel too counts one approval);
#      one approved by enisa and bsi is. The manufacturer key is rotated (epoch 3): an update signed with the
#      new key installs, one signed with the old key is refused by the kernel.
#   boot 2. /etc/fwgate/policy is edited (an attacker's checkers): fwgated logs REFUSED and the sealed epoch-3
#      policy stays in force; the kernel refuses the edited policy too (EPERM, naming the sealed anchor).
#   boot 3. the policy cache (state-dir/policy/) is lost; the worker's store and the enrolment policy are left:
#      fwgated rebuilds the sealed epoch-3 policy from the chain's rotations in the store, checks it against
#      the kernel's sealed digest, and puts it in force, locked.
# usage: tests/agent/trust.sh KVER   (needs make; root)
set -u

NAME=trust
BASE=${FWGATE_TRUST_PORT:-31190}
# shellcheck source=tests/agent/lib.sh
. "$(dirname "$0")/lib.sh"
MPORT=$((BASE + 200))

# ------------------------------------------------------------------ the consortium and its chain

(
	cd "$W" || exit 1
	mkdir -p keys blobs
	cd keys || exit 1
	for k in acme acme2 anssi bsi ncsc enisa evil1 evil2; do "$F" keygen "$k" || exit 1; done
	"$F" genesis --name trust --manufacturer acme.pub --checker anssi.pub --checker bsi.pub --checker ncsc.pub \
		--type headunit --threshold 2 --out "$W/genesis"
) >"$W/setup.log" 2>&1 || fail "keys: $(tail -n 3 "$W/setup.log")"

chain_up
python3 "$TOP/tests/agent/mirror.py" --listen "127.0.0.1:$MPORT" --dir "$W/blobs" --node "$N1" \
	>"$W/mirror.log" 2>&1 &
echo $! >"$W/mirror.pid"

# publish N KEY WHERE CHECKERS...: firmware N (version N, 1 MiB) signed with KEY, its blob on the mirror, and the
# checkers' approvals; WHERE "chain" submits them to the node, "offline" only writes the files.
publish() {
	n=$1 key=$2 where=$3
	shift 3
	img=$W/fw$n.img
	head -c 1048576 /dev/urandom >"$img"
	cp "$img" "$W/blobs/$(hex_of "$img")"
	node=""
	[ "$where" = chain ] && node="--node $N1"
	# shellcheck disable=SC2086
	"$F" publish --key "$W/keys/$key.key" --image "$img" --version "$n" --type headunit --target rootfs \
		--url "$GUEST_HOST:$MPORT/good/$(hex_of "$img")" $node --out "$W/fw$n.stmt" || return 1
	for c in "$@"; do
		# shellcheck disable=SC2086
		"$F" approve --key "$W/keys/$c.key" $node --out "$W/fw$n.$c" "$W/fw$n.stmt" || return 1
	done
}

# join ROLE NAME SIGNERS...: NAME joins the ledger, proposed by acme, signed by NAME and SIGNERS.
join() {
	role=$1 name=$2
	shift 2
	"$F" member add --role "$role" --name "$name" --member-key "$name.pub" --key acme.key --out "join-$name.tx" &&
	for k in "$name" "$@"; do "$F" member sign --key "$k.key" "join-$name.tx" || return 1; done &&
	"$F" member submit --node "$N1" "join-$name.tx"
}

# The device type's policy line (its genesis policy, signed by all its keys), and the two members to come.
(
	cd "$W/keys" &&
	"$F" policy create --manufacturer acme.pub --checker anssi.pub --checker bsi.pub --checker ncsc.pub \
		--threshold 2 --out p1.enc &&
	"$F" policy publish --type headunit --key acme.key --out line.tx p1.enc &&
	for k in anssi bsi ncsc; do "$F" policy sign --key "$k.key" line.tx || exit 1; done &&
	"$F" policy submit --node "$N1" line.tx &&
	join checker enisa anssi bsi &&
	join manufacturer acme2 anssi bsi
) >>"$W/setup.log" 2>&1 || fail "policy line and members: $(tail -n 2 "$W/setup.log")"

# rotate NAME NEXT.enc SIGNERS...: the rotation of the line to NEXT, proposed by acme (the manufacturer in force),
# signed by SIGNERS, submitted.
rotate() {
	name=$1 next=$2
	shift 2
	"$F" rotate propose --node "$N1" --type headunit --next "$next" --key acme.key --out "$name.tx" &&
	for k in "$@"; do "$F" rotate sign --key "$k.key" "$name.tx" || return 1; done &&
	"$F" rotate submit --node "$N1" "$name.tx"
}

# The host answers the guest's requests: the guest creates $W/want-X, the host $W/done-X.
serve() {
	cd "$W/keys" || return 1
	case $1 in
	enrol)
		"$F" certify --key acme.key --type headunit --device-key "$W/device.pub" --node "$N1" &&
		"$F" provision --manufacturer acme.pub --checker anssi.pub --checker bsi.pub --checker ncsc.pub \
			--threshold 2 --type headunit --device-key "$W/device.pub" --out "$W/policy"
		;;
	rot1)
		# Firmware 2, approved by ncsc and anssi while ncsc is still a checker; then ncsc leaves and enisa
		# joins, signed by acme, a quorum of the current checkers (anssi, bsi) and the new key (enisa).
		publish 2 acme chain ncsc anssi &&
		"$F" policy create --manufacturer acme.pub --checker anssi.pub --checker bsi.pub --checker enisa.pub \
			--threshold 2 --epoch 2 --out p2.enc &&
		rotate rot1 p2.enc anssi bsi enisa
		;;
	new-quorum)
		publish 3 acme chain enisa bsi
		;;
	rot2)
		# The manufacturer's key: acme2 replaces acme, signed by acme, a quorum and acme2.
		"$F" policy create --manufacturer acme2.pub --checker anssi.pub --checker bsi.pub --checker enisa.pub \
			--threshold 2 --epoch 3 --out p3.enc &&
		rotate rot2 p3.enc anssi enisa acme2
		;;
	new-key)
		publish 5 acme2 chain anssi enisa
		;;
	old-key)
		# The node refuses an update by a rotated-out manufacturer key: the device gets it by hand.
		publish 4 acme offline anssi bsi &&
		! "$F" publish --key acme.key --image "$W/fw4.img" --version 4 --type headunit --target rootfs \
			--node "$N1" --out "$W/fw4.again"
		;;
	edit)
		"$F" provision --manufacturer acme.pub --checker evil1.pub --checker evil2.pub \
			--threshold 2 --type headunit --device-key "$W/device.pub" --out "$W/policy.edited"
		;;
	esac
}

watch_requests() {
	for _ in $(seq 3600); do
		for r in enrol rot1 new-quorum rot2 new-key old-key edit; do
			if [ -f "$W/want-$r" ] && [ ! -f "$W/done-$r" ]; then
				echo "== $r" >>"$W/setup.log"
				( serve $r ) >>"$W/setup.log" 2>&1 || echo "$r failed" >"$W/failed-$r"
				touch "$W/done-$r"
			fi
		done
		sleep 0.5
	done
}
watch_requests &
echo $! >"$W/watch.pid"

# ------------------------------------------------------------------ the device

make_disk 48 16

cat >"$W/fwgated.conf" <<EOF
# fwgated trust-anchor test ($KV)
node $GUEST_HOST:$((BASE + 101))
genesis $GENESIS
device-key /tmp/fwgate/device.key
policy /tmp/policy
state-device PARTLABEL=fwstate
state-dir /tmp/fwgate
slot rootfs rootfs_a PARTLABEL=rootfs_a
slot rootfs rootfs_b PARTLABEL=rootfs_b
bootloader script $W/boot.sh
sync-interval 2
retry-interval 2
freshness 60
bpf no
control /run/fwgate/fwgated.sock
user nobody
EOF
cat >"$W/boot.sh" <<'EOF'
#!/bin/sh
case $1 in
active) echo rootfs_a ;;
*) echo "$*" >>/tmp/boot.log ;;
esac
EOF
chmod 755 "$W/boot.sh"

# What both boots share: the helpers, the module, the agent's start.
cat >"$W/common.sh" <<EOF
W=$W
C=$TOP/build/bin/fwgatectl
D=$TOP/build/bin/fwgated
. $TOP/tests/agent/guest-lib.sh
diag() {
	timeout 10 \$C policy -c /tmp/fwgated.conf 2>&1 | sed 's/^/# policy: /'
	tail -n 15 /tmp/fwgated.log 2>/dev/null | sed 's/^/# log: /'
}
# ask X: the host's step X, done.
ask() { touch \$W/want-\$1; wait_for 120 "[ -f \$W/done-\$1 ]" && [ ! -f \$W/failed-\$1 ]; }
pol() { \$C policy -c /tmp/fwgated.conf --json 2>/dev/null | jq -e "\$1" >/dev/null; }
installed() { ctl updates | grep -q "^\$(sha256sum \$W/fw\$1.img | cut -c1-16) .* installed"; }
cp \$W/fwgated.conf /tmp/ || exit 1
$TOP/tests/vm/net-up || exit 1
modprobe mtd
insmod $TOP/build/modules/\$FWGATE_KVER/fwgate.ko || exit 1
start_agent() { \$D -v -c /tmp/fwgated.conf >>/tmp/fwgated.log 2>&1 & }
stop_agent() { pkill -x fwgated; wait_for 10 '! pgrep -x fwgated >/dev/null && ! pgrep -x fwgated-worker >/dev/null'; }
EOF

cat >"$W/boot1.sh" <<EOF
#!/bin/sh
set -u
. $W/common.sh
t "fwgatectl enrol makes the device key in the guest, 0600, and prints only its public key" "\$C enrol -c /tmp/fwgated.conf --pubout \$W/device.pub 2>/tmp/enrol.log && [ \\\$(stat -c %a /tmp/fwgate/device.key) = 600 ] && grep -q 'BEGIN PUBLIC KEY' \$W/device.pub && ! grep -q PRIVATE \$W/device.pub"
t "enrol refuses to replace the key" "! \$C enrol -c /tmp/fwgated.conf --pubout /tmp/x.pub 2>/dev/null"
t "the manufacturer certifies the device's key and writes its enrolment policy" "ask enrol && cp \$W/policy /tmp/policy"
start_agent
t "fwgated sets the enrolment policy and locks it: fwgate.ko seals epoch 1" "wait_for 60 'pol \".locked and .epoch == 1 and .sealed_epoch == 1 and .sealed\"'"
t "fwgatectl policy shows epoch 1, sealed, and the enrolment in the history" "\$C policy -c /tmp/fwgated.conf | grep -q '^  sealed *yes, epoch 1' && \$C policy -c /tmp/fwgated.conf | grep -q 'epoch 1 .* enrolled'"
# The agent is down while the consortium approves firmware 2 with ncsc and then rotates ncsc out: at its next
# start it meets both in one sync, and must judge firmware 2 by the policy the rotation leads to.
stop_agent
t "firmware 2 is approved by ncsc and anssi, then ncsc is rotated out and enisa in (epoch 2)" "ask rot1"
start_agent
t "fwgated carries the rotation to the kernel, which re-seals epoch 2" "wait_for 90 'pol \".epoch == 2 and .sealed_epoch == 2 and .sealed and .k == 3\"'"
t "the history shows the rotation with its transaction" "pol '(.history | length) == 2 and .history[1].how == \"rotated\" and (.history[1].tx | length) == 64'"
sleep 8
t "firmware 2 (approved by ncsc, rotated out, and anssi) is not installed" "! installed 2 && ! tr -d '\\\\000' </dev/vda3 | head -c 1 | grep -q ."
t "the kernel does not approve firmware 2 either: ncsc's verdict is not the policy's" "\$C bundle \$W/fw2.stmt \$W/fw2.ncsc \$W/fw2.anssi >/tmp/fw2.out 2>&1; sed 's/^/# /' /tmp/fw2.out; ! grep -q '^update approved' /tmp/fw2.out"
t "firmware 3, approved by enisa (new) and bsi, is installed on rootfs_b" "ask new-quorum && wait_for 120 'installed 3'"
t "rootfs_b holds firmware 3 byte for byte" "cmp -s -n 1048576 \$W/fw3.img /dev/vda3"
t "the manufacturer key is rotated (epoch 3)" "ask rot2 && wait_for 90 'pol \".epoch == 3 and .sealed_epoch == 3 and .sealed\"'"
\$C policy -c /tmp/fwgated.conf --json | jq -r .digest >\$W/digest-3
t "firmware 5, signed with the new manufacturer key and approved by anssi and enisa, is installed" "ask new-key && wait_for 120 'installed 5' && cmp -s -n 1048576 \$W/fw5.img /dev/vda3"
t "firmware 4, signed with the old manufacturer key and approved, is refused by the kernel" "ask old-key && ! \$C bundle \$W/fw4.stmt \$W/fw4.anssi \$W/fw4.bsi >/tmp/fw4.out 2>&1 && cat /tmp/fw4.out | sed 's/^/# /' && ! installed 4"
stop_agent
mkdir -p \$W/state && cp -a /tmp/fwgate/device.key /tmp/fwgate/policy \$W/state/
cp /tmp/fwgated.log \$W/fwgated-1.log
echo "1..\$n"
EOF

cat >"$W/boot2.sh" <<EOF
#!/bin/sh
set -u
n=100
. $W/common.sh
mkdir -p /tmp/fwgate && cp -a \$W/state/device.key \$W/state/policy /tmp/fwgate/ || exit 1
t "the host writes an edited policy: the attacker's two checkers" "ask edit && cp \$W/policy.edited /tmp/policy"
\$C state-device PARTLABEL=fwstate
t "before fwgated starts, fwgatectl policy shows the anchor sealed in the state store" "\$C policy --json | jq -e '.epoch == null and .sealed_epoch == 3' >/dev/null && \$C policy | grep -q \"sealed policy: epoch 3, digest \\\$(cat \$W/digest-3)\""
t "after the reboot, the kernel refuses the edited policy: EPERM, naming the sealed anchor" "! \$C policy load /tmp/policy 2>/tmp/load.err && grep -q 'sealed' /tmp/load.err && sed 's/^/# /' /tmp/load.err"
# A cached policy file is used only if it hashes to its name: tampered with, it is ignored and fwgated says so.
cached=/tmp/fwgate/policy/\$(cat \$W/digest-3).policy
cp \$cached /tmp/cached.good && sed -i 's/^threshold 2\$/threshold 3/' \$cached
t "a tampered cached policy is ignored: fwgated does not start, and says which file and what to restore" "! timeout 60 \$D -c /tmp/fwgated.conf >/tmp/tamper.log 2>&1 && grep -q 'policy.*: not the policy of its name at epoch 3' /tmp/tamper.log && grep -q 'restore that directory' /tmp/tamper.log && ! grep -q 1 /sys/kernel/fwgate/policy/locked"
cp /tmp/cached.good \$cached
start_agent
t "fwgated refuses the edited policy file, loudly" "wait_for 60 'grep -q \"policy /tmp/policy: REFUSED\" /tmp/fwgated.log'"
t "and puts the sealed epoch-3 policy in force, locked" "wait_for 60 'pol \".locked and .epoch == 3 and .sealed\"'"
t "it is the policy rotated to in boot 1, digest for digest" "[ \"\\\$(\$C policy -c /tmp/fwgated.conf --json | jq -r .digest)\" = \"\\\$(cat \$W/digest-3)\" ] && pol '.k == 3'"
stop_agent
# The worker's store of the chain, for boot 3.
cp -a /tmp/fwgate/sync \$W/state/
cp /tmp/fwgated.log \$W/fwgated-2.log
echo "1..\$n"
EOF

cat >"$W/boot3.sh" <<EOF
#!/bin/sh
set -u
n=200
. $W/common.sh
# The policy cache is lost: state-dir/policy/ is not restored. The store and the enrolment policy are.
mkdir -p /tmp/fwgate && cp -a \$W/state/device.key \$W/state/sync /tmp/fwgate/ || exit 1
# The store is the worker's (user nobody), whatever the host's copy kept of its owner.
chown -R nobody /tmp/fwgate/sync
cp \$W/policy /tmp/policy
\$C state-device PARTLABEL=fwstate
t "the policy cache is lost; the state store holds the anchor sealed at epoch 3" "[ ! -e /tmp/fwgate/policy ] && \$C policy --json | jq -e '.epoch == null and .sealed_epoch == 3' >/dev/null"
start_agent
t "fwgated rebuilds the sealed policy from the chain's rotations in its store, from the enrolment policy" "wait_for 60 'grep -q \"rebuilt from the chain.s rotations in /tmp/fwgate/sync, from epoch 1\" /tmp/fwgated.log'"
t "and puts it in force, locked: epoch 3, the digest of boot 1" "wait_for 60 'pol \".locked and .epoch == 3 and .sealed\"' && [ \"\\\$(\$C policy -c /tmp/fwgated.conf --json | jq -r .digest)\" = \"\\\$(cat \$W/digest-3)\" ]"
t "the cache holds it again, and the history says it was rebuilt" "[ -s /tmp/fwgate/policy/\\\$(cat \$W/digest-3).policy ] && pol '.history[-1].how == \"rebuilt\" and .history[-1].epoch == 3'"
t "the enrolment policy file is not taken for an edit" "! grep -q 'REFUSED' /tmp/fwgated.log"
stop_agent
cp /tmp/fwgated.log \$W/fwgated-3.log
echo "1..\$n"
EOF
chmod 755 "$W/boot1.sh" "$W/boot2.sh" "$W/boot3.sh"

rc=0
for b in 1 2 3; do
	"$TOP/tests/vm/run" -N -C 1 -k "$KV" -m 1024 -t 900 -l "$W/console-$b.log" -d "$W/disk.img" -- "$W/boot$b.sh" \
		>"$W/guest-$b.tap" 2>&1 || rc=1
	grep -v '^1\.\.' "$W/guest-$b.tap"
done
if [ $rc -ne 0 ] || grep -q '^not ok' "$W"/guest-*.tap; then
	keep=1
	echo "# kept $W (console-N.log, guest-N.tap, fwgated-N.log, setup.log)"
	exit 1
fi
exit 0
