#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Writes the GPT disk image the kernel tests expect as their first virtio disk:
#   tests/kernel/mkdisk.sh build/disk.img
#   tests/vm/run -k KVER -d build/disk.img -- tests/kernel/run.sh
# fwgate_test finds the partitions by name. The PARTUUIDs are fixed because
# target.resolves_partuuid names scratch's (SCRATCH_PARTUUID in fwgate_test.c).
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 OUT.img" >&2
	exit 2
fi
out=$1
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT

linux=0FC63DAF-8483-4772-8E79-3D69D8477DE4

# 1 MiB of alignment, 25 MiB of partitions, room for the backup GPT.
truncate -s 27M "$tmp"
sfdisk --quiet --no-reread --no-tell-kernel "$tmp" <<EOF
label: gpt
label-id: F09A7E00-0000-4000-8000-000000000000
first-lba: 2048

size=1MiB, type=$linux, name=fwstate,  uuid=F09A7E00-0000-4000-8000-000000000001
size=8MiB, type=$linux, name=rootfs_a, uuid=F09A7E00-0000-4000-8000-000000000002
size=8MiB, type=$linux, name=rootfs_b, uuid=F09A7E00-0000-4000-8000-000000000003
size=8MiB, type=$linux, name=scratch,  uuid=F09A7E00-0000-4000-8000-000000000004
EOF
mv "$tmp" "$out"
