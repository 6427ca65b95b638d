#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The rollback state survives a reboot and a power cut: boot 1 installs version 2 on rootfs_b, starts
# installing version 3 on rootfs_a and loses power midway (sysrq b: no sync, no unmount). Boot 2, on the same
# disk, loads the module again and finds the floor and rootfs_b's record intact, version 2 refused as stale,
# and rootfs_a recorded as being written, its first 4 KiB destroyed: never mistaken for a valid image. The
# refusal of version 2 comes as an event too (fwgatectl events --json).
# Usage: tests/kernel/reboot.sh KVER
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
kver=$1
d=$top/build/tests/reboot-$kver
F=$top/build/bin/fwgate
C=$top/build/bin/fwgatectl

rm -rf "$d"
mkdir -p "$d"
cd "$d"
"$F" keygen m >/dev/null
"$F" keygen c1 >/dev/null
"$F" keygen --alg p256 dev >/dev/null
"$F" provision --manufacturer m.pub --checker c1.pub --type t --device-key dev.pub --out policy
head -c 100000 /dev/urandom >img
head -c 3000000 /dev/urandom >img3
"$F" publish --key m.key --image img --version 2 --type t --target rootfs --out u.stmt
"$F" approve --key c1.key --out c1.v u.stmt
"$F" publish --key m.key --image img3 --version 3 --type t --target rootfs --chunks u3.chunks --out u3.stmt
"$F" approve --key c1.key --out c1.v3 u3.stmt
"$top/tests/kernel/mkdisk.sh" disk.img

cat >boot.sh <<VMEOF
#!/bin/sh
set -eu
modprobe mtd
insmod $top/build/modules/\$FWGATE_KVER/fwgate.ko
$C state-device PARTLABEL=fwstate
$C target rootfs_a PARTLABEL=rootfs_a rootfs
$C target rootfs_b PARTLABEL=rootfs_b rootfs
$C policy load $d/policy
$C bundle $d/u.stmt $d/c1.v >/dev/null 2>&1 || true
VMEOF
cat >first.sh <<VMEOF
#!/bin/sh
set -eu
. $d/boot.sh
$C install rootfs_b $d/u.stmt $d/img
$C bundle $d/u3.stmt $d/c1.v3
# Something that looks like data where the head will be, so that destroying it shows.
head -c 4096 /dev/urandom | dd of=/dev/vda2 conv=fsync status=none
(head -c 1500000 $d/img3; sleep 60) | $C install --chunks $d/u3.chunks rootfs_a $d/u3.stmt - &
sleep 3
echo "power cut"
# Let the console drain: the cut must not swallow the line that says it came.
sleep 1
echo b >/proc/sysrq-trigger
VMEOF
cat >second.sh <<VMEOF
#!/bin/sh
set -u
. $d/boot.sh
# boot.sh stops at the first error (set -e); from here a failing command is a case, not the end of the run.
set +e
t=/sys/kernel/fwgate/targets/rootfs_b
n=0
check() { if [ "\$2" = "\$3" ]; then echo "ok \$((n += 1)) - \$1"; else echo "not ok \$((n += 1)) - \$1: \$2, want \$3"; fi; }
check "$kver: floor after reboot" "\$(cat \$t/rollback_floor)" 2
check "$kver: last version after reboot" "\$(cat \$t/last_version)" 2
check "$kver: state after reboot" "\$(cat \$t/state)" valid
check "$kver: last U_id after reboot" "\$(cat \$t/last_uid)" "\$(sha256sum $d/img | cut -c1-64)"
# The refusal is also an event: fwgatectl events --json prints it as one line of JSON.
timeout 20 $C events 1 --json >/tmp/events.json 2>&1 &
ev=\$!
sleep 1
$C install rootfs_b $d/u.stmt $d/img 2>/dev/null
rc=\$?
if [ \$rc -eq 0 ]; then r=installed; else r=refused; fi
check "$kver: version 2 refused after reboot" \$r refused
check "$kver: fwgatectl exits 77 when fwgate.ko refuses" \$rc 77
wait \$ev
check "$kver: fwgatectl events --json prints the refusal as one JSON line" \
	"\$(jq -r '"\\(.event) \\(.u_id) \\(.errno > 0)"' /tmp/events.json 2>&1)" \
	"install-refused \$(sha256sum $d/img | cut -c1-64) true"
a=/sys/kernel/fwgate/targets/rootfs_a
check "$kver: target cut mid-install recorded as writing" "\$(cat \$a/state)" writing
check "$kver: target cut mid-install has no valid head" \
	"\$(dd if=/dev/vda2 bs=4096 count=1 status=none | tr -d '\0' | wc -c)" 0
echo "1..\$n"
VMEOF
chmod +x first.sh second.sh
# The power cut ends boot 1 without the harness's end marker: judge it by what it printed.
"$top/tests/vm/run" -k "$kver" -l "$d/first.log" -d disk.img -- "$d/first.sh" >first.out 2>&1 || true
grep -q "installed version 2 on rootfs_b" "$d/first.log" && grep -q "power cut" "$d/first.log" ||
	{ cat first.out; echo "not ok - $kver: boot 1 did not reach the power cut"; exit 1; }
"$top/tests/vm/run" -k "$kver" -l "$d/second.log" -d disk.img -- "$d/second.sh" | tee second.out
# Every case ran: as many "ok" lines as the plan at the end (a boot 2 that stops early prints no plan).
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' second.out)
! grep -q "^not ok" second.out && [ -n "$plan" ] && [ "$(grep -c '^ok ' second.out)" = "$plan" ] ||
	{ echo "not ok - $kver: boot 2 ran $(grep -c '^ok ' second.out) cases, its plan says ${plan:-nothing}"; exit 1; }
