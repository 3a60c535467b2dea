// SPDX-License-Identifier: GPL-2.0-only
/*
 * reuse_b - a slot table guarded by an rw_semaphore, opened through /proc/reuse_b, laid out
 * unlike reuse_a (other functions, other objects at the addresses reuse_a's had). Reading the
 * file finds the lowest used slot and pins its owner twice: under down_read(&reuse_b_sem), which
 * reuse_b_del takes for writing -> protected by reuse_b_sem; and with no lock -> unprotected-get.
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/rwsem.h>
#include <linux/seq_file.h>

#include "reuse.h"

#define REUSE_B_SLOTS 8

static unsigned long reuse_b_stats[4]; /* lookups, pinned, empty, opens */
static struct reuse_port *reuse_b_slots[REUSE_B_SLOTS];
static DECLARE_RWSEM(reuse_b_sem);

int reuse_b_add(struct reuse_port *port)
{
	int i, ret = -ENOSPC;

	down_write(&reuse_b_sem);
	for (i = 0; i < REUSE_B_SLOTS; i++)
		if (!reuse_b_slots[i]) {
			reuse_b_slots[i] = port;
			port->id = i;
			ret = 0;
			break;
		}
	up_write(&reuse_b_sem);
	return ret;
}
EXPORT_SYMBOL_GPL(reuse_b_add);

void reuse_b_del(struct reuse_port *port)
{
	down_write(&reuse_b_sem);
	reuse_b_slots[port->id] = NULL;
	up_write(&reuse_b_sem);
}
EXPORT_SYMBOL_GPL(reuse_b_del);

static struct reuse_port *reuse_b_first(void)
{
	int i;

	reuse_b_stats[0]++;
	for (i = 0; i < REUSE_B_SLOTS; i++)
		if (reuse_b_slots[i])
			return reuse_b_slots[i];
	reuse_b_stats[2]++;
	return NULL;
}

static noinline int reuse_b_take_unlocked(void)
{
	struct reuse_port *p = reuse_b_first();

	if (!p || !try_module_get(p->owner))
		return 0;
	module_put(p->owner);
	return 1;
}

static noinline int reuse_b_take_shared(void)
{
	struct reuse_port *p;
	int got = 0;

	down_read(&reuse_b_sem);
	p = reuse_b_first();
	if (p && try_module_get(p->owner))
		got = 1;
	up_read(&reuse_b_sem);
	if (got) {
		reuse_b_stats[1]++;
		module_put(p->owner);
	}
	return got;
}

static int reuse_b_show(struct seq_file *m, void *v)
{
	int a = reuse_b_take_unlocked(), b = reuse_b_take_shared();

	reuse_b_stats[3]++;
	seq_printf(m, "reuse_b: unlocked %d shared %d opens %lu\n", a, b, reuse_b_stats[3]);
	return 0;
}

static int __init reuse_b_init(void)
{
	return proc_create_single("reuse_b", 0444, NULL, reuse_b_show) ? 0 : -ENOMEM;
}

static void __exit reuse_b_exit(void)
{
	remove_proc_entry("reuse_b", NULL);
}

module_init(reuse_b_init);
module_exit(reuse_b_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modrace test: an rwsem-guarded slot table, loaded where reuse_a was");
