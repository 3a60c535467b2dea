// SPDX-License-Identifier: GPL-2.0-only
/*
 * spin_reg - a registry of objects that live in other modules, for modrace's preempt-only-get
 * VM test (tests/vm/spin_reg.test.sh). Not a seed_core variant: its own list, its own entry
 * point (reading /proc/spin_reg), spinlock lookups.
 *
 * Reading /proc/spin_reg runs two lookups, each in its own noinline function so that modrace
 * names the get site after it:
 *
 *   spin_reg_get_spin  first non-rcu object, found and pinned (try_module_get(obj->owner))
 *                      under spin_reg_lock only. Writers never take spin_reg_lock: the
 *                      client's unload cannot wait for this lookup. Disabled preemption keeps
 *                      the client's module memory until the get is done, not the object its
 *                      exit kfree()s.                                  -> preempt-only-get
 *   spin_reg_get_rcu   first rcu object, the same under rcu_read_lock() + spin_reg_lock; its
 *                      unregister unlinks with list_del_rcu() and waits with
 *                      synchronize_rcu() before the client frees it.   -> protected (rcu)
 *   spin_reg_get_preempt  first non-rcu object under preempt_disable() and no lock at all:
 *                      the same weakness without a lock.               -> preempt-only-get
 *
 * The read prints "spin <ret> rcu <ret> preempt <ret>" (0: found and pinned, then put again).
 * Every walk is an RCU reader in the kernel's sense (preemption off, or on PREEMPT_RT the read
 * side rt_spin_lock takes), which is what list_for_each_entry_rcu checks.
 */
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/rculist.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "spin_reg.h"

/* What the lookups take. */
static DEFINE_SPINLOCK(spin_reg_lock);
/* What the writers (register, unregister) take: never spin_reg_lock. */
static DEFINE_MUTEX(spin_reg_mutex);
static LIST_HEAD(spin_reg_list);

int spin_reg_register(struct spin_obj *obj)
{
	mutex_lock(&spin_reg_mutex);
	list_add_tail_rcu(&obj->node, &spin_reg_list);
	mutex_unlock(&spin_reg_mutex);
	return 0;
}
EXPORT_SYMBOL_GPL(spin_reg_register);

void spin_reg_unregister(struct spin_obj *obj)
{
	mutex_lock(&spin_reg_mutex);
	list_del_rcu(&obj->node);
	mutex_unlock(&spin_reg_mutex);
	/* Only the rcu objects' readers are waited for: the others' lookups are the bug. */
	if (obj->rcu)
		synchronize_rcu();
}
EXPORT_SYMBOL_GPL(spin_reg_unregister);

/* Pins the owner of the first object with the given rcu flag; the caller holds what protects
 * the walk. Returns the pinned owner, or NULL (*ret says why).
 */
static __always_inline struct module *find_and_get(bool rcu, int *ret)
{
	struct spin_obj *o;

	*ret = -ENOENT;
	list_for_each_entry_rcu(o, &spin_reg_list, node)
	{
		if (o->rcu != rcu)
			continue;
		if (!try_module_get(o->owner)) {
			*ret = -ENODEV;
			return NULL;
		}
		*ret = 0;
		return o->owner;
	}
	return NULL;
}

static noinline int spin_reg_get_spin(void)
{
	struct module *owner;
	int ret;

	spin_lock(&spin_reg_lock);
	owner = find_and_get(false, &ret);
	spin_unlock(&spin_reg_lock);
	if (owner)
		module_put(owner);
	return ret;
}

static noinline int spin_reg_get_rcu(void)
{
	struct module *owner;
	int ret;

	rcu_read_lock();
	spin_lock(&spin_reg_lock);
	owner = find_and_get(true, &ret);
	spin_unlock(&spin_reg_lock);
	rcu_read_unlock();
	if (owner)
		module_put(owner);
	return ret;
}

static noinline int spin_reg_get_preempt(void)
{
	struct module *owner;
	int ret;

	preempt_disable();
	owner = find_and_get(false, &ret);
	preempt_enable();
	if (owner)
		module_put(owner);
	return ret;
}

static ssize_t spin_reg_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	char text[64];
	int spin, rcu, n;

	if (*ppos)
		return 0;
	spin = spin_reg_get_spin();
	rcu = spin_reg_get_rcu();
	n = scnprintf(text, sizeof(text), "spin %d rcu %d preempt %d\n", spin, rcu,
		      spin_reg_get_preempt());
	return simple_read_from_buffer(buf, len, ppos, text, n);
}

static const struct proc_ops spin_reg_proc_ops = {
	.proc_read = spin_reg_read,
	.proc_lseek = default_llseek,
};

static int __init spin_reg_init(void)
{
	if (!proc_create("spin_reg", 0444, NULL, &spin_reg_proc_ops))
		return -ENOMEM;
	return 0;
}

static void __exit spin_reg_exit(void)
{
	remove_proc_entry("spin_reg", NULL);
}

module_init(spin_reg_init);
module_exit(spin_reg_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modrace test registry: lookups under a spinlock its unregister never takes");
