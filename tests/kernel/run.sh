#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the fwgate kernel tests inside the test VM, from the repository root:
#   tests/vm/run -k KVER -d build/disk.img -- tests/kernel/run.sh
# Loads the modules the tests need, waits for the test disk, then runs
# fwgate_test twice: everything but the lock, then the lock tests, since a
# lock holds until reboot. Prints TAP; exits non-zero if anything failed.
#
# FWGATE_KO         the module built for this kernel (build/modules/KVER/fwgate.ko)
# FWGATE_TEST_BIN   the test program (build/tests/fwgate_test)
# FWGATE_TEST_KEYS  keys from "fwgate_test --gen-keys DIR" on the host (build/tests/keys)
# FWGATE_TEST_ARGS  run fwgate_test once with these arguments, not the two runs
set -u

kver=${FWGATE_KVER:-$(uname -r)}
export FWGATE_KO="${FWGATE_KO:-build/modules/$kver/fwgate.ko}"
export FWGATE_TEST_KEYS="${FWGATE_TEST_KEYS:-build/tests/keys}"
bin=${FWGATE_TEST_BIN:-build/tests/fwgate_test}

bail() {
	echo "Bail out! $*"
	exit 1
}

[ "${FWGATE_VM:-}" = 1 ] || bail "run me in the test VM: tests/vm/run -k KVER -d build/disk.img -- $0"
[ -r "$FWGATE_KO" ] || bail "$FWGATE_KO: no module for $kver (make kmods)"
[ -x "$bin" ] || bail "$bin: not built (make userspace)"
[ -r "$FWGATE_TEST_KEYS/manufacturer.pem" ] ||
	bail "$FWGATE_TEST_KEYS: no test keys ($bin --gen-keys $FWGATE_TEST_KEYS, on the host)"

# The tests load fwgate.ko with finit_module, which resolves no dependencies.
deps=$(modinfo -F depends "$FWGATE_KO" | tr ',' ' ')
# md, dm, loop, mtdblock and UBI: the lock tests try each of them on a target.
for mod in virtio_blk mtdram ext4 md_mod raid1 dm_mod loop mtdblock ubi $deps; do
	modprobe "$mod" || bail "modprobe $mod failed"
done
modprobe sd_mod && modprobe scsi_debug dev_size_mb=16 || bail "modprobe sd_mod or scsi_debug failed"
# SCSI scans asynchronously: wait for the scsi_debug disk.
tries=0
until grep -qs scsi_debug /sys/block/sd*/device/model; do
	tries=$((tries + 1))
	[ $tries -le 100 ] || bail "scsi_debug made no disk"
	sleep 0.1
done

tries=0
until grep -qsx PARTNAME=scratch /sys/class/block/*/uevent; do
	tries=$((tries + 1))
	[ $tries -le 100 ] || bail "no partition named scratch: attach the disk tests/kernel/mkdisk.sh makes"
	sleep 0.1
done

echo "# fwgate kernel tests on $kver with $FWGATE_KO"
# FWGATE_TEST_ARGS: one run with these arguments instead (tests/kernel/anchor-reboot.sh).
if [ -n "${FWGATE_TEST_ARGS:-}" ]; then
	# shellcheck disable=SC2086 # word splitting wanted: the arguments
	exec "$bin" $FWGATE_TEST_ARGS 2>&1
fi
rc=0
"$bin" -F locked -F reboot 2>&1 || rc=1
"$bin" -f locked 2>&1 || rc=1
exit $rc
