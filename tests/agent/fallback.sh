#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Two-phase acknowledgements and automatic fallback (issue 15), in the VM on one kernel: a real 3-member etcd
# cluster and a fwgate-node on the host, the device a QEMU guest with fwgate.ko, the A/B slots on a disk, and
# fwgated. Its reboots are played by tests/agent/bootsim over the bootloader's real environment tools
# (fw_setenv/fw_printenv on a U-Boot environment image, grub-editenv on a GRUB environment block): the slot it
# boots is what the guest's /proc/cmdline says (fwgate.slot=, a file bind-mounted over it), then fwgated starts
# again as after a boot. For each backend, U-Boot then GRUB, three updates:
#   1. healthy: installed on the idle slot (U-Boot: its environment unwritable at first, so the switch is left
#      pending, and done from boot.state after a restart), boots, passes its health check: installed and
#      running acks;
#   2. unhealthy: boots, fails the health check: fwgated reverts to the previous slot, asks for a reboot, and
#      a nack HEALTH is on the chain; the previous version runs;
#   3. panics (bootsim's PANIC): U-Boot boots it bootlimit (3) times, then altbootcmd falls back; GRUB's
#      one-time boot falls back at once; fwgated finds the previous slot running and a nack BOOT is on the chain.
# usage: tests/agent/fallback.sh KVER   (needs make; root)
set -u

NAME=fallback
BASE=${FWGATE_FALLBACK_PORT:-28390}
# shellcheck source=tests/agent/lib.sh
. "$(dirname "$0")/lib.sh"

consortium
chain_up
certify_device

# publish N: firmware N (version N, 256 KiB), in the chain's blob store, approved by 2 of 3.
publish() {
	img=$W/fw$1.img
	head -c 262144 /dev/urandom >"$img"
	cp "$img" "$W/blobs/$(hex_of "$img")"
	"$F" publish --key "$W/keys/acme.key" --image "$img" --version "$1" --type headunit --target rootfs \
		--node "$N1" --out "$W/fw$1.stmt" &&
	"$F" approve --key "$W/keys/anssi.key" --node "$N1" --out "$W/fw$1.anssi" "$W/fw$1.stmt" &&
	"$F" approve --key "$W/keys/bsi.key" --node "$N1" --out "$W/fw$1.bsi" "$W/fw$1.stmt"
}

# The guest asks for firmware N with $W/want-N; the host answers with $W/done-N.
watch_requests() {
	for _ in $(seq 3600); do
		for n in 1 2 3 4 5 6; do
			if [ -f "$W/want-$n" ] && [ ! -f "$W/done-$n" ]; then
				publish $n >>"$W/setup.log" 2>&1
				touch "$W/done-$n"
			fi
		done
		sleep 0.5
	done
}
watch_requests &
echo $! >"$W/watch.pid"

make_disk 8 2

cat >"$W/device.sh" <<EOF
#!/bin/sh
set -u
W=$W
TOP=$TOP
GUEST_HOST=$GUEST_HOST
BASE=$BASE
GENESIS=$GENESIS
EOF
cat >>"$W/device.sh" <<'EOF'
C=$TOP/build/bin/fwgatectl
D=$TOP/build/bin/fwgated
. $TOP/tests/agent/guest-lib.sh
diag() {
	timeout 10 $C agent history 2>&1 | sed 's/^/# history: /'
	$C boot --state-dir /tmp/fwgate 2>&1 | sed 's/^/# boot: /'
	tail -n 20 /tmp/fwgated.log | sed 's/^/# log: /'
}
short() { sha256sum "$W/fw$1.img" 2>/dev/null | cut -c1-16; }
# own LINE-KIND N: this device's ack, running or nack (with its reason) of firmware N, in a block.
on_chain() { [ -n "$(short $2)" ] && ctl history | grep -q "^block .* $1 .* update $(short $2)\( naming [0-9a-f]* reason ${3:-}\)\?\$"; }
boot_phase() { $C boot --state-dir /tmp/fwgate | awk '$1 == "phase" { print $2 }'; }
# update_state N STATE: fwgated's view of firmware N is STATE.
update_state() {
	ctl updates --json | jq -e --argjson v $1 --arg s $2 'any(.updates[]; .version == $v and .state == $s)' >/dev/null
}
slot_version() { cat /sys/kernel/fwgate/targets/$1/last_version; }

mkdir -p /tmp/uboot /tmp/fwgate
cat >/tmp/health.sh <<'H'
#!/bin/sh
# Healthy unless the test marked the slot unhealthy.
echo "$1" >>/tmp/health.log
! grep -qx "$1" /tmp/unhealthy 2>/dev/null
H
printf '#!/bin/sh\ntouch /tmp/reboot-asked\n' >/tmp/reboot.sh
chmod 755 /tmp/health.sh /tmp/reboot.sh
: >/tmp/unhealthy

# The bootloaders' environments; rootfs_a runs at first.
printf 'BOOT_ORDER=rootfs_a rootfs_b\nbootcmd=run distro_bootcmd\n' >/tmp/uboot/def
mkenvimage -s 0x2000 -o /tmp/uboot/env /tmp/uboot/def && echo "/tmp/uboot/env 0x0 0x2000" >/tmp/uboot/fw_env.config ||
	exit 1
grub-editenv /tmp/grubenv create || exit 1

conf() {
	cat <<C
node $GUEST_HOST:$((BASE + 101))
genesis $GENESIS
device-key $W/keys/device.key
policy $W/policy
state-device PARTLABEL=fwstate
state-dir /tmp/fwgate
slot rootfs rootfs_a PARTLABEL=rootfs_a
slot rootfs rootfs_b PARTLABEL=rootfs_b
bootloader $1
health-check /tmp/health.sh
reboot /tmp/reboot.sh
sync-interval 2
retry-interval 2
bpf no
control /run/fwgate/fwgated.sock
user nobody
C
}

# The kernel command line the bootloader passes: fwgate.slot= names the slot booted.
cmdline() {
	echo "console=ttyS0 fwgate.slot=$1" >/tmp/cmdline
	umount /proc/cmdline 2>/dev/null
	mount --bind /tmp/cmdline /proc/cmdline
}
start_agent() { $D -v -c /tmp/fwgated.conf >>/tmp/fwgated.log 2>&1 & }
stop_agent() { pkill -x fwgated; wait_for 10 '! pgrep -x fwgated >/dev/null && ! pgrep -x fwgated-worker >/dev/null'; }
# reboot KIND ENV PANIC: the agent stops, bootsim boots, the agent starts in the slot that came up.
reboot() {
	stop_agent
	rm -f /tmp/reboot-asked
	came=$($TOP/tests/agent/bootsim "$1" "$2" "$3") || return 1
	echo "# bootsim $1: $came"
	cmdline "${came% *}"
	start_agent
}

$TOP/tests/vm/net-up || exit 1
modprobe mtd
insmod $TOP/build/modules/$FWGATE_KVER/fwgate.ko || exit 1
cmdline rootfs_a

# story KIND ENV FIRST X Y BOOTS: firmware FIRST.. FIRST+2 with Y running and X idle; a panicking slot takes
# BOOTS boots to fall back.
story() {
	kind=$1 env=$2 v=$3 x=$4 y=$5 boots=$6
	conf "$kind $env" >/tmp/fwgated.conf
	stop_agent
	start_agent

	if [ $kind = uboot ]; then
		# The environment can not be written for a while: the switch after the commit fails.
		wait_for 60 'grep -q "slot rootfs_a: booted and healthy" /tmp/fwgated.log'
		mv /tmp/uboot/env /tmp/uboot/env.away
	fi
	touch $W/want-$v
	t "$kind: firmware $v is installed on $x, acked" "wait_for 180 'on_chain ack $v'"
	if [ $kind = uboot ]; then
		t "uboot: the bootloader switch failed: recorded as switch-pending" \
			"[ \"\$(boot_phase)\" = switch-pending ]"
		stop_agent
		mv /tmp/uboot/env.away /tmp/uboot/env
		start_agent
		t "uboot: restarted, fwgated retries the switch it read from boot.state: a trial of $x" \
			"wait_for 30 '[ \"\$(boot_phase)\" = trial ]' && [ \"\$(fw_printenv -c $env -n BOOT_ORDER)\" = '$x $y' ]"
	fi
	t "$kind: the bootloader's next boot tries $x, recorded as a trial" "[ \"\$(boot_phase)\" = trial ]"
	reboot $kind $env ""
	t "$kind: $x boots once and passes its health check: a running ack of firmware $v on the chain" \
		"wait_for 120 'on_chain running $v'"
	t "$kind: fwgatectl boot says running, and fwgatectl updates too" \
		"[ \"\$(boot_phase)\" = running ] && update_state $v running"

	touch $W/want-$((v + 1))
	echo $y >/tmp/unhealthy
	t "$kind: firmware $((v + 1)) is installed on $y" "wait_for 180 'on_chain ack $((v + 1))'"
	reboot $kind $env ""
	t "$kind: $y boots, fails its health check: fwgated reverts to $x and asks for a reboot" \
		"wait_for 60 '[ -f /tmp/reboot-asked ]' && [ \"\$(boot_phase)\" = fell-back-health ]"
	reboot $kind $env ""
	t "$kind: after that reboot $x runs firmware $v" \
		"grep -q 'fwgate.slot=$x' /proc/cmdline && [ \$(slot_version $x) = $v ]"
	t "$kind: a nack HEALTH (reason 5) of firmware $((v + 1)) is on the chain" \
		"wait_for 120 'on_chain nack $((v + 1)) 5'"

	: >/tmp/unhealthy
	touch $W/want-$((v + 2))
	t "$kind: firmware $((v + 2)) is installed on $y" "wait_for 180 'on_chain ack $((v + 2))'"
	reboot $kind $env $y
	t "$kind: $y panics; the bootloader falls back to $x after $boots boots" "[ \"\$came\" = '$x $boots' ]"
	t "$kind: fwgated finds $x running, $y still pending: fell-back-boot" \
		"wait_for 60 '[ \"\$(boot_phase)\" = fell-back-boot ]'"
	t "$kind: a nack BOOT (reason 6) of firmware $((v + 2)) is on the chain, firmware $v still runs" \
		"wait_for 120 'on_chain nack $((v + 2)) 6' && [ \$(slot_version $x) = $v ]"
	t "$kind: no running ack of firmware $((v + 1)) or $((v + 2)); fwgatectl updates: $((v + 2)) fell back" \
		"! on_chain running $((v + 1)) && ! on_chain running $((v + 2)) && update_state $((v + 2)) fell-back"
}

story uboot /tmp/uboot/fw_env.config 1 rootfs_b rootfs_a 4
# GRUB's entries: saved_entry is rootfs_b, which runs now.
grub-editenv /tmp/grubenv set saved_entry=rootfs_b
story grub /tmp/grubenv 4 rootfs_a rootfs_b 2

stop_agent
cp /tmp/fwgated.log $W/fwgated.log
echo "1..$n"
EOF
chmod 755 "$W/device.sh"

"$TOP/tests/vm/run" -N -C 1 -k "$KV" -m 1024 -t 1200 -l "$W/console.log" -d "$W/disk.img" -- "$W/device.sh" \
	>"$W/guest.tap" 2>&1
rc=$?
grep -v '^1\.\.' "$W/guest.tap"
n=$(grep -c '^\(not \)\?ok ' "$W/guest.tap")

"$F" log --node "$N1" >"$W/chain.txt" 2>&1
n=$((n + 1))
if [ "$(grep -c '^  running ' "$W/chain.txt")" = 2 ] && [ "$(grep -c '^  ack ' "$W/chain.txt")" = 6 ] &&
	[ "$(grep -c '^  nack ' "$W/chain.txt")" = 4 ]; then
	echo "ok $n - the chain verifies: 6 installed acks, 2 running acks, 4 fallback nacks"
else
	echo "not ok $n - the chain verifies: 6 installed acks, 2 running acks, 4 fallback nacks"
	grep -c '^  \(running\|ack\|nack\) ' "$W/chain.txt" | sed 's/^/# /'
	tail -n 20 "$W/chain.txt" | sed 's/^/# /'
fi
echo "1..$n"
if [ $rc -ne 0 ] || grep -q '^not ok' "$W/guest.tap"; then
	keep=1
	echo "# kept $W (console.log, guest.tap, fwgated.log)"
	exit 1
fi
exit 0
