#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Root against the locked gate, inside the test VM (tests/attack/suite boots it twice per kernel):
#   tests/vm/run -k KVER -d DISK -d NVME_DISK -- tests/attack/vm.sh attack|reboot
# FWGATE_ATTACK_DATA holds the keys, policies, statements and images the suite made; FWGATE_ATTACK_OUT is a
# writable directory that carries the records of the first boot to the second.
#
# attack: provisions the device as production does (fwgate.ko, the state store and six targets: two A/B
#   slots of a virtio GPT disk, a scsi_debug disk, an mtdram device and an NVMe namespace; the policy and
#   tests/attack/lock.sh), then tries every class of issue 11 as root. Each attack prints one line,
#   "ok - ID: CLASS: WHAT (refused: ...)" when the SHA-256 of every target is what it was before it, or
#   "not ok - ID: CLASS: WHAT (changed: ...)". After the attacks an approved install must still commit and
#   switch the A/B pair; then come the attacks that end the boot's usefulness (kexec, unapproved modules,
#   PCI removal, fwgate.ko forced out and replaced).
# reboot: checks the state store and the slots, read before fwgate.ko attaches the store, against what the
#   first boot recorded before its last attacks; then provisions and locks again on the same disk and checks
#   the rollback floor.
set -u

phase=${1:-}
top=$(cd "$(dirname "$0")/../.." && pwd)
D=${FWGATE_ATTACK_DATA:?}
O=${FWGATE_ATTACK_OUT:?}
C=$top/build/bin/fwgatectl
T=$top/build/tests/attack/attack_tool
P=$top/build/tests/bpf_ioctl_probe
kver=$FWGATE_KVER
evil_ko=$top/build/tests/attack/evil_bio-$kver/evil_bio.ko
t=/tmp/attack
pins=/sys/fs/bpf/fwgate
names="fwstate rootfs_a rootfs_b sdbg flash nvme"

bail() {
	echo "Bail out! $*"
	exit 1
}

[ "${FWGATE_VM:-}" = 1 ] || bail "run me in the test VM (tests/attack/suite)"
mkdir -p $t "$O"

# ------------------------------------------------------------------ devices

# part_of PARTNAME: the partition's kernel name, from sysfs (shell builtins only: TCG makes forks dear).
part_of() {
	local u l
	for u in /sys/class/block/*/uevent; do
		while IFS= read -r l; do
			[ "$l" = "PARTNAME=$1" ] || continue
			u=${u%/uevent}
			echo "${u##*/}"
			return 0
		done <"$u"
	done
	return 1
}

# dev NAME: the device node of a target, looked up again each time (a disk may come back under a new name).
dev() {
	case $1 in
	fwstate | rootfs_a | rootfs_b) echo "/dev/$(part_of "$1")" ;;
	sdbg) echo "/dev/$sd" ;;
	flash) echo "/dev/$mtd" ;;
	nvme) echo "/dev/$nvme" ;;
	esac
}

majmin() {
	cat "/sys/class/block/$(basename "$1")/dev"
}

setup_devices() {
	local m
	# The in-kernel openers the attacks use are loaded now, as a device that uses them would have them: the
	# attacks then meet the gate, not the module loading a locked device refuses.
	for m in mtd mtdram mtdblock scsi_debug sd_mod sg dm_mod loop nvme md_mod raid1 nvmet nvmet_tcp nvme_tcp jffs2 ubi; do
		case $m in
		mtdram) modprobe mtdram total_size=1024 erase_size=64 ;;
		scsi_debug) modprobe scsi_debug dev_size_mb=2 ;;
		*) modprobe $m ;;
		esac || bail "modprobe $m"
	done
	insmod "$top/build/modules/$kver/fwgate.ko" || bail "insmod fwgate.ko"
	sd='' sg='' nvme=''
	for _ in $(seq 100); do
		for b in /sys/block/sd*; do
			grep -qs scsi_debug "$b/device/model" && sd=$(basename "$b")
		done
		[ -n "$sd" ] && sg=$(ls "/sys/block/$sd/device/scsi_generic" 2>/dev/null)
		nvme=$(basename "$(ls -d /sys/block/nvme*n1 2>/dev/null | head -n 1)")
		[ -n "$sg" ] && [ -e "/dev/$sg" ] && [ -e "/dev/$sd" ] && [ -n "$(part_of rootfs_b)" ] &&
			[ -e "/dev/$nvme" ] && break
		sleep 0.1
	done
	mtd=$(awk -F: '/"mtdram test device"/ { print $1 }' /proc/mtd)
	[ -n "$sd" ] && [ -n "$sg" ] && [ -n "$mtd" ] && [ -n "$nvme" ] && [ -n "$(part_of rootfs_b)" ] ||
		bail "missing a device: sd '$sd' sg '$sg' mtd '$mtd' nvme '$nvme' rootfs_b '$(part_of rootfs_b)'"
	mtdn=${mtd#mtd}
	ng=/dev/ng${nvme#nvme}
	disk=/dev/$(basename "$(readlink -f "/sys/class/block/$(part_of rootfs_a)/..")")
	echo "# $kver: state $(dev fwstate), slots $(dev rootfs_a) $(dev rootfs_b) of $disk, scsi_debug /dev/$sd" \
		"(/dev/$sg), /dev/$mtd, NVMe /dev/$nvme ($ng)"
}

declare_all() {
	$C state-device PARTLABEL=fwstate && $C target rootfs_a PARTLABEL=rootfs_a rootfs &&
		$C target rootfs_b PARTLABEL=rootfs_b rootfs && $C target sdbg "/dev/$sd" &&
		$C target flash "/dev/$mtd" flash && $C target nvme "/dev/$nvme" && $C policy load "$D/policy" &&
		for u in v1 v2 v9 flash; do
			$C bundle "$D/$u.stmt" "$D/$u.c1" "$D/$u.c2" >/dev/null || return 1
		done
}

# ------------------------------------------------------------------ judging

sha() {
	case $1 in
	/dev/mtd*) dd if="$1" bs=64k status=none ;;
	*) dd if="$1" bs=1M iflag=direct status=none ;;
	esac | sha256sum | cut -c1-64
}

# snapshot FILE: "NAME SHA256" of every target, read from the medium: the page cache is dropped first, so
# that what an in-kernel writer (a bio, md, nvmet) put on the medium behind it shows.
snapshot() {
	local n h f
	local -A path=() sum=()
	for n in $names; do
		path[$n]=$(dev "$n")
	done
	sync
	echo 3 >/proc/sys/vm/drop_caches
	while read -r h f; do
		sum[$f]=$h
	done < <(sha256sum "${path[@]}" 2>/dev/null)
	for n in $names; do
		echo "$n ${sum[${path[$n]}]:-unreadable}"
	done >"$1"
}

guard_stats() {
	$C bpf stats "$pins" 2>/dev/null | awk '$1 == "guard" { print $2, $3 }'
}

# guard_enforcing: the guard refuses a write open of rootfs_a (polls: a detached link is released late).
guard_enforcing() {
	local a
	a=$(dev rootfs_a)
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		sh -c "exec 3<>$a" 2>/dev/null || return 0
		sleep 0.2
	done
	return 1
}

# guard_restore: after an attack that switched the guard off, a fresh one, so the next attack meets it.
guard_restore() {
	guard_enforcing && return 0
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	$C bpf unpin "$pins" >/dev/null 2>&1
	rm -rf "$pins"
	$C bpf guard --pin "$pins" >/dev/null 2>&1
	if guard_enforcing; then
		echo "# the guard was off after that attack: a new one is pinned"
	else
		echo "# the guard was off after that attack and could not be restored"
	fi
}

n_dmesg=0

# judge ID CLASS WHAT RC [SKIP_TARGETS]: one line for the attack just run, from the targets' bytes.
judge() {
	local id=$1 class=$2 what=$3 rc=$4 skip=${5:-} changed='' msg g k
	snapshot $t/new.sha
	while read -r k h; do
		case " $skip " in *" $k "*) continue ;; esac
		grep -qx "$k $h" $t/cur.sha || changed="$changed $k"
	done <$t/new.sha
	# A target that may change, but only to approved bytes, is judged by the attack's own check.
	[ -n "${check:-}" ] && changed="$changed$($check)"
	mv $t/new.sha $t/cur.sha
	msg=$(grep -v '^$' $t/out | tail -n 1 | tr -d '\r' | cut -c1-160)
	g=$(guard_stats | sort | join -a2 $t/stats - 2>/dev/null | awk 'NF == 3 && $3 > $2 { printf " %s+%d", $1, $3 - $2 }
		NF == 2 && $2 > 0 { printf " %s+%d", $1, $2 }')
	[ -n "$g" ] && g="; guard:$g"
	dmesg | tail -n +$((n_dmesg + 1)) | grep -v 'audit:' | tail -n 3 | sed "s/^/# $id kernel: /"
	sed "s/^/# $id: /" $t/out | tail -n "${out_lines:-6}"
	if [ -n "$changed" ]; then
		echo "not ok - $id: $class: $what (got through, exit $rc: changed${changed}; $msg$g)"
	elif [ "$rc" = 0 ]; then
		echo "ok - $id: $class: $what (no target changed, exit 0: $msg$g)"
	else
		echo "ok - $id: $class: $what (refused, exit $rc: $msg$g)"
	fi
}

# attack ID CLASS WHAT CMD...: runs CMD (a shell function or program) as root and judges it by the bytes.
attack() {
	local id=$1 class=$2 what=$3
	shift 3
	guard_stats | sort >$t/stats
	n_dmesg=$(dmesg | wc -l)
	# Bytes of this attack alone, so that one that gets through after another still shows.
	export ATTACK_TAG="$id-$RANDOM$RANDOM "
	yes "$ATTACK_TAG" | head -c 65536 >$t/pat
	"$@" >$t/out 2>&1
	judge "$id" "$class" "$what" $? "${skip_targets:-}"
}

# primitive ID CLASS WHAT CMD...: for what proves power over the kernel without touching a target (loading a
# kernel for kexec, /dev/mem): got through when CMD succeeds.
primitive() {
	local id=$1 class=$2 what=$3 rc msg
	shift 3
	n_dmesg=$(dmesg | wc -l)
	"$@" >$t/out 2>&1
	rc=$?
	msg=$(grep -v '^$' $t/out | tail -n 1 | cut -c1-160)
	sed "s/^/# $id: /" $t/out | tail -n 4
	if [ $rc = 0 ]; then
		echo "not ok - $id: $class: $what (got through: the kernel accepted it; $msg)"
	else
		echo "ok - $id: $class: $what (refused, exit $rc: $msg)"
	fi
}

skip() {
	echo "ok - $1: $2: $3 # SKIP $4"
}

# smash DEV [OFFSET]: 4 KiB of the attacker's pattern, never to a regular file a missing node would leave.
smash() {
	[ -b "$1" ] || [ -c "$1" ] || { echo "$1: not a device node"; return 1; }
	dd if=$t/pat of="$1" bs=4096 count=1 seek="${2:-0}" oflag=seek_bytes conv=notrunc,fsync status=none
}

# ------------------------------------------------------------------ the attacks, one function each

g_bpftool_flag() {
	local id size
	id=$(bpftool -j map show | jq -r '.[] | select(.name | test("^guard.*\\.bss$")) | .id' | head -n 1)
	[ -n "$id" ] || { echo "no guard .bss map"; return 1; }
	size=$(bpftool -j map show id "$id" | jq .bytes_value)
	# shellcheck disable=SC2046
	bpftool map update id "$id" key 0 0 0 0 value $(printf '0 %.0s' $(seq "$size")) || return
	echo "locked flag of map $id cleared"
	smash "$(dev rootfs_a)"
}

g_clear_protected() {
	$T bpf-clear-map protected || return
	smash "$(dev rootfs_a)"
}

g_rm_pins() {
	rm -rf "$pins" || return
	sleep 1
	smash "$(dev rootfs_a)"
}

g_mv_pins() {
	mkdir -p /sys/fs/bpf/elsewhere && mv "$pins" /sys/fs/bpf/elsewhere/ && rm -rf /sys/fs/bpf/elsewhere || return
	sleep 1
	smash "$(dev rootfs_a)"
}

g_umount() {
	umount -l /sys/fs/bpf || return
	sleep 1
	smash "$(dev rootfs_a)"
}

g_detach() {
	$T bpf-detach-links guard_
	sleep 1
	smash "$(dev rootfs_a)"
}

w_fd() {
	dd if=$t/pat bs=4096 count=1 conv=notrunc,fsync status=none >&7 || return
	echo "wrote 4 KiB through fd 7, opened O_RDWR on $(dev rootfs_b) before the lock"
}

w_disk_fd() {
	local start
	start=$(cat "/sys/class/block/$(part_of rootfs_b)/start")
	dd if=$t/pat bs=512 count=8 seek="$((start + 64))" conv=notrunc,fsync status=none >&8 || return
	echo "wrote 4 KiB at sector $((start + 64)) through fd 8, opened O_RDWR on $disk before the lock"
}

w_mmap() {
	[ -n "${mmap_pid:-}" ] || { echo "no mapping holder (the lock refused it)"; return 1; }
	echo go >$t/mmap.fifo
	wait "$mmap_pid"
	local rc=$?
	cat $t/mmap.out
	return $rc
}

k_mount_ext4() {
	mkdir -p $t/mnt && mount -t ext4 -o rw "$(dev rootfs_a)" $t/mnt || return
	echo attacker >$t/mnt/owned && sync
	local rc=$?
	umount $t/mnt
	[ $rc = 0 ] && echo "mounted $(dev rootfs_a) read-write and wrote a file"
	return $rc
}

k_mdadm() {
	mdadm --build /dev/md9 --level=1 --raid-devices=2 --run "$(dev rootfs_b)" missing || return
	smash /dev/md9
	local rc=$?
	mdadm --stop /dev/md9
	return $rc
}

k_nvmet() {
	local cfs=/sys/kernel/config/nvmet s nqn=nqn.2026-12.attack:owned n p
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
	ip link set lo up
	s=$cfs/subsystems/$nqn
	p=$cfs/ports/1
	# TCP on the guest's loopback: 6.1 ships no nvme-loop.
	mkdir -p "$s/namespaces/1" && echo 1 >"$s/attr_allow_any_host" &&
		echo -n "$(dev rootfs_b)" >"$s/namespaces/1/device_path" && echo 1 >"$s/namespaces/1/enable" &&
		mkdir -p "$p" && echo tcp >"$p/addr_trtype" && echo ipv4 >"$p/addr_adrfam" &&
		echo 127.0.0.1 >"$p/addr_traddr" && echo 4420 >"$p/addr_trsvcid" &&
		ln -s "$s" "$p/subsystems/$nqn" || return
	local before c
	# Namespaces only: with native multipath the hidden paths (nvme1c1n1) have no node.
	before=$(ls /sys/block | grep -E '^nvme[0-9]+n[0-9]+$')
	echo "transport=tcp,traddr=127.0.0.1,trsvcid=4420,nqn=$nqn" >/dev/nvme-fabrics || return
	for _ in $(seq 100); do
		n=$(ls /sys/block | grep -E '^nvme[0-9]+n[0-9]+$' | grep -vxF "$before" | head -n 1)
		[ -n "$n" ] && [ -b "/dev/$n" ] && break
		sleep 0.1
	done
	[ -n "$n" ] && [ -b "/dev/$n" ] || { echo "no namespace came up"; return 1; }
	smash "/dev/$n"
	local rc=$?
	echo "wrote through /dev/$n, an nvmet TCP export of $(dev rootfs_b)"
	c=$(grep -l "$nqn" /sys/class/nvme/nvme*/subsysnqn | head -n 1)
	echo 1 >"$(dirname "$c")/delete_controller"
	return $rc
}

k_dm_resized() {
	local d
	$T dm-load-resized fwgz "$(majmin "$(dev rootfs_b)")" 2048 || return
	d=$(grep -lx fwgz /sys/block/dm-*/dm/name | head -n 1)
	d=/dev/$(basename "$(dirname "$(dirname "$d")")")
	for _ in $(seq 50); do [ -b "$d" ] && break; sleep 0.1; done
	smash "$d"
	local rc=$?
	dmsetup remove fwgz
	return $rc
}

k_dmsetup() {
	dmsetup --noudevsync create fwgy --table "0 2048 linear $(majmin "$(dev rootfs_b)") 0" || return
	smash /dev/mapper/fwgy 2>/dev/null || smash "/dev/$(ls /sys/block/ | grep dm- | tail -n 1)"
	local rc=$?
	dmsetup remove fwgy
	return $rc
}

# ubi is loaded before the lock (setup_devices), with nothing attached: attaching at module load means loading
# it again.
k_ubi_modprobe() {
	if grep -q '^ubi ' /proc/modules; then rmmod ubi || return; fi
	modprobe ubi "mtd=$mtdn" || return
	ls /sys/class/ubi 2>/dev/null
	[ -e /sys/class/ubi/ubi0 ] && echo "UBI attached /dev/$mtd at module load"
}

# UBI_IOCATT on /dev/ubi_ctrl, ubi loaded before the lock: the guard's rule on the MTD number it names.
k_ubiattach() {
	[ -e /dev/ubi_ctrl ] || { echo "no /dev/ubi_ctrl: ubi is not loaded"; return 1; }
	[ -e /sys/class/ubi/ubi0 ] && ubidetach -d 0
	ubiattach /dev/ubi_ctrl -m "$mtdn"
}

k_jffs2() {
	mkdir -p $t/mnt && mount -t jffs2 "/dev/mtdblock$mtdn" $t/mnt || return
	echo attacker >$t/mnt/owned && sync
	local rc=$?
	umount $t/mnt
	return $rc
}

k_losetup() {
	local l
	l=$(losetup -f --show "$(dev rootfs_b)") || return
	smash "$l"
	local rc=$?
	losetup -d "$l"
	return $rc
}

n_add_host() {
	local before after y
	before=$(ls -d /sys/block/sd* | sort)
	echo 1 >/sys/bus/pseudo/drivers/scsi_debug/add_host || return
	for _ in $(seq 50); do
		after=$(ls -d /sys/block/sd* | sort)
		[ "$after" != "$before" ] && break
		sleep 0.1
	done
	y=$(comm -13 <(echo "$before") <(echo "$after") | head -n 1)
	[ -n "$y" ] || { echo "no new disk"; return 1; }
	for _ in $(seq 50); do [ -e "/dev/${y##*/}" ] && break; sleep 0.1; done
	echo "second path to the scsi_debug store: /dev/${y##*/}"
	smash "/dev/${y##*/}"
}

n_mknod() {
	rm -f $t/node && mknod $t/node b $(majmin "$(dev rootfs_b)" | tr : ' ') && smash $t/node
}

n_pci_rescan() {
	local pci
	pci=$(readlink -f "/sys/block/${disk#/dev/}/device/..")
	[ -e "$pci/remove" ] || { echo "no PCI device under $disk"; return 1; }
	echo "removing $pci"
	echo 1 >"$pci/remove" || return
	echo 1 >/sys/bus/pci/rescan || return
	for _ in $(seq 50); do [ -n "$(part_of rootfs_a)" ] && [ -e "$(dev rootfs_a)" ] && break; sleep 0.1; done
	echo "rootfs_a came back as $(dev rootfs_a) ($(majmin "$(dev rootfs_a)"))"
	smash "$(dev rootfs_a)"
}

s_overwrite() {
	head -c 1048576 /dev/urandom >$t/rand
	dd if=$t/rand of="$(dev fwstate)" bs=64k conv=notrunc,fsync status=none
}

s_disk_offset() {
	local start
	start=$(cat "/sys/class/block/$(part_of fwstate)/start")
	dd if=$t/rand of="$disk" bs=512 seek="$start" count=2048 conv=notrunc,fsync status=none
}

s_replay() {
	dd if="$O/fwstate.initial" of="$(dev fwstate)" bs=64k conv=notrunc,fsync status=none
}

r_tampered() {
	dd if="$(dev rootfs_b)" of=$t/rb.before bs=1M iflag=direct status=none || return
	(head -c 1048576 "$D/v9.img"; head -c 1048576 /dev/urandom) |
		$C install --chunks "$D/v9.chunks" rootfs_b "$D/v9.stmt" -
}

# r_unapproved: after R1, rootfs_b may hold v9's approved first chunk (its first page is held back until the
# commit, so that one may hold anything the slot held or v9's), never a byte of the tampered second chunk:
# that MiB must be what it was. Prints " rootfs_b(...)" when it is not so.
r_unapproved() {
	dd if="$(dev rootfs_b)" of=$t/rb.after bs=1M iflag=direct status=none
	cmp -s -i 1048576 $t/rb.before $t/rb.after ||
		{ echo " rootfs_b(its second MiB changed: the tampered chunk reached it)"; return; }
	cmp -s -i 4096 -n $((1048576 - 4096)) "$D/v9.img" $t/rb.after ||
		cmp -s -i 4096 -n $((1048576 - 4096)) $t/rb.before $t/rb.after ||
		echo " rootfs_b(its first MiB is neither v9's approved chunk nor what it held)"
}

c_evil_module() {
	insmod "$evil_ko" "dev=$(majmin "$(dev "$1")")" || return
	rmmod evil_bio
}

c_kexec_file() {
	kexec -s -l "/boot/vmlinuz-$kver" --reuse-cmdline || return
	kexec -u
}

c_kexec_load() {
	kexec -c -l "/boot/vmlinuz-$kver" --reuse-cmdline || return
	kexec -u
}

c_modprobe() {
	modprobe brd rd_nr=1 rd_size=1024 && grep -q '^brd ' /proc/modules && echo "brd loaded" && rmmod brd
}

m_rmmod() {
	rmmod fwgate
}

# With fwgate.ko forced out, its exclusive claims on the targets are gone, module loading or not: md opens
# the slot inside the kernel (an ext4 mount would need rootfs_a's file system intact after the attacks).
m_force_md() {
	rmmod -f fwgate || return
	echo "fwgate.ko forced out"
	k_mdadm
}

m_replace() {
	grep -q '^fwgate ' /proc/modules && { rmmod -f fwgate || return; }
	insmod "$top/build/modules/$kver/fwgate.ko" || return
	$C state-device PARTLABEL=fwstate && $C target rootfs_a PARTLABEL=rootfs_a rootfs &&
		$C policy load "$D/evil.policy" && $C policy lock && $C bundle "$D/evil.stmt" "$D/evil.c1" || return
	$C install rootfs_a "$D/evil.stmt" "$D/evil.img"
}

own_blkdiscard() { blkdiscard "$(dev rootfs_b)"; }
own_zeroout() { blkdiscard -z "$(dev rootfs_b)"; }
own_secdiscard() { $P "$(dev rootfs_b)" secdiscard; }
own_setrw() { blockdev --setrw "$(dev rootfs_b)" && smash "$(dev rootfs_b)"; }
own_roset() { $P "$(dev rootfs_b)" roset; }
own_blkpg() { $P "$disk" blkpg; }
own_direct() { dd if=$t/pat of="$(dev rootfs_b)" bs=4096 count=1 oflag=direct conv=notrunc status=none; }
own_splice() { $T splice-write "$(dev rootfs_b)"; }
own_copy_range() {
	python3 -c 'import os, sys
s = os.open(sys.argv[1], os.O_RDONLY); d = os.open(sys.argv[2], os.O_WRONLY)
print("copied", os.copy_file_range(s, d, 4096, 0, 0))' $t/pat "$(dev rootfs_b)"
}
own_sg_write_same() { sg_write_same --lba=0 --num=8 --in=$t/pat "/dev/$sg"; }
own_sg_ro() { sg_raw -R -s 512 -i $t/pat "/dev/$sg" 2a 00 00 00 00 00 00 00 01 00; }
own_bsg() {
	local b
	b=$(ls "/sys/block/$sd/device/bsg" 2>/dev/null | head -n 1)
	[ -e "/dev/bsg/$b" ] || { echo "no bsg node for $sd"; return 1; }
	sg_raw -R -s 512 -i $t/pat "/dev/bsg/$b" 2a 00 00 00 00 00 00 00 01 00
}
own_sdbg_dd() { smash "/dev/$sd"; }
own_mtd_erase() { flash_erase "/dev/$mtd" 0 1; }
own_memerase_ro() { $P "/dev/$mtd" memerase; }
own_mtdblock() { smash "/dev/mtdblock$mtdn"; }
own_nvme_dd() { smash "/dev/$nvme"; }
own_nvme_passthru() {
	nvme io-passthru "$ng" --opcode=1 --namespace-id=1 --data-len=4096 --write --cdw10=0 --cdw12=7 \
		--input-file=$t/pat
}
own_dd_disk() {
	local start
	start=$(cat "/sys/class/block/$(part_of rootfs_a)/start")
	dd if=$t/pat of="$disk" bs=512 seek="$start" count=8 conv=notrunc,fsync status=none
}

# ------------------------------------------------------------------ fwgated, the production loader

A=$top/build/bin/fwgated

# agent_start LOGLINE: fwgated with this device's configuration, until its log shows LOGLINE. Its node does
# not answer (no chain in the VM): the worker retries its syncs; the monitor locks the gate (or finds it
# locked) and follows the guard's denials, as at a boot.
agent_start() {
	mkdir -p /tmp/fwgate && cat >/tmp/fwgated.conf <<EOF
node http://127.0.0.1:${FWGATE_ATTACK_NODE_PORT:-41001}
device-key $D/dev.key
policy $D/policy
state-device PARTLABEL=fwstate
state-dir /tmp/fwgate
slot rootfs rootfs_a PARTLABEL=rootfs_a
slot rootfs rootfs_b PARTLABEL=rootfs_b
bootloader none
sync-interval 30
retry-interval 30
freshness 86400
user nobody
control /run/fwgate/fwgated.sock
bpf yes
EOF
	"$A" -v -c /tmp/fwgated.conf >>/tmp/fwgated.log 2>&1 &
	for _ in $(seq 300); do
		agent=$(pgrep -x fwgated)
		[ -n "$agent" ] && grep -q "$1" /tmp/fwgated.log && return 0
		sleep 0.2
	done
	return 1
}

# steal HOW: the attacker's tool takes what the running fwgated holds (attack_tool.c steal) and uses every fd
# it got on the guard and the targets; then the usual write to rootfs_a.
steal() {
	$T steal "$agent" "$1"
	echo "fwgated (pid $agent) still running: $([ -d "/proc/$agent" ] && echo yes || echo no)"
	smash "$(dev rootfs_a)"
}

# The sealed guard's loader gives nothing away: a theft the kernel allowed is a failure by itself.
no_theft() {
	grep -q '^obtained:' $t/out && echo " (the sealed guard's loader: $(grep -m 1 '^obtained:' $t/out))"
	no_change
}

# Whatever was taken, nothing of it changes the guard or writes a target.
no_change() {
	grep -q '^changed:' $t/out && echo " ($(grep -m 1 '^changed:' $t/out))"
}

g_kill_agent() {
	local w
	w=$(pgrep -x fwgated-worker)
	# shellcheck disable=SC2086
	kill -9 "$agent" $w || return
	for _ in $(seq 50); do [ -d "/proc/$agent" ] || break; sleep 0.1; done
	echo "killed fwgated $agent and its worker $w; the guard's pins: $(ls $pins | wc -l)"
	smash "$(dev rootfs_a)"
}

# The running, locked fwgated as root's target (issue 11, G3/G4), then restarted: no longer the registered
# loader, which costs nothing (Documentation/fwgate/threat-model.rst, class 1).
agent_attacks() {
	local how id=9 tb=/sys/kernel/fwgate/targets/rootfs_a rc
	snapshot $t/cur.sha
	out_lines=400 check=no_theft attack G3 guard-off \
		"pidfd_getfd of every fd of the running fwgated, the sealed guard's loader, each used on the guard; then dd" \
		steal pidfd-getfd
	for how in ptrace-attach ptrace-seize proc-mem vm-writev proc-fd; do
		out_lines=400 check=no_theft attack G$id guard-off \
			"$how of the running fwgated, the sealed guard's loader, anything got used; then dd" steal $how
		id=$((id + 1))
	done
	attack G4 guard-off "kill -9 of the running fwgated and its worker, then dd" g_kill_agent
	guard_restore
	if agent_start "guard: sealed in $pins since an earlier lock"; then
		echo "ok - A3: after: fwgated restarted after kill -9 (pid $agent) reuses the sealed guard"
	else
		echo "not ok - A3: after: fwgated restarted after kill -9: $(tail -n 3 /tmp/fwgated.log | tr '\n' ' ')"
		return
	fi
	for how in pidfd-getfd ptrace-attach proc-mem; do
		out_lines=400 check=no_change attack G$id guard-off \
			"$how of the restarted fwgated (not the registered loader), anything got used on the guard; then dd" \
			steal $how
		id=$((id + 1))
	done
	# The restarted agent follows the guard's denials, and an approved install goes through beside it.
	for _ in $(seq 20); do
		grep -q "guard: denied file_open to pid [0-9]* (dd)" /tmp/fwgated.log && break
		sleep 0.5
	done
	if grep -q "guard: denied file_open to pid [0-9]* (dd)" /tmp/fwgated.log; then
		echo "ok - A4: after: the restarted fwgated logs the guard's denials ($(grep 'guard: denied' /tmp/fwgated.log | tail -n 1))"
	else
		echo "not ok - A4: after: no denial in the restarted fwgated's log: $(tail -n 3 /tmp/fwgated.log | tr '\n' ' ')"
	fi
	$C bundle "$D/v3.stmt" "$D/v3.c1" "$D/v3.c2" >/dev/null 2>&1
	$C install rootfs_a "$D/v3.stmt" "$D/v3.img" >$t/out 2>&1
	rc=$?
	[ $rc = 0 ] && [ "$(cat $tb/state)" = valid ] && [ "$(cat $tb/last_version)" = 3 ] &&
		cmp -s -n "$(stat -c %s "$D/v3.img")" "$D/v3.img" "$(dev rootfs_a)"
	if [ $? = 0 ]; then
		echo "ok - A5: after: beside the restarted fwgated, approved version 3 installs on rootfs_a and commits VALID ($(tail -n 1 $t/out))"
	else
		echo "not ok - A5: after: approved version 3 on rootfs_a beside the restarted fwgated: exit $rc, state $(cat $tb/state), $(tail -n 2 $t/out | tr '\n' ' ')"
	fi
	if guard_enforcing; then
		echo "ok - A6: after: the guard still refuses a write open of rootfs_a ($(sh -c "exec 3<>$(dev rootfs_a)" 2>&1 | tail -n 1))"
	else
		echo "not ok - A6: after: the guard no longer refuses a write open of rootfs_a"
	fi
	grep -v 'sync\|node' /tmp/fwgated.log | tail -n 15 | sed 's/^/# fwgated: /'
}

# ------------------------------------------------------------------ the phases

lock_now() {
	"$top/tests/attack/lock.sh" "$C" "$pins" >$t/lock.log 2>&1
}

phase_attack() {
	setup_devices
	dd if=/dev/urandom of="$(dev rootfs_b)" bs=1M status=none
	dd if=/dev/urandom of="/dev/$sd" bs=1M status=none
	dd if=/dev/urandom of="/dev/$nvme" bs=1M status=none
	flash_erase -q "/dev/$mtd" 0 0 || bail "flash_erase"
	declare_all || bail "declare the targets and load the policy: $(cat /sys/kernel/fwgate/last_error)"
	dd if="$(dev fwstate)" of="$O/fwstate.initial" bs=64k status=none
	# Factory provisioning: rootfs_a holds version 1 (an ext4 file system), the flash its image.
	$C install rootfs_a "$D/v1.stmt" "$D/v1.img" >$t/out 2>&1 && $C install flash "$D/flash.stmt" "$D/flash.img" \
		>>$t/out 2>&1 || bail "provisioning installs: $(cat $t/out)"

	# Lock window: what root opened and mapped before the lock, used after it.
	exec 7<>"$(dev rootfs_b)" 8<>"$disk"
	mkfifo $t/mmap.fifo
	$T hold-mmap "$(dev rootfs_b)" 1048576 <$t/mmap.fifo >$t/mmap.out 2>&1 &
	mmap_pid=$!
	exec 9>$t/mmap.fifo
	for _ in $(seq 50); do grep -q mapped $t/mmap.out && break; sleep 0.1; done

	prelock_fds=1
	if lock_now; then
		echo "ok - L1: lock: the production lock with a writer and a shared writable mapping open ($(tail -n 1 $t/lock.log))"
	else
		echo "ok - L1: lock: refused while a writer and a shared writable mapping are open: $(tail -n 2 $t/lock.log | tr '\n' ' ')"
		# Without the mapping, the descriptors opened before the lock stay open for W1, W2, W4 and W5.
		exec 9>&-
		kill "$mmap_pid"
		wait "$mmap_pid" 2>/dev/null
		mmap_pid=''
		if ! lock_now; then
			echo "# the lock was refused with the pre-lock descriptors open too: $(tail -n 1 $t/lock.log)"
			exec 7>&- 8>&-
			prelock_fds=''
			lock_now || bail "lock: $(cat $t/lock.log)"
		fi
	fi
	sed 's/^/# /' $t/lock.log
	[ "$(cat /sys/kernel/fwgate/policy/locked)" = 1 ] || bail "the policy is not locked"
	guard_enforcing || echo "# the guard does not refuse a write open of rootfs_a right after the lock"
	cat /sys/kernel/security/lockdown | sed 's/^/# lockdown: /'
	echo "# sysctl: kernel.modules_disabled=$(cat /proc/sys/kernel/modules_disabled)" \
		"kernel.kexec_load_disabled=$(cat /proc/sys/kernel/kexec_load_disabled)"
	snapshot $t/cur.sha
	cp $t/cur.sha "$O/before.sha"

	# 4. the lock window first: its descriptors and mapping must not outlive a restored guard's checks.
	if [ -n "$prelock_fds" ]; then
		attack W1 lock-window "write(2) on an fd opened O_RDWR on the slot before the lock" w_fd
		attack W2 lock-window "write(2) at the slot's offset on an fd opened O_RDWR on the whole disk before the lock" w_disk_fd
	else
		skip W1 lock-window "write(2) on a pre-lock fd of the slot" "the lock refused the open writers"
		skip W2 lock-window "write(2) on a pre-lock fd of the disk" "the lock refused the open writers"
	fi
	if [ -n "${mmap_pid:-}" ]; then
		attack W3 lock-window "dirty a shared writable mmap of the slot made before the lock, msync" w_mmap
	else
		echo "ok - W3: lock-window: a shared writable mmap of the slot made before the lock (refused: the lock was refused with it, L1)"
	fi
	if [ -n "$prelock_fds" ]; then
		attack W4 lock-window "aio (io_submit) write on a pre-lock fd" $T aio-write 7 8192
		attack W5 lock-window "io_uring IORING_OP_WRITE on a pre-lock fd" $T uring-write 7 12288
	else
		skip W4 lock-window "aio write on a pre-lock fd" "the lock refused the open writers"
		skip W5 lock-window "io_uring write on a pre-lock fd" "the lock refused the open writers"
	fi
	exec 7>&- 8>&- 9>&-

	# The write paths of tests/bpf/guard-vm.sh and their relatives, as the baseline.
	attack O1 own "dd to the slot" smash "$(dev rootfs_b)"
	attack O2 own "dd to the whole disk at the slot's offset" own_dd_disk
	attack O3 own "O_DIRECT write to the slot" own_direct
	attack O4 own "splice from a pipe into the slot" own_splice
	attack O5 own "copy_file_range into the slot" own_copy_range
	attack O6 own "blkdiscard (BLKDISCARD)" own_blkdiscard
	attack O7 own "blkdiscard -z (BLKZEROOUT)" own_zeroout
	attack O8 own "BLKSECDISCARD on a read-only fd" own_secdiscard
	attack O9 own "blockdev --setrw (BLKROSET 0), then dd" own_setrw
	attack O10 own "BLKROSET on a read-only fd" own_roset
	attack O11 own "BLKPG: a partition over the slots, on a read-only fd of the disk" own_blkpg
	attack O12 own "dd to the scsi_debug disk" own_sdbg_dd
	attack O13 own "sg_write_same on /dev/$sg" own_sg_write_same
	attack O14 own "sg_raw WRITE(10) on a read-only /dev/$sg" own_sg_ro
	attack O15 own "sg_raw WRITE(10) through the disk's /dev/bsg node" own_bsg
	attack O16 own "flash_erase of the MTD target" own_mtd_erase
	attack O17 own "MEMERASE on a read-only fd of /dev/$mtd" own_memerase_ro
	attack O18 own "dd to the NVMe namespace" own_nvme_dd
	primitive O19 own "open /dev/mem for writing (lockdown)" $T devmem
	primitive O20 own "iopl(3): raw port I/O (lockdown)" $T iopl

	# 6. other names
	attack N1 other-names "mknod of the slot's numbers, then dd" n_mknod
	attack N2 other-names "dd to /dev/mtdblock$mtdn" own_mtdblock
	attack N3 other-names "scsi_debug add_host: a second path to the same store, then dd" n_add_host

	# 7. io_uring passthrough
	attack U1 io-uring "IORING_OP_URING_CMD NVMe write on a read-only fd of $ng" $T uring-nvme-write "$ng" 0
	attack U2 io-uring "NVMe io-passthru write ioctl on $ng" own_nvme_passthru

	# 5. in-kernel openers
	attack K1 in-kernel "mount the slot's ext4 read-write and write a file" k_mount_ext4
	attack K2 in-kernel "mdadm --build a degraded RAID1 over the slot, dd to it" k_mdadm
	attack K3 in-kernel "nvmet TCP export of the slot (configfs device_path), dd to the new namespace" k_nvmet
	attack K4 in-kernel "dm table load with DM_TABLE_LOAD's size bits changed, dd to the map" k_dm_resized
	attack K5 in-kernel "dmsetup create linear over the slot, dd to the map" k_dmsetup
	attack K6 in-kernel "losetup read-write over the slot, dd to the loop" k_losetup
	attack K7 in-kernel "modprobe ubi mtd=$mtdn: attach at module load" k_ubi_modprobe
	attack K8 in-kernel "ubiattach -m $mtdn" k_ubiattach
	attack K9 in-kernel "mount the MTD target as jffs2 and write a file" k_jffs2

	# 8. the rollback state store
	attack S1 state-store "overwrite the state store partition" s_overwrite
	attack S2 state-store "overwrite the state store through the whole disk at its offset" s_disk_offset
	attack S3 state-store "replay the state store's bytes from before the first install" s_replay

	# 9. a refused install
	# The kernel's own record of the refused install lands in the state store, and the approved first chunk in
	# rootfs_b: r_unapproved judges rootfs_b, the hashes the rest.
	skip_targets="fwstate rootfs_b" check=r_unapproved attack R1 refused-install "stream through /dev/fwgate an image that leaves the approved one after 1 MiB" \
		r_tampered

	# 1. the guard switched off; each is followed by a write, and by a fresh guard when it got through.
	attack G1 guard-off "bpftool map update: the guard's locked flag to 0, then dd" g_bpftool_flag
	guard_restore
	attack G2 guard-off "delete the protected set's keys (BPF_MAP_DELETE_ELEM), then dd" g_clear_protected
	guard_restore
	# G3, G4 and G9-G16, root against the process that holds the sealed guard, run at the second boot, where
	# fwgated locks and stays running (agent_attacks); here "fwgatectl policy lock" sealed it and exited.
	attack G5 guard-off "rm of the guard's bpffs pins, then dd" g_rm_pins
	guard_restore
	attack G6 guard-off "mv of the guard's pins out of the way and rm, then dd" g_mv_pins
	guard_restore
	attack G7 guard-off "umount -l /sys/fs/bpf, then dd" g_umount
	guard_restore
	attack G8 guard-off "BPF_LINK_GET_FD_BY_ID + BPF_LINK_DETACH of the guard's links, then dd" g_detach
	guard_restore

	# After the attacks: an approved install still commits, and the A/B pair switches to B.
	local tb=/sys/kernel/fwgate/targets/rootfs_b rc
	$C install rootfs_b "$D/v2.stmt" "$D/v2.img" >$t/out 2>&1
	rc=$?
	[ $rc = 0 ] && [ "$(cat $tb/state)" = valid ] && [ "$(cat $tb/last_version)" = 2 ] &&
		cmp -s -n "$(stat -c %s "$D/v2.img")" "$D/v2.img" "$(dev rootfs_b)"
	if [ $? = 0 ]; then
		echo "ok - A1: after: approved version 2 installs on rootfs_b and commits VALID ($(cat $t/out))"
	else
		echo "not ok - A1: after: approved version 2 on rootfs_b: exit $rc, state $(cat $tb/state), $(cat $t/out)"
	fi
	$C install rootfs_a "$D/v1.stmt" "$D/v1.img" >$t/out 2>&1
	rc=$?
	if [ $rc != 0 ] && [ "$(cat $tb/rollback_floor)" = 2 ]; then
		echo "ok - A2: after: switched to B: floor 2, version 1 refused on rootfs_a ($(tail -n 1 $t/out))"
	else
		echo "not ok - A2: after: A/B switch: floor $(cat $tb/rollback_floor), version 1 on rootfs_a exit $rc"
	fi
	snapshot $t/cur.sha
	{
		grep -E '^(fwstate|rootfs_b) ' $t/cur.sha
		grep '^rootfs_a ' "$O/before.sha"
		echo "floor $(cat $tb/rollback_floor)"
		echo "last_uid $(cat $tb/last_uid)"
	} >"$O/final"

	# 3. and 2.: unapproved code, fwgate.ko replaced, the disk under a new name: last, they end the boot's use.
	primitive C1 unapproved-code "kexec_file_load of the test kernel (kexec -s -l)" c_kexec_file
	primitive C2 unapproved-code "kexec_load of the test kernel (kexec -c -l)" c_kexec_load
	primitive C3 unapproved-code "modprobe of a Debian module not loaded yet (brd)" c_modprobe
	attack C4 unapproved-code "insmod of an unsigned module that writes rootfs_a with a bio" c_evil_module rootfs_a
	attack C5 unapproved-code "insmod of an unsigned module that writes the state store with a bio" \
		c_evil_module fwstate
	attack M1 module-replaced "rmmod fwgate" m_rmmod
	attack M2 module-replaced "rmmod -f fwgate (delete_module O_TRUNC), then md over the slot" m_force_md
	attack M3 module-replaced "insmod fwgate.ko again with the attacker's policy, install the attacker's image" \
		m_replace
}

phase_reboot() {
	local tb=/sys/kernel/fwgate/targets/rootfs_b want got
	setup_devices
	[ -f "$O/final" ] || bail "no record of the first boot ($O/final)"
	# Read before fwgate.ko attaches the state store: the attach itself writes a new record (seq + 1).
	for k in fwstate rootfs_a rootfs_b; do
		echo "$k $(sha "$(dev $k)")"
	done >$t/boot2.sha
	$C state-device PARTLABEL=fwstate && $C target rootfs_a PARTLABEL=rootfs_a rootfs &&
		$C target rootfs_b PARTLABEL=rootfs_b rootfs && $C target sdbg "/dev/$sd" &&
		$C target flash "/dev/$mtd" flash && $C target nvme "/dev/$nvme" && $C policy load "$D/policy" ||
		bail "declare: $(cat /sys/kernel/fwgate/last_error)"
	# At this boot fwgated locks, as in production, and stays running: the sealed guard's registered loader.
	agent_start "lock: guard sealed and enforcing" || bail "fwgated did not lock: $(tail -n 5 /tmp/fwgated.log)"
	grep 'lock:\|guard:' /tmp/fwgated.log | sed 's/^/# fwgated: /'
	want=$(awk '$1 == "floor" { print $2 }' "$O/final")
	got=$(cat $tb/rollback_floor)
	[ "$got" = "$want" ]
	echo "$([ $? = 0 ] || echo "not ")ok - B1: reboot: the rollback floor of group rootfs is $got (want $want)"
	want=$(awk '$1 == "last_uid" { print $2 }' "$O/final")
	[ "$(cat $tb/last_uid)" = "$want" ] && [ "$(cat $tb/state)" = valid ]
	echo "$([ $? = 0 ] || echo "not ")ok - B2: reboot: rootfs_b recorded VALID with version 2's U_id (state $(cat $tb/state))"
	for k in fwstate rootfs_a rootfs_b; do
		want=$(awk -v k=$k '$1 == k { print $2 }' "$O/final")
		got=$(awk -v k=$k '$1 == k { print $2 }' $t/boot2.sha)
		[ "$got" = "$want" ]
		echo "$([ $? = 0 ] || echo "not ")ok - B3-$k: reboot: $k holds the bytes the first boot left before its last attacks (sha256 ${got%"${got#????????????}"})"
	done
	$C bundle "$D/v1.stmt" "$D/v1.c1" "$D/v1.c2" >/dev/null 2>&1
	if $C install rootfs_a "$D/v1.stmt" "$D/v1.img" >$t/out 2>&1; then
		echo "not ok - B4: reboot: version 1, below the floor, installed on rootfs_a"
	else
		echo "ok - B4: reboot: version 1, below the floor, refused ($(tail -n 1 $t/out))"
	fi
	agent_attacks
	# On a freshly locked device, since it takes the disk away from fwgate.ko for the rest of the boot.
	snapshot $t/cur.sha
	attack N4 other-names "PCI remove and rescan of the virtio disk, dd to rootfs_a under its new name" \
		n_pci_rescan
}

case $phase in
attack) phase_attack ;;
reboot) phase_reboot ;;
*) bail "usage: $0 attack|reboot" ;;
esac
exit 0
