// SPDX-License-Identifier: GPL-2.0
/*
 * An unapproved module, as root would build it after the lock: at load it writes one page of "EVILBIO!" at
 * sector @sector of the block device @dev (MAJ:MIN) with a bio, from inside the kernel, where no file hook
 * runs. tests/attack/suite builds it for each test kernel; it must never load on a locked device.
 */
#define pr_fmt(fmt) "evil_bio: " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/kdev_t.h>
#include <linux/module.h>
#include <linux/version.h>

static char *dev = "";
module_param(dev, charp, 0444);
static ulong sector;
module_param(sector, ulong, 0444);

static int write_page(struct block_device *bdev)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct bio *bio;
	char *p;
	int i, err;

	if (!page)
		return -ENOMEM;
	p = page_address(page);
	for (i = 0; i < PAGE_SIZE; i++)
		p[i] = "EVILBIO!"[i % 8];
	bio = bio_alloc(bdev, 1, REQ_OP_WRITE | REQ_SYNC | REQ_FUA, GFP_KERNEL);
	bio->bi_iter.bi_sector = sector;
	__bio_add_page(bio, page, PAGE_SIZE, 0);
	err = submit_bio_wait(bio);
	bio_put(bio);
	__free_page(page);
	return err;
}

static int __init evil_init(void)
{
	unsigned int maj, min;
	int err;

	if (sscanf(dev, "%u:%u", &maj, &min) != 2)
		return -EINVAL;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	{
		struct file *f = bdev_file_open_by_dev(MKDEV(maj, min), BLK_OPEN_WRITE, NULL, NULL);

		if (IS_ERR(f)) {
			pr_info("open %s: %ld\n", dev, PTR_ERR(f));
			return PTR_ERR(f);
		}
		err = write_page(file_bdev(f));
		fput(f);
	}
#else
	{
		struct block_device *bdev = blkdev_get_by_dev(MKDEV(maj, min), FMODE_WRITE, NULL);

		if (IS_ERR(bdev)) {
			pr_info("open %s: %ld\n", dev, PTR_ERR(bdev));
			return PTR_ERR(bdev);
		}
		err = write_page(bdev);
		blkdev_put(bdev, FMODE_WRITE);
	}
#endif
	pr_info("wrote a page at sector %lu of %s: %d\n", sector, dev, err);
	return err;
}

static void __exit evil_exit(void)
{
}

module_init(evil_init);
module_exit(evil_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tests/attack: an unapproved module that writes a protected disk with a bio");
