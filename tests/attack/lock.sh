#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The production lock, as a device's init would run it once the targets, the state store and the policy are
# declared: tests/attack/lock.sh FWGATECTL [PIN_DIR]
# "fwgatectl policy lock" is the one lock sequence (bpf/lock.c, fwg_gate_lock(), also fwgated's): it loads the
# guard with the whole protected set, freezes, pins and seals it in PIN_DIR, locks fwgate.ko, then raises
# kexec_load_disabled, modules_disabled and lockdown "integrity". Prints what the lock left in force.
set -u

ctl=$1
pin=${2:-/sys/fs/bpf/fwgate}

$ctl policy lock --pin "$pin" || exit
[ -n "$(ls -A "$pin" 2>/dev/null)" ] || { echo "lock: nothing pinned in $pin"; exit 1; }
echo "lock: guard sealed in $pin; lockdown $(cat /sys/kernel/security/lockdown);" \
	"modules_disabled=$(cat /proc/sys/kernel/modules_disabled) kexec_load_disabled=$(cat /proc/sys/kernel/kexec_load_disabled)"
