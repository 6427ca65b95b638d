#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The production lock, as a device's init would run it once the targets, the state store and the policy are
# declared: tests/attack/lock.sh FWGATECTL [PIN_DIR]
# "fwgatectl policy lock" locks fwgate.ko; where the lock sequence also loads and pins the BPF guard (issue
# 11), that is all. Where it does not (the guard is not pinned in PIN_DIR afterwards), the guard is loaded
# and pinned here, after the lock, as the earlier tools require. Exits non-zero if either step failed.
set -u

ctl=$1
pin=${2:-/sys/fs/bpf/fwgate}

$ctl policy lock || exit
# Whatever names the lock sequence pins under, a non-empty PIN_DIR means it pinned the guard itself.
if [ -n "$(ls -A "$pin" 2>/dev/null)" ]; then
	echo "lock: the lock sequence pinned the guard in $pin"
else
	$ctl bpf guard --pin "$pin" || exit
	echo "lock: guard pinned in $pin after the lock"
fi
