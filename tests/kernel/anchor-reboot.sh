#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The sealed trust anchor across a reboot and a power cut during re-sealing. Boot 1 locks (sealing the policy
# of epoch 1) and rotates the policy again and again until the power is cut at a random moment (sysrq b: no
# sync); boot 2, on the same disk, finds the anchor of the last rotation or of the one before, never neither,
# refuses an edited policy file and the neighbouring epochs' policies naming the anchor, and locks the sealed
# one. Both boots are fwgate_test's reboot fixture (FWGATE_REBOOT_PHASE).
# Usage: tests/kernel/anchor-reboot.sh KVER
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
kver=$1
d=$top/build/tests/anchor-reboot-$kver

rm -rf "$d"
mkdir -p "$d"
"$top/tests/kernel/mkdisk.sh" "$d/disk.img"
cd "$top"
export FWGATE_TEST_ARGS="-f reboot"
# The power cut ends boot 1 without the harness's end marker: judge it by what it printed.
FWGATE_REBOOT_PHASE=1 tests/vm/run -k "$kver" -l "$d/first.log" -d "$d/disk.img" -- tests/kernel/run.sh \
	>"$d/first.out" 2>&1 || true
grep -q "rotated to epoch" "$d/first.log" && grep -q "power cut" "$d/first.log" ||
	{ cat "$d/first.out"; echo "not ok - $kver: boot 1 did not rotate up to the power cut"; exit 1; }
echo "# $kver: boot 1 $(grep -o 'rotated to epoch [0-9]*' "$d/first.log" | tail -n 1) before the power cut"
FWGATE_REBOOT_PHASE=2 tests/vm/run -k "$kver" -l "$d/second.log" -d "$d/disk.img" -- tests/kernel/run.sh |
	tee "$d/second.out"
grep -q "^ok .*reboot.phase2_anchor_is_the_old_or_the_new_policy$" "$d/second.out" &&
	! grep -q "^not ok" "$d/second.out"
