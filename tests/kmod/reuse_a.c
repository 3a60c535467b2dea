// SPDX-License-Identifier: GPL-2.0-only
/*
 * reuse_a - a registry of ports guarded by a mutex, opened through /proc/reuse_a. Reading the
 * file looks up the first port and pins its owner twice: once under reuse_a_lock, which
 * reuse_a_detach (the client's exit) also takes -> protected by reuse_a_lock; once with no lock
 * -> unprotected-get. See reuse.h for the test around it.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "reuse.h"

static DEFINE_MUTEX(reuse_a_lock);
static LIST_HEAD(reuse_a_ports);
static unsigned long reuse_a_opens;

int reuse_a_attach(struct reuse_port *port)
{
	mutex_lock(&reuse_a_lock);
	list_add_tail(&port->node, &reuse_a_ports);
	mutex_unlock(&reuse_a_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(reuse_a_attach);

void reuse_a_detach(struct reuse_port *port)
{
	mutex_lock(&reuse_a_lock);
	list_del(&port->node);
	mutex_unlock(&reuse_a_lock);
}
EXPORT_SYMBOL_GPL(reuse_a_detach);

static noinline int reuse_a_pin_locked(void)
{
	struct reuse_port *p;
	int got = 0;

	mutex_lock(&reuse_a_lock);
	p = list_first_entry_or_null(&reuse_a_ports, struct reuse_port, node);
	if (p && try_module_get(p->owner))
		got = 1;
	mutex_unlock(&reuse_a_lock);
	if (got)
		module_put(p->owner);
	return got;
}

static noinline int reuse_a_pin_unlocked(void)
{
	struct reuse_port *p = list_first_entry_or_null(&reuse_a_ports, struct reuse_port, node);

	if (!p || !try_module_get(p->owner))
		return 0;
	module_put(p->owner);
	return 1;
}

static int reuse_a_show(struct seq_file *m, void *v)
{
	int a = reuse_a_pin_locked(), b = reuse_a_pin_unlocked();

	reuse_a_opens++;
	seq_printf(m, "reuse_a: locked %d unlocked %d opens %lu\n", a, b, reuse_a_opens);
	return 0;
}

static int __init reuse_a_init(void)
{
	return proc_create_single("reuse_a", 0444, NULL, reuse_a_show) ? 0 : -ENOMEM;
}

static void __exit reuse_a_exit(void)
{
	remove_proc_entry("reuse_a", NULL);
}

module_init(reuse_a_init);
module_exit(reuse_a_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION(
	"modrace test: a mutex-guarded registry, unloaded for reuse_b to take its place");
