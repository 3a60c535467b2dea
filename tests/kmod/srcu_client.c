// SPDX-License-Identifier: GPL-2.0-only
/*
 * srcu_client - registers one entry ("client") in srcu_reg and unregisters it from its exit, so
 * that its unload path runs srcu_reg_unregister(): list_del_rcu() and then synchronize_srcu().
 */
#include <linux/atomic.h>
#include <linux/module.h>

#include "srcu_reg.h"

static atomic_t calls = ATOMIC_INIT(0);

static int srcu_client_call(struct srcu_reg_entry *e)
{
	atomic_inc(&calls);
	return 0;
}

static struct srcu_reg_entry srcu_client_entry = {
	.name = "client",
	.owner = THIS_MODULE,
	.call = srcu_client_call,
};

static int __init srcu_client_init(void)
{
	return srcu_reg_register(&srcu_client_entry);
}

static void __exit srcu_client_exit(void)
{
	srcu_reg_unregister(&srcu_client_entry);
	pr_info("srcu_client: %d calls\n", atomic_read(&calls));
}

module_init(srcu_client_init);
module_exit(srcu_client_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modrace test: an entry of srcu_reg, unregistered on unload");
