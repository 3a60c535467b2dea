// SPDX-License-Identifier: GPL-2.0-only
/*
 * seed_core - a small "built-in-like" subsystem for exercising modrace.
 *
 * It keeps a list of seed_driver objects that live in other modules (seed_drv) and exposes an
 * open path, the misc device /dev/seed: open finds a driver and pins its owner module with
 * try_module_get(drv->owner), then calls drv->ops->open; release calls drv->ops->release and
 * drops the reference. That is the protocol modrace checks (docs/scenarios.md):
 *
 *   try_module_get(obj->owner) is only safe when the lookup and the get run under a lock L that
 *   the module's unregister path (its exit -> seed_unregister_driver) also takes, or inside an
 *   RCU read-side section that the unregister path waits for with synchronize_rcu().
 *
 * The "variant" parameter selects how the open path does its lookup + get, so VM scenarios can
 * pick the correct and the broken patterns from the same module (it may be changed at run time
 * through /sys/module/seed_core/parameters/variant):
 *
 *   1  unlocked   lookup and try_module_get with no lock at all            -> unprotected-get
 *   2  notquite   lookup without a lock, lock held only around the get     -> get-while-going
 *   3  locked     lookup + get under seed_driver_lock (unregister takes it) -> clean
 *   4  biglock    lookup + get under seed_big_lock (unregister takes it)    -> clean
 *   5  rcu        lookup + get under rcu_read_lock, unregister waits with synchronize_rcu -> clean
 *
 * Each variant's get lives in its own noinline function (seed_get_driver_<variant>) so the
 * caller address modrace records for try_module_get names the variant.
 *
 * Other knobs: race_delay_us (widens the lookup->get window, used by the stress scenario),
 * leak_on_error (open error path forgets module_put -> ref-leak), release_guard (the fix for a
 * driver whose release op drops its own last reference -> self-put vs clean).
 *
 * misc_open() calls seed_open() with misc_mtx held, so every get below runs with misc_mtx in
 * the held-lock set. That does not protect seed_drv: seed_drv's unload path never takes
 * misc_mtx (it registers no misc device), and modrace must not credit it.
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/srcu.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "seed.h"

enum seed_variant {
	SEED_UNLOCKED = 1,
	SEED_NOTQUITE = 2,
	SEED_LOCKED = 3,
	SEED_BIGLOCK = 4,
	SEED_RCU = 5,
};

static int variant = SEED_LOCKED;
module_param(variant, int, 0644);
MODULE_PARM_DESC(variant,
		 "open path: 1 unlocked, 2 notquite, 3 locked (default), 4 biglock, 5 rcu");

static char driver[32];
module_param_string(driver, driver, sizeof(driver), 0644);
MODULE_PARM_DESC(driver, "name of the driver /dev/seed opens (empty: the first registered)");

static unsigned int race_delay_us;
module_param(race_delay_us, uint, 0644);
MODULE_PARM_DESC(race_delay_us, "sleep between reading drv->owner and try_module_get (stress)");

static bool srcu_guard = true;
module_param(srcu_guard, bool, 0444);
MODULE_PARM_DESC(srcu_guard,
		 "keep module memory valid across racy lookups (test scaffolding, see below)");

static bool leak_on_error;
module_param(leak_on_error, bool, 0644);
MODULE_PARM_DESC(leak_on_error, "BUG on purpose: open error path returns without module_put");

static bool release_guard;
module_param(release_guard, bool, 0644);
MODULE_PARM_DESC(release_guard,
		 "hold an extra reference around ops->release (fixes self-put drivers)");

/* Counters the scenarios read from /sys/module/seed_core/parameters/ without modrace. */
static atomic_t going_gets = ATOMIC_INIT(0); /* try_module_get attempted on a GOING module */
static atomic_t coming_gets = ATOMIC_INIT(0); /* try_module_get succeeded on a COMING module */
static atomic_t opens = ATOMIC_INIT(0); /* opens that got a reference */
/* variant 2: the driver found without the lock was unregistered before the lock was taken */
static atomic_t stale_gets = ATOMIC_INIT(0);

static int seed_counter_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read((atomic_t *)kp->arg));
}

static const struct kernel_param_ops seed_counter_ops = {
	.get = seed_counter_get,
};
module_param_cb(going_gets, &seed_counter_ops, &going_gets, 0444);
MODULE_PARM_DESC(going_gets, "number of gets the open path attempted on a GOING module");
module_param_cb(coming_gets, &seed_counter_ops, &coming_gets, 0444);
MODULE_PARM_DESC(coming_gets, "number of gets that succeeded on a COMING module");
module_param_cb(opens, &seed_counter_ops, &opens, 0444);
MODULE_PARM_DESC(opens, "number of opens that took a module reference");
module_param_cb(stale_gets, &seed_counter_ops, &stale_gets, 0444);
MODULE_PARM_DESC(stale_gets, "variant 2: gets on a driver unregistered between lookup and lock");

static LIST_HEAD(seed_drivers);
/* The subsystem's driver lock: writers of seed_drivers, and the correct open path (variant 3). */
static DEFINE_MUTEX(seed_driver_lock);
/* A global lock in the style of the old BKL, also taken by seed_unregister_driver (variant 4). */
static DEFINE_MUTEX(seed_big_lock);

/*
 * Test scaffolding, not part of any pattern under test. In variants 1 and 2 a racing rmmod can
 * unload seed_drv between the lookup and the get: the seed_driver object (seed_drv's allocation,
 * freed by its exit) and the struct module that drv->owner points to both belong to seed_drv, so
 * without help the get is a real use-after-free (KASAN reports the read of the freed object). With srcu_guard (the default) the
 * unlocked lookups run in an SRCU read-side section and seed_unregister_driver() waits for them
 * with synchronize_srcu() before seed_drv's exit returns, so its memory stays valid and a late
 * try_module_get just sees MODULE_STATE_GOING and fails. That is a correct SRCU discipline, which
 * modrace models (tests/kmod/srcu_reg.c): were the unloading task to wait itself, these gets would
 * be `protected(srcu seed_lookup_srcu)`. The wait runs in a worker instead (seed_guard_work), which
 * the unloading task waits for: the memory stays just as valid, but modrace credits only grace
 * periods the unloading task waits for itself, so what it reports for these variants is the
 * pattern under test (no lock shared with the unload path at the get) and the observed get on a
 * GOING module. Load with srcu_guard=0 to run the genuinely unsafe code (may oops the guest under
 * the stress scenario).
 */
DEFINE_STATIC_SRCU(seed_lookup_srcu);

static void seed_guard_sync(struct work_struct *work)
{
	synchronize_srcu(&seed_lookup_srcu);
}
static DECLARE_WORK(seed_guard_work, seed_guard_sync);

static struct seed_driver *seed_find(const char *want)
{
	struct seed_driver *d;

	/* Writers use the RCU list primitives, so unlocked readers never see a torn list. */
	list_for_each_entry_rcu(d, &seed_drivers, list,
				true) if (!*want || !strcmp(d->name, want)) return d;
	return NULL;
}

/* The window the stress scenario aims at: between the lookup and taking the reference. */
static void seed_race_delay(bool atomic)
{
	unsigned int us = READ_ONCE(race_delay_us);

	if (!us)
		return;
	if (atomic)
		udelay(min(us, 1000U));
	else
		fsleep(us);
}

/*
 * Always inlined so that the try_module_get call site (the ip modrace records) is inside the
 * calling seed_get_driver_<variant> function. Reading owner->state after a failed get is as
 * safe as the get itself: valid in variants 3-5, valid in 1-2 only thanks to srcu_guard.
 */
static __always_inline bool seed_try_get(struct module *owner)
{
	if (try_module_get(owner)) {
		if (owner && owner->state == MODULE_STATE_COMING)
			atomic_inc(&coming_gets);
		return true;
	}
	if (owner->state == MODULE_STATE_GOING) {
		atomic_inc(&going_gets);
		pr_info_ratelimited("seed_core: try_module_get on GOING module %s (variant %d)\n",
				    owner->name, variant);
	}
	return false;
}

static int seed_guard_enter(void)
{
	return srcu_guard ? srcu_read_lock(&seed_lookup_srcu) : 0;
}

static void seed_guard_exit(int idx)
{
	if (srcu_guard)
		srcu_read_unlock(&seed_lookup_srcu, idx);
}

/* Variant 1. BUG on purpose: nothing stops seed_drv's unload between lookup and get. */
static noinline struct seed_driver *seed_get_driver_unlocked(const char *want)
{
	struct seed_driver *drv;
	struct module *owner;
	int idx = seed_guard_enter();

	drv = seed_find(want);
	if (!drv) {
		drv = ERR_PTR(-ENODEV);
		goto out;
	}
	/* The window: the object was found, the unload may unlink and free it meanwhile. */
	seed_race_delay(false);
	owner = READ_ONCE(drv->owner);
	if (!seed_try_get(owner))
		drv = ERR_PTR(-ENODEV);
out:
	seed_guard_exit(idx);
	return drv;
}

/*
 * Variant 2, the seed discussion's "not quite correct": the lock is right (unregister takes
 * it) but the object was found before taking it, so by the time the lock is held the driver
 * may already be unlinked and its module GOING or gone.
 */
static noinline struct seed_driver *seed_get_driver_notquite(const char *want)
{
	struct seed_driver *drv;
	bool ok;
	int idx = seed_guard_enter();

	drv = seed_find(want);
	if (!drv) {
		drv = ERR_PTR(-ENODEV);
		goto out;
	}
	seed_race_delay(false);
	mutex_lock(&seed_driver_lock);
	ok = seed_try_get(drv->owner);
	/*
	 * The seed's race, actually hit: unregister unlinked drv (list_del_rcu poisons prev) while
	 * we were between lookup and lock. A get that merely sees GOING, with drv still linked, is
	 * what the correct variant 3 sees too; the scenario waits for this one. Checked after the
	 * get (the lock still held, so nothing changed) so that the get stays one call site.
	 */
	if (READ_ONCE(drv->list.prev) == LIST_POISON2)
		atomic_inc(&stale_gets);
	mutex_unlock(&seed_driver_lock);
	if (!ok)
		drv = ERR_PTR(-ENODEV);
out:
	seed_guard_exit(idx);
	return drv;
}

/*
 * Variant 3, correct: lookup and get under seed_driver_lock, which seed_unregister_driver()
 * also takes. The get may still fail (module already GOING, its exit blocked on the lock), but
 * drv and drv->owner cannot be freed while we hold the lock.
 */
static noinline struct seed_driver *seed_get_driver_locked(const char *want)
{
	struct seed_driver *drv;

	mutex_lock(&seed_driver_lock);
	drv = seed_find(want);
	seed_race_delay(false);
	if (!drv || !seed_try_get(drv->owner))
		drv = ERR_PTR(-ENODEV);
	mutex_unlock(&seed_driver_lock);
	return drv;
}

/* Variant 4, correct: a global lock (old-BKL style) that the unregister path also takes. */
static noinline struct seed_driver *seed_get_driver_biglock(const char *want)
{
	struct seed_driver *drv;

	mutex_lock(&seed_big_lock);
	drv = seed_find(want);
	seed_race_delay(false);
	if (!drv || !seed_try_get(drv->owner))
		drv = ERR_PTR(-ENODEV);
	mutex_unlock(&seed_big_lock);
	return drv;
}

/* Variant 5, correct: RCU lookup; seed_unregister_driver() unlinks, then synchronize_rcu(). */
static noinline struct seed_driver *seed_get_driver_rcu(const char *want)
{
	struct seed_driver *drv;

	rcu_read_lock();
	drv = seed_find(want);
	seed_race_delay(true);
	if (!drv || !seed_try_get(drv->owner))
		drv = ERR_PTR(-ENODEV);
	rcu_read_unlock();
	return drv;
}

static struct seed_driver *seed_get_driver(void)
{
	char want[sizeof(driver)];

	/* Unlocked copy: the scenarios never write the parameter while opening. */
	strscpy(want, driver, sizeof(want));
	switch (READ_ONCE(variant)) {
	case SEED_UNLOCKED:
		return seed_get_driver_unlocked(want);
	case SEED_NOTQUITE:
		return seed_get_driver_notquite(want);
	case SEED_LOCKED:
		return seed_get_driver_locked(want);
	case SEED_BIGLOCK:
		return seed_get_driver_biglock(want);
	case SEED_RCU:
		return seed_get_driver_rcu(want);
	default:
		return ERR_PTR(-EINVAL);
	}
}

static int seed_open(struct inode *inode, struct file *file)
{
	struct seed_driver *drv = seed_get_driver();
	int err;

	if (IS_ERR(drv))
		return PTR_ERR(drv);
	/* We hold a reference on drv->owner: calling into the driver is safe from here on. */
	err = drv->ops->open ? drv->ops->open(drv, file) : 0;
	if (err) {
		if (leak_on_error) {
			/* BUG on purpose (ref-leak): the reference taken above is never dropped. */
			pr_info("seed_core: open of %s failed (%d), leaking its module reference\n",
				drv->name, err);
			return err;
		}
		module_put(drv->owner);
		return err;
	}
	atomic_inc(&opens);
	file->private_data = drv;
	return 0;
}

static int seed_release(struct inode *inode, struct file *file)
{
	struct seed_driver *drv = file->private_data;
	struct module *owner = drv->owner;

	if (drv->flags & SEED_DRV_RELEASE_PUTS) {
		/*
		 * The driver drops the open's reference itself. Without release_guard that put
		 * can be the last one while the driver is still executing its release op
		 * (self-put). With it, the core holds its own reference across the call, so the
		 * driver's put is never the last and the core's put runs from core code.
		 */
		if (release_guard)
			__module_get(owner);
		drv->ops->release(drv, file);
		if (release_guard)
			module_put(owner);
		return 0;
	}
	if (drv->ops->release)
		drv->ops->release(drv, file);
	module_put(owner);
	return 0;
}

static ssize_t seed_read(struct file *file, char __user *buf, size_t len, loff_t *pos)
{
	struct seed_driver *drv = file->private_data;
	char line[48];
	int n = scnprintf(line, sizeof(line), "%s\n", drv->name);

	return simple_read_from_buffer(buf, len, pos, line, n);
}

static const struct file_operations seed_fops = {
	.owner = THIS_MODULE,
	.open = seed_open,
	.release = seed_release,
	.read = seed_read,
	.llseek = noop_llseek,
};

static struct miscdevice seed_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "seed",
	.fops = &seed_fops,
	.mode = 0666,
};

int seed_register_driver(struct seed_driver *drv)
{
	int err = 0;

	if (!drv->name || !drv->ops)
		return -EINVAL;
	mutex_lock(&seed_big_lock);
	mutex_lock(&seed_driver_lock);
	if (seed_find(drv->name))
		err = -EBUSY;
	else
		list_add_tail_rcu(&drv->list, &seed_drivers);
	mutex_unlock(&seed_driver_lock);
	mutex_unlock(&seed_big_lock);
	return err;
}
EXPORT_SYMBOL_GPL(seed_register_driver);

/*
 * Called from the driver module's exit, i.e. on its unload path after the module is GOING.
 * It takes both locks the correct variants rely on, then waits for RCU readers (variant 5)
 * and, as scaffolding, for the SRCU-guarded unlocked lookups (variants 1 and 2), through a worker.
 */
void seed_unregister_driver(struct seed_driver *drv)
{
	mutex_lock(&seed_big_lock);
	mutex_lock(&seed_driver_lock);
	list_del_rcu(&drv->list);
	mutex_unlock(&seed_driver_lock);
	mutex_unlock(&seed_big_lock);
	synchronize_rcu();
	if (srcu_guard) {
		/* Scaffolding, in a worker: see seed_lookup_srcu. */
		schedule_work(&seed_guard_work);
		flush_work(&seed_guard_work);
	}
}
EXPORT_SYMBOL_GPL(seed_unregister_driver);

static int __init seed_core_init(void)
{
	if (variant < SEED_UNLOCKED || variant > SEED_RCU) {
		pr_err("seed_core: variant must be 1..5\n");
		return -EINVAL;
	}
	pr_info("seed_core: variant %d race_delay_us %u srcu_guard %d leak_on_error %d "
		"release_guard %d\n",
		variant, race_delay_us, srcu_guard, leak_on_error, release_guard);
	return misc_register(&seed_misc);
}

static void __exit seed_core_exit(void)
{
	misc_deregister(&seed_misc);
	pr_info("seed_core: going_gets %d coming_gets %d opens %d\n", atomic_read(&going_gets),
		atomic_read(&coming_gets), atomic_read(&opens));
}

module_init(seed_core_init);
module_exit(seed_core_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modrace test subsystem: driver list + /dev/seed open path in five variants");
