// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_probe DEVICE OP: opens DEVICE read-only, as a bypass would to slip past a write-open check, issues one
 * write-path ioctl and exits with its errno (0 if it succeeded), so that tests/bpf/guard-vm.sh can tell the
 * guard's EPERM from the driver's own refusal.
 *   discard zeroout secdiscard roset blkpg   block devices
 *   zeroout-resized                          BLKZEROOUT with size and direction bits added: no driver knows it,
 *                                            so only the guard's match by type and number says EPERM
 *   sg-write                                 SG_IO WRITE(10) of one zero block at LBA 0
 *   memerase memwrite memunlock              MTD character devices, first eraseblock
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <mtd/mtd-abi.h>
#include <scsi/sg.h>

static int sg_write(int fd)
{
	static unsigned char block[512];
	unsigned char cdb[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0 }, sense[32];
	struct sg_io_hdr h = {
		.interface_id = 'S', .dxfer_direction = SG_DXFER_TO_DEV, .cmd_len = sizeof(cdb),
		.mx_sb_len = sizeof(sense), .dxfer_len = sizeof(block), .dxferp = block, .cmdp = cdb,
		.sbp = sense, .timeout = 5000,
	};

	if (ioctl(fd, SG_IO, &h))
		return -1;
	/* The ioctl can succeed with the command failing in the device. */
	if (h.status || h.host_status || h.driver_status) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t range[2] = { 0, 4096 };
	struct erase_info_user erase = { 0, 4096 };
	struct blkpg_partition part = { .start = 0, .length = 1 << 20, .pno = 60 };
	struct blkpg_ioctl_arg pg = { .op = BLKPG_ADD_PARTITION, .datalen = sizeof(part), .data = &part };
	static unsigned char page[4096];
	struct mtd_write_req wr = { .start = 0, .len = sizeof(page), .usr_data = (uintptr_t)page };
	struct mtd_info_user info;
	const char *op;
	int fd, ro = 0, r;

	if (argc != 3) {
		fprintf(stderr, "usage: ioctl_probe DEVICE OP\n");
		return 255;
	}
	op = argv[2];
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 255;
	}
	if (!strcmp(op, "memerase") && !ioctl(fd, MEMGETINFO, &info))
		erase.length = info.erasesize;
	if (!strcmp(op, "discard"))
		r = ioctl(fd, BLKDISCARD, range);
	else if (!strcmp(op, "zeroout"))
		r = ioctl(fd, BLKZEROOUT, range);
	else if (!strcmp(op, "zeroout-resized"))
		r = ioctl(fd, _IOC(_IOC_WRITE, 0x12, _IOC_NR(BLKZEROOUT), sizeof(range)), range);
	else if (!strcmp(op, "secdiscard"))
		r = ioctl(fd, BLKSECDISCARD, range);
	else if (!strcmp(op, "roset"))
		r = ioctl(fd, BLKROSET, &ro);
	else if (!strcmp(op, "blkpg"))
		r = ioctl(fd, BLKPG, &pg);
	else if (!strcmp(op, "sg-write"))
		r = sg_write(fd);
	else if (!strcmp(op, "memerase"))
		r = ioctl(fd, MEMERASE, &erase);
	else if (!strcmp(op, "memwrite"))
		r = ioctl(fd, MEMWRITE, &wr);
	else if (!strcmp(op, "memunlock"))
		r = ioctl(fd, MEMUNLOCK, &erase);
	else {
		fprintf(stderr, "ioctl_probe: unknown op %s\n", op);
		return 255;
	}
	printf("%s %s: %s\n", argv[1], op, r ? strerror(errno) : "succeeded");
	return r ? errno : 0;
}
