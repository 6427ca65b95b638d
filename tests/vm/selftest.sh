#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Checks tests/vm/run itself on every kernel in build/kernels.env: the guest sees its disk, loads modules from
# the host's /lib/modules, writes to build/vm-out, and a failing command or a kernel WARNING fails the run.
# Prints TAP. With --guest it is the command run inside the VM.

set -u

here=$(cd "$(dirname "$0")" && pwd -P)
top=$(cd "$here/../.." && pwd -P)

# Guest checks, in the order they run; the guest prints "check ok NAME" or "check fail NAME" for each.
guest_checks=(
	"runs in the calling directory"
	"sees FWGATE_VM and FWGATE_KVER"
	"host root is read-only"
	"disk is /dev/vda, 16 MiB"
	"modprobe mtdram creates mtd0"
	"modprobe scsi_debug loads it"
	"writes to build/vm-out"
)

guest() {
	local cwd=$1 out_file=$2 i=0

	check() {
		if "$@" >/dev/null 2>&1; then
			echo "check ok ${guest_checks[i]}"
		else
			echo "check fail ${guest_checks[i]}"
		fi
		i=$((i + 1))
	}
	check [ "$PWD" = "$cwd" ]
	check [ "${FWGATE_VM:-}" = 1 -a "${FWGATE_KVER:-}" = "$(uname -r)" ]
	check sh -c '! touch /usr/fwgate-vm-selftest'
	check [ -b /dev/vda -a "$(cat /sys/block/vda/size 2>/dev/null)" = 32768 ]
	check sh -c 'modprobe mtdram total_size=1024 erase_size=64 && { [ -e /dev/mtd0 ] || [ -e /sys/class/mtd/mtd0 ]; }'
	check sh -c 'modprobe scsi_debug && grep -q "^scsi_debug " /proc/modules'
	# shellcheck disable=SC2016 # $1 is for the inner shell
	check sh -c 'uname -r >"$1"' sh "$out_file"
	exit 0
}

if [ "${1:-}" = --guest ]; then
	guest "$2" "$3"
fi

n=0 failed=0
tap() {
	local ok=$1
	shift
	n=$((n + 1))
	if [ "$ok" = 0 ]; then
		echo "ok $n - $*"
	else
		echo "not ok $n - $*"
		failed=$((failed + 1))
	fi
	return "$ok"
}

# The harness's output as TAP diagnostics.
diag() {
	sed 's/^/# /' <<<"$1"
}

kvers=()
while IFS='=' read -r _ v; do
	[ -n "$v" ] && kvers+=("$v")
done <"$top/build/kernels.env"

mkdir -p "$top/build/vm" || exit 1
img=$(mktemp "$top/build/vm/selftest.XXXXXX") || exit 1
trap 'rm -f "$img"' EXIT
truncate -s 16M "$img" || exit 1

for kver in "${kvers[@]}"; do
	out_file="$top/build/vm-out/selftest.$kver.$$"
	out=$(cd "$here" && "$here/run" -k "$kver" -d "$img" -- "$here/selftest.sh" --guest "$here" "$out_file" 2>&1)
	rc=$?
	diag "$(grep '^vm: ' <<<"$out")"
	tap $rc "$kver boots and runs a command" || diag "$out"
	for name in "${guest_checks[@]}"; do
		grep -qxF "check ok $name" <<<"$out"
		tap $? "$kver $name"
	done
	[ "$(cat "$out_file" 2>/dev/null)" = "$kver" ]
	tap $? "$kver build/vm-out file reaches the host"
	rm -f "$out_file"

	out=$("$here/run" -k "$kver" -- sh -c 'exit 1' 2>&1)
	rc=$?
	[ $rc = 1 ] && grep -q "^vm: $kver: FAIL: command exited with 1" <<<"$out"
	tap $? "$kver fails when the command exits 1" || diag "$out"

	out=$("$here/run" -k "$kver" -- sh -c "echo 'WARNING: test' >/dev/kmsg" 2>&1)
	rc=$?
	[ $rc = 1 ] && grep -q "^vm: $kver: FAIL: kernel log matches 'WARNING:'" <<<"$out"
	tap $? "$kver fails when the kernel logs a WARNING" || diag "$out"
done

echo "1..$n"
[ $failed = 0 ]
