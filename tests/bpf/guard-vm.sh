#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The write guard, inside the test VM (tests/bpf/suite boots it on each kernel):
#   tests/vm/run -k KVER -d DISK -- tests/bpf/guard-vm.sh
# with DISK a GPT image holding the partitions fwstate and fw_a, and the keys, policy and approved statements
# that tests/bpf/suite writes to $FWGATE_BPF_DATA. Declares three targets (a virtio partition, a scsi_debug disk,
# an mtdram device), attaches the guard, locks the policy, then tries every bypass as root: each must fail and
# leave the bytes of every target as they were, while approved installs through /dev/fwgate succeed and the
# denials show in the guard's ring-buffer log and counters. Prints "ok - ..." or "not ok - ..." per case.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
d=${FWGATE_BPF_DATA:-$top/build/tests/bpf}
C=$top/build/bin/fwgatectl
probe=$top/build/tests/bpf_ioctl_probe
t=/tmp/guard
guard_pid=

result() {
	if [ "$1" = 0 ]; then echo "ok - guard: $2"; else echo "not ok - guard: $2"; fi
}

bail() {
	echo "Bail out! $*"
	exit 1
}

[ "${FWGATE_VM:-}" = 1 ] || bail "run me in the test VM (tests/bpf/suite)"
mkdir -p $t
for m in mtd mtdram mtdblock scsi_debug sd_mod sg loop dm_mod; do
	case $m in
	mtdram) modprobe mtdram total_size=1024 erase_size=64 ;;
	scsi_debug) modprobe scsi_debug dev_size_mb=8 ;;
	*) modprobe $m ;;
	esac || bail "modprobe $m"
done
modprobe ubi 2>/dev/null
insmod "$top/build/modules/$FWGATE_KVER/fwgate.ko" || bail "insmod fwgate.ko"

for _ in $(seq 100); do
	part=$(grep -lsx PARTNAME=fw_a /sys/class/block/*/uevent | head -n 1)
	[ -n "$part" ] && break
	sleep 0.1
done
[ -n "$part" ] || bail "no partition fw_a: attach the disk tests/bpf/suite makes"
part=$(basename "$(dirname "$part")")
disk=$(basename "$(readlink -f "/sys/class/block/$part/..")")
part_start=$(cat "/sys/class/block/$part/start")
read -r part_majmin <"/sys/class/block/$part/dev"
sd='' sg=''
for _ in $(seq 100); do
	for b in /sys/block/sd*; do
		grep -qs scsi_debug "$b/device/model" && sd=$(basename "$b")
	done
	[ -n "$sd" ] && sg=$(ls "/sys/block/$sd/device/scsi_generic" 2>/dev/null)
	[ -n "$sg" ] && [ -e "/dev/$sg" ] && [ -e "/dev/$sd" ] && break
	sleep 0.1
done
mtd=$(awk -F: '/"mtdram test device"/ { print $1 }' /proc/mtd)
[ -n "$sd" ] && [ -n "$sg" ] && [ -n "$mtd" ] || bail "no scsi_debug disk, sg node or mtdram device"
mtdn=${mtd#mtd}
echo "# partition /dev/$part ($part_majmin) of /dev/$disk, scsi_debug /dev/$sd (/dev/$sg), /dev/$mtd"

# Random content on every target, before the declarations claim nothing yet.
dd if=/dev/urandom of="/dev/$part" bs=1M count=4 status=none || bail "fill /dev/$part"
dd if=/dev/urandom of="/dev/$sd" bs=1M count=8 status=none || bail "fill /dev/$sd"
flash_erase -q "/dev/$mtd" 0 0 && dd if=/dev/urandom of="/dev/$mtd" bs=64k count=16 status=none ||
	bail "fill /dev/$mtd"

$C state-device PARTLABEL=fwstate && $C target fw_a PARTLABEL=fw_a fw && $C target sdbg "/dev/$sd" &&
	$C target flash "/dev/$mtd" flash && $C policy load "$d/policy" || bail "declare the targets"

$C bpf guard >$t/log 2>&1 &
guard_pid=$!
for _ in $(seq 100); do grep -q "guard attached" $t/log && break; sleep 0.1; done
grep -q "guard attached, waiting for the policy lock" $t/log
result $? "attaches before the lock and waits for it"

# Before the lock the guard lets writes pass: the paths tried below do reach the media.
dd if=/dev/zero of="/dev/$part" bs=4k count=1 conv=notrunc,fsync status=none &&
	cmp -s -n 4096 /dev/zero "/dev/$part"
result $? "unlocked: dd to /dev/$part writes (the guard is inert)"
$probe "/dev/$sd" sg-write >/dev/null && cmp -s -n 512 /dev/zero "/dev/$sd"
result $? "unlocked: SG_IO WRITE through a read-only fd of /dev/$sd writes"

$C policy lock || bail "policy lock"
for _ in $(seq 50); do grep -q "guard enforcing" $t/log && break; sleep 0.1; done
grep -q "guard enforcing" $t/log
result $? "enforces once the policy is locked"

dd if="/dev/$part" of=$t/part.orig bs=1M status=none
dd if="/dev/$sd" of=$t/sd.orig bs=1M status=none
dd if="/dev/$mtd" of=$t/mtd.orig bs=64k status=none
head -c 65536 /dev/zero >$t/zero

unchanged() {
	cmp -s "/dev/$part" $t/part.orig && cmp -s "/dev/$sd" $t/sd.orig && cmp -s "/dev/$mtd" $t/mtd.orig
}

# denied NAME CMD...: CMD must fail and leave every target as it was.
denied() {
	name=$1
	shift
	"$@" >$t/attempt.log 2>&1
	rc=$?
	[ $rc -ne 0 ] && unchanged
	result $? "denied: $name (exit $rc)"
}

# eperm NAME DEVICE OP: the ioctl on a read-only fd must fail with EPERM (1), the guard's answer.
eperm() {
	$probe "$2" "$3" >$t/attempt.log 2>&1
	rc=$?
	[ $rc -eq 1 ] && unchanged
	result $? "denied: $1 ($(cat $t/attempt.log))"
}

denied "dd to the partition" dd if=$t/zero of="/dev/$part" bs=4k count=1 conv=notrunc
denied "dd to the whole disk at the partition" \
	dd if=$t/zero of="/dev/$disk" bs=512 seek="$part_start" count=8 conv=notrunc
mknod $t/node b "${part_majmin%:*}" "${part_majmin#*:}"
denied "mknod of the partition, then dd" dd if=$t/zero of=$t/node bs=4k count=1 conv=notrunc
denied "blkdiscard" blkdiscard "/dev/$part"
denied "blkdiscard --zeroout" blkdiscard -z "/dev/$part"
eperm "BLKDISCARD on a read-only fd" "/dev/$part" discard
eperm "BLKZEROOUT on a read-only fd" "/dev/$part" zeroout
eperm "BLKSECDISCARD on a read-only fd" "/dev/$part" secdiscard
denied "blockdev --setrw (BLKROSET)" blockdev --setrw "/dev/$part"
eperm "BLKROSET on a read-only fd" "/dev/$part" roset
eperm "BLKPG: a new partition over the disk's first MiB" "/dev/$disk" blkpg
denied "dd to the scsi_debug disk" dd if=$t/zero of="/dev/$sd" bs=512 count=1 conv=notrunc
denied "sg_dd to /dev/$sg" sg_dd if=$t/zero of="/dev/$sg" bs=512 count=1
denied "sg_raw WRITE(10) on read-only /dev/$sd" \
	sg_raw -R -s 512 -i $t/zero "/dev/$sd" 2a 00 00 00 00 00 00 00 01 00
denied "sg_raw WRITE(10) on read-only /dev/$sg" \
	sg_raw -R -s 512 -i $t/zero "/dev/$sg" 2a 00 00 00 00 00 00 00 01 00
eperm "SG_IO WRITE on a read-only fd of /dev/$sd" "/dev/$sd" sg-write
eperm "SG_IO WRITE on a read-only fd of /dev/$sg" "/dev/$sg" sg-write
denied "flash_erase" flash_erase "/dev/$mtd" 0 0
denied "mtd_debug erase" mtd_debug erase "/dev/$mtd" 0 65536
denied "mtd_debug write" mtd_debug write "/dev/$mtd" 0 4096 $t/zero
denied "dd to /dev/mtdblock$mtdn" dd if=$t/zero of="/dev/mtdblock$mtdn" bs=4k count=1 conv=notrunc
mknod $t/mtdnode c 90 $((mtdn * 2))
denied "mknod of the MTD device, then dd" dd if=$t/zero of=$t/mtdnode bs=4k count=1
eperm "MEMERASE on a read-only fd" "/dev/$mtd" memerase
eperm "MEMWRITE on a read-only fd" "/dev/$mtd" memwrite
eperm "MEMUNLOCK on a read-only fd" "/dev/$mtd" memunlock
denied "losetup over the partition" losetup -f "/dev/$part"
loop=$(losetup -r -f --show "/dev/$part")
denied "dd to a read-only loop over the partition ($loop)" dd if=$t/zero of="$loop" bs=4k count=1 conv=notrunc
[ -n "$loop" ] && losetup -d "$loop"
denied "dmsetup linear table over the partition" \
	dmsetup --noudevsync create fwgx --table "0 2048 linear /dev/$part 0"
denied "dmsetup linear table over MAJ:MIN" \
	dmsetup --noudevsync create fwgy --table "0 2048 linear $part_majmin 0"
if [ -e /dev/ubi_ctrl ]; then
	denied "ubiattach of the MTD device" ubiattach /dev/ubi_ctrl -m "$mtdn"
else
	echo "ok - guard: denied: ubiattach # SKIP no ubi module"
fi

# fwgate.ko writes with bios from inside the kernel: approved installs pass.
$C bundle "$d/fw.stmt" "$d/fw.c1" "$d/fw.c2" >/dev/null &&
	$C install fw_a "$d/fw.stmt" "$d/fw.img" >$t/attempt.log 2>&1 &&
	cmp -s -n "$(stat -c %s "$d/fw.img")" "$d/fw.img" "/dev/$part"
result $? "approved install through /dev/fwgate to /dev/$part succeeds ($(cat $t/attempt.log))"
$C bundle "$d/flash.stmt" "$d/flash.c1" "$d/flash.c2" >/dev/null &&
	$C install flash "$d/flash.stmt" "$d/flash.img" >$t/attempt.log 2>&1 &&
	cmp -s -n "$(stat -c %s "$d/flash.img")" "$d/flash.img" "/dev/$mtd"
result $? "approved install through /dev/fwgate to /dev/$mtd succeeds ($(cat $t/attempt.log))"

kill "$guard_pid"
wait "$guard_pid"
echo "# guard log:"
sed 's/^/#   /' $t/log
for r in write_open discard passthrough blkroset blkpg mtd_write dm_table; do
	grep -q "hook file_.* reason $r " $t/log && grep -Eq "^guard $r [1-9]" $t/log
	result $? "ring buffer and counters report $r denials"
done
if [ -e /dev/ubi_ctrl ]; then
	grep -q "reason ubi_attach " $t/log && grep -Eq "^guard ubi_attach [1-9]" $t/log
	result $? "ring buffer and counters report ubi_attach denials"
fi
! grep -q "comm fwgatectl " $t/log && grep -q "^guard events_lost 0$" $t/log
result $? "no denial of the installs, no lost events"

# Pinned, the guard outlives its loader; removing the pins detaches it (root can: see bpf.rst).
$C bpf guard --pin /sys/fs/bpf/fwgate && ! dd if=$t/zero of="/dev/$part" bs=4k count=1 conv=notrunc 2>/dev/null &&
	$C bpf stats | grep -q "^guard write_open 1$"
result $? "pinned guard denies after its loader exits, and bpf stats reads its counters"
# The kernel releases a link whose last reference goes from a work item: give it a moment.
detached() {
	for _ in $(seq 50); do
		dd if=$t/zero of="/dev/$part" bs=4k count=1 conv=notrunc,fsync status=none 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
$C bpf unpin && detached
result $? "bpf unpin detaches the guard"
