// SPDX-License-Identifier: GPL-2.0-only
/*
 * spin_client - a client of spin_reg (tests/kmod/spin_reg.c). Its init kmallocs two objects and
 * registers them; its exit unregisters them (spin_reg takes its mutex, never the spinlock its
 * lookups hold) and kfree()s them. The plain object is freed right after the unlink, so only
 * the lookup's disabled preemption stood between it and the free: module memory outlives the
 * lookup, the object does not. The rcu object's unregister waits for a grace period first.
 */
#include <linux/module.h>
#include <linux/slab.h>

#include "spin_reg.h"

static struct spin_obj *plain, *rcu;

static struct spin_obj *new_obj(const char *name, bool is_rcu)
{
	struct spin_obj *o = kzalloc(sizeof(*o), GFP_KERNEL);

	if (o) {
		o->name = name;
		o->owner = THIS_MODULE;
		o->rcu = is_rcu;
	}
	return o;
}

static int __init spin_client_init(void)
{
	plain = new_obj("spin_client-plain", false);
	rcu = new_obj("spin_client-rcu", true);
	if (!plain || !rcu) {
		kfree(plain);
		kfree(rcu);
		return -ENOMEM;
	}
	spin_reg_register(plain);
	spin_reg_register(rcu);
	return 0;
}

static void __exit spin_client_exit(void)
{
	spin_reg_unregister(plain);
	kfree(plain);
	spin_reg_unregister(rcu);
	kfree(rcu);
}

module_init(spin_client_init);
module_exit(spin_client_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modrace test client of spin_reg: objects allocated in init, freed in exit");
