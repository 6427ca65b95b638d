// SPDX-License-Identifier: GPL-2.0
/*
 * fwgate.ko: no image reaches a protected firmware partition unless its
 * manufacturer signed it and a quorum of independent checkers approved it,
 * with a version above the rollback floor. Documentation/fwgate/kernel.rst.
 */
#include <linux/kernel.h>
#include <linux/module.h>

#include "fwgate.h"

/* Serialises every change of the policy, the targets and the state store. */
DEFINE_MUTEX(fwgate_mutex);
unsigned int fwgate_dump_seq = 1;

static int __init fwgate_init(void)
{
	int err;

	err = fwgate_state_init();
	if (err)
		return err;
	err = fwgate_approval_init();
	if (err)
		goto err_state;
	err = fwgate_sysfs_init();
	if (err)
		goto err_approval;
	err = fwgate_device_init();
	if (err)
		goto err_sysfs;
	err = fwgate_genl_init();
	if (err)
		goto err_device;
	pr_info("ready%s\n", fwgate_have_ecdsa() ? "" : " (RSA only: no ECDSA in this kernel)");
	return 0;

err_device:
	fwgate_device_exit();
err_sysfs:
	fwgate_sysfs_exit();
err_approval:
	fwgate_approval_exit();
err_state:
	fwgate_state_exit();
	return err;
}

static void __exit fwgate_exit(void)
{
	fwgate_genl_exit();
	fwgate_device_exit();
	fwgate_targets_exit();
	fwgate_sysfs_exit();
	fwgate_approval_exit();
	fwgate_state_exit();
	fwgate_policy_exit();
}

module_init(fwgate_init);
module_exit(fwgate_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Quorum-approved, rollback-protected writes to firmware partitions");
MODULE_AUTHOR("fwgate developers");
MODULE_VERSION("0.1");
