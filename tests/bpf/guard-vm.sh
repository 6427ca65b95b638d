#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The write guard, inside the test VM (tests/bpf/suite boots it on each kernel):
#   tests/vm/run -k KVER -d DISK -- tests/bpf/guard-vm.sh
# with DISK a GPT image holding the partitions fwstate and fw_a, and the keys, policy and approved statements
# that tests/bpf/suite writes to $FWGATE_BPF_DATA. Declares three targets (a virtio partition, a scsi_debug disk,
# an mtdram device) and the state store, shows that a standalone guard enforces from its attach, then runs the
# lock sequence (fwgatectl policy lock: guard sealed and pinned, policy locked, kernel switches raised) and
# tries every bypass as root: each must fail and leave the bytes of every target and of the state store as they
# were, including writes through fds opened before the lock, attempts on the guard itself, kernel code and
# hotplug; approved installs through /dev/fwgate succeed and the denials show in the pinned guard's ring buffer
# (fwgatectl bpf log) and counters. Prints "ok - ..." or "not ok - ..." per case.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
d=${FWGATE_BPF_DATA:-$top/build/tests/bpf}
C=$top/build/bin/fwgatectl
probe=$top/build/tests/bpf_ioctl_probe
fdprobe=$top/build/tests/bpf_fd_probe
selfprobe=$top/build/tests/bpf_self_probe
t=/tmp/guard
pins=/sys/fs/bpf/fwgate

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
# nvmet's configfs device_path is one of the hotplug paths the sealed guard refuses; loaded now, before the lock.
modprobe nvmet 2>/dev/null && { grep -qs configfs /proc/mounts || mount -t configfs none /sys/kernel/config; }
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

store=$(basename "$(dirname "$(grep -lsx PARTNAME=fwstate /sys/class/block/*/uevent | head -n 1)")")
[ -n "$store" ] || bail "no partition fwstate"

# Before any guard, the paths tried below do reach the media: a refusal later is the guard's.
dd if=/dev/zero of="/dev/$part" bs=4k count=1 conv=notrunc,fsync status=none &&
	cmp -s -n 4096 /dev/zero "/dev/$part"
result $? "no guard: dd to /dev/$part writes"
$probe "/dev/$sd" sg-write >/dev/null && cmp -s -n 512 /dev/zero "/dev/$sd"
result $? "no guard: SG_IO WRITE through a read-only fd of /dev/$sd writes"

# A standalone guard enforces from its attach, the policy still unlocked, and goes with its process.
$C bpf guard >$t/standalone.log 2>&1 &
guard_pid=$!
for _ in $(seq 100); do grep -q "guard attached" $t/standalone.log && break; sleep 0.1; done
grep -q "guard attached, enforcing" $t/standalone.log &&
	! dd if=/dev/urandom of="/dev/$part" bs=4k count=1 conv=notrunc status=none 2>/dev/null &&
	! dd if=/dev/urandom of="/dev/$store" bs=4k count=1 conv=notrunc status=none 2>/dev/null &&
	cmp -s -n 4096 /dev/zero "/dev/$part"
result $? "standalone guard: enforces from its attach, before the policy lock (target and state store)"
kill "$guard_pid"
wait "$guard_pid"
dd if=/dev/zero of="/dev/$part" bs=4k count=1 conv=notrunc,fsync status=none
result $? "standalone guard: detached with its process"

# Fds and mappings opened before the lock: every write through them must fail after it.
mkfifo $t/go
fdops="pwrite pwritev fallocate splice sendfile aio io_uring mmap mprotect uring-discard"
# shellcheck disable=SC2086
$fdprobe "/dev/$part" $fdops <$t/go >$t/fdprobe.log 2>&1 &
fd_probe_pid=$!
exec 7>$t/go
for _ in $(seq 100); do grep -q ready $t/fdprobe.log && break; sleep 0.1; done
grep -q ready $t/fdprobe.log || bail "fd_probe did not open /dev/$part"

$C policy lock >$t/lock.log 2>&1
rc=$?
sed 's/^/#   /' $t/lock.log
[ $rc -eq 0 ] || bail "policy lock"
state="locked $(cat /sys/kernel/fwgate/policy/locked), modules_disabled $(cat /proc/sys/kernel/modules_disabled)"
state="$state, kexec_load_disabled $(cat /proc/sys/kernel/kexec_load_disabled)"
state="$state, lockdown $(cat /sys/kernel/security/lockdown)"
[ -e $pins/guard_file_open ] &&
	[ "$state" = "locked 1, modules_disabled 1, kexec_load_disabled 1, lockdown none [integrity] confidentiality" ]
result $? "policy lock: guard pinned in $pins, $state"
$C bpf log >$t/log 2>&1 &
log_pid=$!
for _ in $(seq 100); do grep -q "reading" $t/log && break; sleep 0.1; done

dd if="/dev/$part" of=$t/part.orig bs=1M status=none
dd if="/dev/$sd" of=$t/sd.orig bs=1M status=none
dd if="/dev/$mtd" of=$t/mtd.orig bs=64k status=none
dd if="/dev/$store" of=$t/store.orig bs=1M status=none
head -c 65536 /dev/zero >$t/zero

unchanged() {
	cmp -s "/dev/$part" $t/part.orig && cmp -s "/dev/$sd" $t/sd.orig && cmp -s "/dev/$mtd" $t/mtd.orig &&
		cmp -s "/dev/$store" $t/store.orig
}

echo go >&7
exec 7>&-
wait "$fd_probe_pid"
sed 's/^/#   /' $t/fdprobe.log
for op in $fdops; do
	rc=$(awk -v op="$op" '$1 == op { print $2 }' $t/fdprobe.log)
	if [ "$op" = uring-discard ] && [ "$rc" = 95 ]; then
		echo "ok - guard: denied: $op through an fd opened before the lock # SKIP no block io_uring commands"
		continue
	fi
	[ "$rc" = 1 ] && unchanged
	result $? "denied: $op through an fd opened before the lock (errno ${rc:-none})"
done

# denied NAME CMD...: CMD must fail and leave every target as it was.
denied() {
	name=$1
	shift
	"$@" >$t/attempt.log 2>&1
	rc=$?
	[ $rc -ne 0 ] && unchanged
	result $? "denied: $name (exit $rc)"
}

# denied_eperm NAME CMD...: as denied, and the refusal must be EPERM, the guard's or a one-way switch's.
denied_eperm() {
	name=$1
	shift
	"$@" >$t/attempt.log 2>&1
	rc=$?
	[ $rc -ne 0 ] && grep -q "Operation not permitted" $t/attempt.log && unchanged
	result $? "denied: $name (exit $rc: $(tail -n 1 $t/attempt.log))"
}

# eperm NAME DEVICE OP: the ioctl on a read-only fd must fail with EPERM (1), the guard's answer.
eperm() {
	$probe "$2" "$3" >$t/attempt.log 2>&1
	rc=$?
	[ $rc -eq 1 ] && unchanged
	result $? "denied: $1 ($(cat $t/attempt.log))"
}

denied "dd to the partition" dd if=$t/zero of="/dev/$part" bs=4k count=1 conv=notrunc
denied "dd to the state store /dev/$store" dd if=$t/zero of="/dev/$store" bs=4k count=1 conv=notrunc
denied "dd to the whole disk at the partition" \
	dd if=$t/zero of="/dev/$disk" bs=512 seek="$part_start" count=8 conv=notrunc
mknod $t/node b "${part_majmin%:*}" "${part_majmin#*:}"
denied "mknod of the partition, then dd" dd if=$t/zero of=$t/node bs=4k count=1 conv=notrunc
denied "blkdiscard" blkdiscard "/dev/$part"
denied "blkdiscard --zeroout" blkdiscard -z "/dev/$part"
eperm "BLKDISCARD on a read-only fd" "/dev/$part" discard
eperm "BLKZEROOUT on a read-only fd" "/dev/$part" zeroout
eperm "BLKSECDISCARD on a read-only fd" "/dev/$part" secdiscard
eperm "BLKZEROOUT with other size and direction bits" "/dev/$part" zeroout-resized
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

# The installs changed two targets: what must stay from here on.
dd if="/dev/$part" of=$t/part.orig bs=1M status=none
dd if="/dev/$mtd" of=$t/mtd.orig bs=64k status=none

# The sealed guard, attacked: each attempt must fail, and the guard must still deny afterwards.
self_denied() {
	"$@" >$t/attempt.log 2>&1
	rc=$?
	[ $rc -ne 0 ] && grep -Eq "Operation not permitted|must be superuser" $t/attempt.log &&
		! dd if=$t/zero of="/dev/$part" bs=4k count=1 conv=notrunc status=none 2>/dev/null &&
		unchanged && [ -e $pins/guard_file_open ]
	result $? "self: denied: $* (exit $rc: $(tail -n 1 $t/attempt.log)), the guard still denies"
}
self_eperm() {
	$selfprobe "$@" >$t/attempt.log 2>&1
	rc=$?
	[ $rc -eq 1 ] && unchanged
	result $? "self: denied with EPERM: self_probe $* (exit $rc: $(tr '\n' ' ' <$t/attempt.log))"
}
self_denied bpftool map update pinned $pins/guard_protected key 0 0 0 0 value 0 0 0 0
self_denied bpftool map delete pinned $pins/guard_protected key hex 00 00 00 00
self_denied bpftool map freeze pinned $pins/guard_protected
self_denied bpftool link detach pinned $pins/guard_file_open
self_eperm ids
self_eperm fmod_ret
self_eperm freplace
self_eperm map-update $pins/guard_stats
self_eperm link-detach $pins/guard_file_open
self_denied rm $pins/guard_file_open
self_denied rm -rf $pins
self_denied mv $pins/guard_file_permission $pins/moved
self_denied mv $pins /sys/fs/bpf/elsewhere
self_denied umount /sys/fs/bpf
self_denied umount -l /sys/fs/bpf
self_denied umount -l /sys
self_denied "$C" bpf unpin
self_denied sh -c "echo x >$pins/guard_stats"
$C bpf stats >$t/stats 2>&1 && grep -q "^guard write_open [1-9]" $t/stats
result $? "self: fwgatectl bpf stats still reads the counters ($(grep -c . $t/stats) lines)"

# Kernel code: the guard and the kernel's switches refuse modules and kexec images.
denied_eperm "modprobe null_blk" modprobe null_blk
lsmod | grep -q "^null_blk " && echo "# null_blk loaded!"
denied_eperm "rmmod -f fwgate" rmmod -f fwgate
[ -d /sys/module/fwgate ]
result $? "fwgate.ko still loaded"
if command -v kexec >/dev/null; then
	denied_eperm "kexec_file_load of /boot/vmlinuz-$FWGATE_KVER" kexec -s -l "/boot/vmlinuz-$FWGATE_KVER"
	denied_eperm "kexec_load of /boot/vmlinuz-$FWGATE_KVER" kexec -c -l "/boot/vmlinuz-$FWGATE_KVER"
fi

# Hotplug: no protected medium may go away and come back under another name.
host=$(basename "$(readlink -f "/sys/block/$sd/device/../..")")
hosts=$(ls /sys/class/scsi_host | wc -l)
denied_eperm "delete of /dev/$sd" sh -c "echo 1 >/sys/block/$sd/device/delete"
[ -e "/sys/block/$sd" ]
result $? "/dev/$sd still present"
denied_eperm "SCSI rescan of /dev/$sd" sh -c "echo 1 >/sys/block/$sd/device/rescan"
denied_eperm "SCSI host scan" sh -c "echo '- - -' >/sys/class/scsi_host/$host/scan"
denied_eperm "scsi_debug add_host" sh -c "echo 1 >/sys/bus/pseudo/drivers/scsi_debug/add_host"
[ "$(ls /sys/class/scsi_host | wc -l)" = "$hosts" ]
result $? "no new SCSI host"
vdev=$(basename "$(readlink -f "/sys/block/$disk/device")")
vdrv=$(basename "$(readlink -f "/sys/block/$disk/device/driver")")
denied_eperm "unbind of $vdev from $vdrv" sh -c "echo $vdev >/sys/bus/virtio/drivers/$vdrv/unbind"
denied_eperm "PCI rescan" sh -c "echo 1 >/sys/bus/pci/rescan"
denied_eperm "PCI remove of the disk's function" \
	sh -c "echo 1 >$(readlink -f "/sys/block/$disk/device/..")/remove"
[ -e "/sys/block/$disk" ]
result $? "/dev/$disk still present"
nvmet=/sys/kernel/config/nvmet/subsystems
if [ -d $nvmet ] && mkdir -p $nvmet/fwgx/namespaces/1 2>/dev/null; then
	denied_eperm "nvmet namespace over the partition" sh -c "echo /dev/$part >$nvmet/fwgx/namespaces/1/device_path"
else
	echo "ok - guard: denied: nvmet device_path # SKIP no nvmet"
fi

kill "$log_pid"
wait "$log_pid"
echo "# guard log:"
sed 's/^/#   /' $t/log
for r in write_open discard passthrough blkroset blkpg mtd_write dm_table write_fd mmap_write self hotplug; do
	grep -q "reason $r " $t/log && grep -Eq "^guard $r [1-9]" $t/log
	result $? "ring buffer and counters report $r denials"
done
if [ -e /dev/ubi_ctrl ]; then
	grep -q "reason ubi_attach " $t/log && grep -Eq "^guard ubi_attach [1-9]" $t/log
	result $? "ring buffer and counters report ubi_attach denials"
fi
! grep "comm fwgatectl " $t/log | grep -qv " reason self " && grep -q "^guard events_lost 0$" $t/log
result $? "no denial of the installs, no lost events"

