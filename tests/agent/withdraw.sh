#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Withdrawals and pauses end to end (issue 15), on one kernel: a 3-member etcd cluster and a node on the host, a
# consortium (a manufacturer, three checkers, q = 2), and a device in QEMU with fwgate.ko and fwgated.
#   1. firmware 1 is approved, then withdrawn by two checkers (their signatures gathered with `fwgate rollout
#      withdraw --sign`) before the device first syncs: the kernel refuses its BEGIN with EKEYREVOKED, fwgated
#      never installs it and nacks it once, with reason "withdrawn".
#   2. firmware 2 is approved and its rollout paused by the manufacturer: BEGIN gets EAGAIN, nothing is
#      installed; once resumed, fwgated installs it.
#   3. a reboot (a second boot of the same disk, a fresh kernel): fwgated feeds the withdrawal to the kernel
#      again from the chain, and does not nack twice.
# usage: tests/agent/withdraw.sh KVER   (needs make; root)
set -u

NAME=withdraw
BASE=$((${FWGATE_E2E_PORT:-27790} + 500))
# shellcheck source=tests/agent/lib.sh
. "$(dirname "$0")/lib.sh"

consortium
chain_up
certify_device

# publish N: firmware N (version N, 1 MiB), served by the node, approved by anssi and bsi.
publish() {
	img=$W/fw$1.img
	head -c 1048576 /dev/urandom >"$img" &&
	cp "$img" "$W/blobs/$(hex_of "$img")" &&
	"$F" publish --key "$W/keys/acme.key" --image "$img" --version "$1" --type headunit --target rootfs \
		--node "$N1" --out "$W/fw$1.stmt" &&
	"$F" approve --key "$W/keys/anssi.key" --node "$N1" --out "$W/fw$1.anssi" "$W/fw$1.stmt" &&
	"$F" approve --key "$W/keys/bsi.key" --node "$N1" --out "$W/fw$1.bsi" "$W/fw$1.stmt"
} >>"$W/setup.log" 2>&1

publish 1 || fail "publish 1: $(tail -n 2 "$W/setup.log")"
"$F" rollout withdraw --update "$W/fw1.stmt" --key "$W/keys/anssi.key" --out "$W/w1.tx" >>"$W/setup.log" 2>&1 &&
	"$F" rollout withdraw --sign "$W/w1.tx" --key "$W/keys/bsi.key" --node "$N1" >>"$W/setup.log" 2>&1 ||
	fail "withdraw 1: $(tail -n 2 "$W/setup.log")"
publish 2 || fail "publish 2"
"$F" rollout pause --update "$W/fw2.stmt" --key "$W/keys/acme.key" --seq 1 --node "$N1" >>"$W/setup.log" 2>&1 ||
	fail "pause 2"

# The guest asks for the resume by creating $W/want-resume; the host answers with $W/done-resume.
watch_requests() {
	for _ in $(seq 1800); do
		if [ -f "$W/want-resume" ] && [ ! -f "$W/done-resume" ]; then
			"$F" rollout resume --update "$W/fw2.stmt" --key "$W/keys/acme.key" --seq 2 --node "$N1" \
				>>"$W/setup.log" 2>&1
			touch "$W/done-resume"
		fi
		sleep 0.5
	done
}
watch_requests &
echo $! >"$W/watch.pid"

make_disk 40 8

cat >"$W/fwgated.conf" <<EOF
# fwgated withdrawal test ($KV)
node $GUEST_HOST:$((BASE + 101))
genesis $GENESIS
device-key $W/keys/device.key
policy $W/policy
state-device PARTLABEL=fwstate
state-dir /tmp/fwgate
slot rootfs rootfs_a PARTLABEL=rootfs_a
slot rootfs rootfs_b PARTLABEL=rootfs_b
bootloader script $W/boot.sh
sync-interval 2
retry-interval 2
freshness 60
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

# begin.py TARGET STMT: BEGIN an install of the update STMT names, as fwgated would; prints the errno's name.
cat >"$W/begin.py" <<'EOF'
import errno, fcntl, os, struct, sys
stmt = open(sys.argv[2], "rb").read()
# struct fwgate_update_stmt: magic, m_id, u_id at 40, version (be64) at 72, size (be64) at 80.
u_id = stmt[40:72]
version, size = struct.unpack(">QQ", stmt[72:88])
req = struct.pack("=32s32sQQIIQQ", sys.argv[1].encode(), u_id, size, version, 0, 0, 0, 32)
fd = os.open("/dev/fwgate", os.O_RDWR)
try:
    fcntl.ioctl(fd, 0x40000000 | (len(req) << 16) | (0xB9 << 8) | 1, req)
    print("OK")
except OSError as e:
    print(errno.errorcode[e.errno])
EOF

cat >"$W/device.sh" <<EOF
#!/bin/sh
set -u
W=$W
C=$TOP/build/bin/fwgatectl
D=$TOP/build/bin/fwgated
BOOT=\$1
n=\$2
. $TOP/tests/agent/guest-lib.sh
begin() { python3 \$W/begin.py "\$1" "\$2"; }
withdrawn_nacks() { ctl history | grep -c "nack .* update \$(sha256sum \$W/fw1.img | cut -c1-16) .*reason 7\\\$"; }

cp \$W/fwgated.conf /tmp/ || exit 1
$TOP/tests/vm/net-up || exit 1
modprobe mtd
insmod $TOP/build/modules/\$FWGATE_KVER/fwgate.ko || exit 1
\$D -v -c /tmp/fwgated.conf >/tmp/fwgated.log 2>&1 &
t "boot \$BOOT: fwgated provisioned fwgate.ko and locked its policy" "wait_for 30 'grep -q 1 /sys/kernel/fwgate/policy/locked'"
t "boot \$BOOT: fwgated fed the withdrawal of firmware 1 to the kernel" "wait_for 90 'grep -q \"control withdraw of update .*: in force in the kernel\" /tmp/fwgated.log'"
t "boot \$BOOT: the kernel refuses BEGIN of withdrawn firmware 1 with EKEYREVOKED" "[ \"\\\$(begin rootfs_a \$W/fw1.stmt)\" = EKEYREVOKED ]"
t "boot \$BOOT: and says why" "grep -q 'update was withdrawn' /sys/kernel/fwgate/last_error"
if [ "\$BOOT" = 1 ]; then
	t "the device nacks firmware 1 as withdrawn" "wait_for 60 '[ \"\\\$(withdrawn_nacks)\" = 1 ]'"
	t "firmware 2 is paused: the kernel refuses its BEGIN with EAGAIN" "wait_for 30 'grep -q \"control pause of update .*: in force\" /tmp/fwgated.log' && [ \"\\\$(begin rootfs_a \$W/fw2.stmt)\" = EAGAIN ]"
	sleep 6
	t "nothing was installed while paused" "! grep -q 'installing to' /tmp/fwgated.log"
	touch \$W/want-resume
	t "once resumed, firmware 2 is installed on rootfs_b" "wait_for 120 'grep -q \"committed on rootfs_b\" /tmp/fwgated.log'"
	t "rootfs_b holds firmware 2 byte for byte" "cmp -s -n \$(stat -c %s \$W/fw2.img) \$W/fw2.img /dev/vda3"
else
	sleep 8
	t "after the reboot, still exactly one withdrawn nack of firmware 1" "[ \"\\\$(withdrawn_nacks)\" = 1 ]"
fi
t "boot \$BOOT: rootfs_a was never written (all zero)" "! tr -d '\\\\000' </dev/vda2 | head -c 1 | grep -q ."
pkill -x fwgated
wait_for 10 '! pgrep -x fwgated >/dev/null && ! pgrep -x fwgated-worker >/dev/null'
cp /tmp/fwgated.log \$W/fwgated-\$BOOT.log
echo "# n=\$n"
EOF
chmod 755 "$W/device.sh"

rc=0
n=0
for boot in 1 2; do
	"$TOP/tests/vm/run" -N -C 1 -k "$KV" -m 1024 -t 600 -l "$W/console-$boot.log" -d "$W/disk.img" -- \
		"$W/device.sh" $boot $n >"$W/guest-$boot.tap" 2>&1 || rc=1
	grep -v '^# n=' "$W/guest-$boot.tap"
	n=$(sed -n 's/^# n=//p' "$W/guest-$boot.tap")
	n=${n:-$(grep -c '^\(not \)\?ok ' "$W/guest-$boot.tap")}
done

"$F" log --node "$N1" >"$W/chain.txt" 2>&1
n=$((n + 1))
if [ "$(grep -c "^  nack " "$W/chain.txt")" = 1 ] && [ "$(grep -c "^  ack " "$W/chain.txt")" = 1 ] &&
	[ "$(grep -c "^  control " "$W/chain.txt")" = 3 ]; then
	echo "ok $n - the chain verifies and holds the withdrawal, the pause, the resume, one nack and one ack"
else
	echo "not ok $n - the chain verifies and holds the withdrawal, the pause, the resume, one nack and one ack"
	tail -n 20 "$W/chain.txt" | sed 's/^/# /'
	rc=1
fi
echo "1..$n"
if [ $rc -ne 0 ] || grep -q '^not ok' "$W"/guest-*.tap; then
	keep=1
	echo "# kept $W (console-*.log, guest-*.tap, fwgated-*.log)"
	exit 1
fi
exit 0
