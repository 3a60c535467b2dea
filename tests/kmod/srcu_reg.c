// SPDX-License-Identifier: GPL-2.0-only
/*
 * srcu_reg - a registry whose lookups are SRCU read sides, for exercising modrace's SRCU model.
 *
 * Modules (srcu_client) register entries they own. Writing an entry's name to a file under
 * /proc/srcu_reg/ looks it up and pins its owner with try_module_get(e->owner) inside an SRCU
 * read side, then calls it and drops the reference. srcu_reg_unregister(), called from the
 * owner's exit, unlinks with list_del_rcu() and waits with synchronize_srcu(&srcu_reg_srcu)
 * before the exit returns: no reader that could still see the entry is left when the owner's
 * memory is freed. That is correct code; modrace must report those gets protected by
 * `srcu srcu_reg_srcu`.
 *
 * The files, one get site (a noinline srcu_reg_get_<name>) each:
 *   call          srcu_read_lock(&srcu_reg_srcu)                     -> protected
 *   call_wrong    srcu_read_lock(&srcu_reg_notify_srcu): a read side of another srcu_struct,
 *                 which unregister never waits for (the negative control) -> unprotected-get
 *   call_down     srcu_down_read(&srcu_reg_srcu) (6.4+)              -> protected
 *   call_nmisafe  srcu_read_lock_nmisafe(&srcu_reg_nmi_srcu) (6.4+; a struct of its own, as the
 *                 kernel wants flavours unmixed), also synchronized by unregister -> protected
 *
 * expedited=1 (writable at run time) makes unregister use synchronize_srcu_expedited().
 * No misc device: the write path holds no lock of srcu_reg, unlike seed_core's misc_open.
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/rculist.h>
#include <linux/srcu.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#include "srcu_reg.h"

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define SRCU_REG_NEW_FLAVOURS 1 /* srcu_down_read (6.4), srcu_read_lock_nmisafe (6.2) */
#endif

static bool expedited;
module_param(expedited, bool, 0644);
MODULE_PARM_DESC(expedited, "unregister waits with synchronize_srcu_expedited()");

static atomic_t calls = ATOMIC_INIT(0);

static int srcu_reg_counter_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read((atomic_t *)kp->arg));
}

static const struct kernel_param_ops srcu_reg_counter_ops = {
	.get = srcu_reg_counter_get,
};
module_param_cb(calls, &srcu_reg_counter_ops, &calls, 0444);
MODULE_PARM_DESC(calls, "entries called with their owner pinned");

static LIST_HEAD(srcu_reg_list);
static DEFINE_MUTEX(srcu_reg_mutex); /* writers of srcu_reg_list */
DEFINE_STATIC_SRCU(srcu_reg_srcu); /* readers of srcu_reg_list */
/* A notifier-style srcu_struct of the subsystem that unregister never waits for. */
DEFINE_STATIC_SRCU(srcu_reg_notify_srcu);
#ifdef SRCU_REG_NEW_FLAVOURS
DEFINE_STATIC_SRCU(srcu_reg_nmi_srcu); /* readers with srcu_read_lock_nmisafe */
#endif

/*
 * The caller's read side makes the walk safe; which one it holds is what the scenarios vary
 * (call_wrong holds the wrong one on purpose), so lockdep is not asked to check it.
 */
static struct srcu_reg_entry *srcu_reg_find(const char *name)
{
	struct srcu_reg_entry *e;

	list_for_each_entry_rcu(e, &srcu_reg_list, list, true)
	{
		if (!strcmp(e->name, name))
			return e;
	}
	return NULL;
}

/* Inlined so the try_module_get call site is in each srcu_reg_get_<name>. */
static __always_inline struct srcu_reg_entry *srcu_reg_pin(const char *name)
{
	struct srcu_reg_entry *e = srcu_reg_find(name);

	return e && try_module_get(e->owner) ? e : NULL;
}

static noinline struct srcu_reg_entry *srcu_reg_get_call(const char *name)
{
	struct srcu_reg_entry *e;
	int idx = srcu_read_lock(&srcu_reg_srcu);

	e = srcu_reg_pin(name);
	srcu_read_unlock(&srcu_reg_srcu, idx);
	return e;
}

/* BUG on purpose: the read side of a srcu_struct that srcu_reg_unregister() never waits for. */
static noinline struct srcu_reg_entry *srcu_reg_get_call_wrong(const char *name)
{
	struct srcu_reg_entry *e;
	int idx = srcu_read_lock(&srcu_reg_notify_srcu);

	e = srcu_reg_pin(name);
	srcu_read_unlock(&srcu_reg_notify_srcu, idx);
	return e;
}

#ifdef SRCU_REG_NEW_FLAVOURS
static noinline struct srcu_reg_entry *srcu_reg_get_call_down(const char *name)
{
	struct srcu_reg_entry *e;
	int idx = srcu_down_read(&srcu_reg_srcu);

	e = srcu_reg_pin(name);
	srcu_up_read(&srcu_reg_srcu, idx);
	return e;
}

static noinline struct srcu_reg_entry *srcu_reg_get_call_nmisafe(const char *name)
{
	struct srcu_reg_entry *e;
	int idx = srcu_read_lock_nmisafe(&srcu_reg_nmi_srcu);

	e = srcu_reg_pin(name);
	srcu_read_unlock_nmisafe(&srcu_reg_nmi_srcu, idx);
	return e;
}
#endif

typedef struct srcu_reg_entry *(*srcu_reg_getter)(const char *name);

static ssize_t srcu_reg_write(struct file *file, const char __user *ubuf, size_t len, loff_t *pos)
{
	srcu_reg_getter get = pde_data(file_inode(file));
	struct srcu_reg_entry *e;
	char name[32];
	int err;

	if (len == 0 || len >= sizeof(name))
		return -EINVAL;
	if (copy_from_user(name, ubuf, len))
		return -EFAULT;
	name[len] = 0;
	strim(name);
	e = get(name);
	if (!e)
		return -ENODEV;
	/* The owner is pinned: calling into it is safe, and so is touching e until the put. */
	err = e->call(e);
	if (!err)
		atomic_inc(&calls);
	module_put(e->owner);
	return err ? err : len;
}

static const struct proc_ops srcu_reg_fops = {
	.proc_write = srcu_reg_write,
	.proc_lseek = noop_llseek,
};

static struct proc_dir_entry *srcu_reg_dir;

int srcu_reg_register(struct srcu_reg_entry *e)
{
	int err = 0;

	if (!e->name || !e->call)
		return -EINVAL;
	mutex_lock(&srcu_reg_mutex);
	if (srcu_reg_find(e->name))
		err = -EBUSY;
	else
		list_add_tail_rcu(&e->list, &srcu_reg_list);
	mutex_unlock(&srcu_reg_mutex);
	return err;
}
EXPORT_SYMBOL_GPL(srcu_reg_register);

/* From the owner's exit: unlink, then wait for every reader that may still see e. */
void srcu_reg_unregister(struct srcu_reg_entry *e)
{
	mutex_lock(&srcu_reg_mutex);
	list_del_rcu(&e->list);
	mutex_unlock(&srcu_reg_mutex);
	if (READ_ONCE(expedited))
		synchronize_srcu_expedited(&srcu_reg_srcu);
	else
		synchronize_srcu(&srcu_reg_srcu);
#ifdef SRCU_REG_NEW_FLAVOURS
	synchronize_srcu(&srcu_reg_nmi_srcu);
#endif
}
EXPORT_SYMBOL_GPL(srcu_reg_unregister);

static int __init srcu_reg_init(void)
{
	srcu_reg_dir = proc_mkdir("srcu_reg", NULL);
	if (!srcu_reg_dir)
		return -ENOMEM;
	if (!proc_create_data("call", 0200, srcu_reg_dir, &srcu_reg_fops, srcu_reg_get_call) ||
	    !proc_create_data("call_wrong", 0200, srcu_reg_dir, &srcu_reg_fops,
			      srcu_reg_get_call_wrong))
		goto fail;
#ifdef SRCU_REG_NEW_FLAVOURS
	if (!proc_create_data("call_down", 0200, srcu_reg_dir, &srcu_reg_fops,
			      srcu_reg_get_call_down) ||
	    !proc_create_data("call_nmisafe", 0200, srcu_reg_dir, &srcu_reg_fops,
			      srcu_reg_get_call_nmisafe))
		goto fail;
#endif
	return 0;
fail:
	proc_remove(srcu_reg_dir);
	return -ENOMEM;
}

static void __exit srcu_reg_exit(void)
{
	proc_remove(srcu_reg_dir);
	pr_info("srcu_reg: %d calls\n", atomic_read(&calls));
}

module_init(srcu_reg_init);
module_exit(srcu_reg_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modrace test registry: lookups under SRCU, unregister with synchronize_srcu");
