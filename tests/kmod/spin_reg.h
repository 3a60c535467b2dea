/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * spin_reg.h - interface between the spin_reg test registry and its client modules.
 *
 * spin_reg keeps objects that client modules allocate and register. Its lookups run under a
 * spinlock that its unregister never takes (writers serialise on a mutex): the shape of
 * modrace's preempt-only-get rule, where only disabled preemption (or, on PREEMPT_RT, the RCU
 * read side that spin_lock takes there) covers the try_module_get. Objects flagged `rcu` are
 * looked up inside an explicit rcu_read_lock() as well, and their unregister waits with
 * synchronize_rcu(): the documented RCU protocol, the test's positive control.
 */
#ifndef SPIN_REG_H
#define SPIN_REG_H

#include <linux/list.h>
#include <linux/module.h>
#include <linux/types.h>

struct spin_obj {
	const char *name;
	struct module *owner;
	bool rcu; /* looked up under rcu_read_lock(); unregister waits for a grace period */
	struct list_head node; /* on spin_reg's list, unlinked with list_del_rcu() */
};

int spin_reg_register(struct spin_obj *obj);
void spin_reg_unregister(struct spin_obj *obj);

#endif /* SPIN_REG_H */
