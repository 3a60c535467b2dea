// SPDX-License-Identifier: GPL-2.0-only
/*
 * A module for testing the VM runner itself: loading it with warn=1 makes the kernel print a
 * WARNING splat, which modrace-vm must detect and turn into its "splat" exit status.
 */
#include <linux/module.h>
#include <linux/bug.h>

static bool warn;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "WARN on load");

static int __init selftest_init(void)
{
	WARN(warn, "modrace_vm_selftest: deliberate warning");
	return 0;
}

static void __exit selftest_exit(void)
{
}

module_init(selftest_init);
module_exit(selftest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modrace-vm self-test: a deliberate kernel WARNING");
