// SPDX-License-Identifier: GPL-2.0-only
/*
 * seed_drv - a driver module for seed_core, the other half of modrace's test protocol.
 *
 * It registers a seed_driver in init and unregisters it in exit, so its unload path
 * (delete_module -> seed_drv_exit -> seed_unregister_driver) takes seed_core's locks; those are
 * the locks a correct open path must hold around try_module_get(drv->owner). Like a real driver
 * the seed_driver object (and the struct module its owner points to) lives in this module's
 * memory and goes away with it. It deliberately registers no misc device: misc_deregister would
 * take misc_mtx on the unload path, and misc_mtx is held by every /dev/seed open, which would
 * silently make seed_core's unlocked variant safe.
 *
 * Parameters select the driver-side protocol mistakes:
 *   fail_open  open op fails with -EIO (drives seed_core's error path; with seed_core's
 *              leak_on_error that path leaks the reference -> ref-leak, rmmod seed_drv busy)
 *   selfput    release op drops the open's reference itself with module_put(THIS_MODULE) and
 *              keeps executing module code afterwards -> self-put (unless seed_core's
 *              release_guard holds a reference around the call)
 *   selfget    open op calls try_module_get(THIS_MODULE): a module pinning itself from its own
 *              code proves nothing (if it can run, someone else must already pin it) -> self-get
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "seed.h"

static char *name = "seed_drv";
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "name to register with seed_core");

static bool fail_open;
module_param(fail_open, bool, 0644);
MODULE_PARM_DESC(fail_open, "open op fails with -EIO");

static bool selfput;
module_param(selfput, bool, 0444);
MODULE_PARM_DESC(selfput, "BUG on purpose: release op drops its own module's last reference");

static bool selfget;
module_param(selfget, bool, 0644);
MODULE_PARM_DESC(selfget, "BUG on purpose: open op takes a reference on its own module");

/* Module data the release path keeps touching after a self-put. */
static atomic_t seed_drv_opens = ATOMIC_INIT(0);
static atomic_t seed_drv_releases = ATOMIC_INIT(0);
static atomic_t seed_drv_self_refs = ATOMIC_INIT(0);

static noinline int seed_drv_open(struct seed_driver *drv, struct file *file)
{
	if (READ_ONCE(fail_open))
		return -EIO;
	if (READ_ONCE(selfget)) {
		/* BUG on purpose (self-get): the caller must pin us, we cannot pin ourselves. */
		if (!try_module_get(THIS_MODULE))
			return -ENODEV;
		atomic_inc(&seed_drv_self_refs);
	}
	atomic_inc(&seed_drv_opens);
	return 0;
}

/* Work the release op does after its put: module text and module data, both unpinned. */
static noinline void seed_drv_account_release(struct seed_driver *drv)
{
	int n = atomic_inc_return(&seed_drv_releases);

	/* Only the self-put path says so: the stress scenario opens thousands of times. */
	if (drv->flags & SEED_DRV_RELEASE_PUTS)
		pr_info("seed_drv: %s released after its own put (%d of %d opens)\n", drv->name, n,
			atomic_read(&seed_drv_opens));
}

static noinline void seed_drv_release(struct seed_driver *drv, struct file *file)
{
	/*
	 * Drop the self-get reference. seed_core still holds the open's reference here, so this
	 * put is never the module's last one.
	 */
	if (atomic_dec_if_positive(&seed_drv_self_refs) >= 0)
		module_put(THIS_MODULE);
	if (drv->flags & SEED_DRV_RELEASE_PUTS) {
		/*
		 * BUG on purpose (self-put): this can be the last reference. From here on nothing
		 * pins seed_drv, yet we keep running its code and touching its data, and return
		 * through its text; an rmmod racing with us frees all of it.
		 */
		module_put(THIS_MODULE);
	}
	seed_drv_account_release(drv);
}

static const struct seed_ops seed_drv_ops = {
	.open = seed_drv_open,
	.release = seed_drv_release,
};

/* Allocated, as most drivers' objects are: a lookup that outlives the unload reads freed slab
 * memory, which KASAN reports (seed-kasan on the development kernel). */
static struct seed_driver *seed_drv_driver;

static int __init seed_drv_init(void)
{
	int ret;

	seed_drv_driver = kzalloc(sizeof(*seed_drv_driver), GFP_KERNEL);
	if (!seed_drv_driver)
		return -ENOMEM;
	seed_drv_driver->owner = THIS_MODULE;
	seed_drv_driver->ops = &seed_drv_ops;
	seed_drv_driver->name = name;
	if (selfput)
		seed_drv_driver->flags |= SEED_DRV_RELEASE_PUTS;
	ret = seed_register_driver(seed_drv_driver);
	if (ret)
		kfree(seed_drv_driver);
	return ret;
}

static void __exit seed_drv_exit(void)
{
	seed_unregister_driver(seed_drv_driver);
	kfree(seed_drv_driver);
}

module_init(seed_drv_init);
module_exit(seed_drv_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modrace test driver for seed_core: correct, self-put, self-get, failing open");
