/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * seed.h - interface between the seed_core test subsystem and its driver modules.
 *
 * seed_core plays the role of a built-in subsystem (filesystems, tty, crypto...): it keeps a
 * list of seed_driver objects that live in other modules and an open path (/dev/seed) that
 * finds one and pins its owner with try_module_get(drv->owner). seed_drv is such a driver.
 * The structures deliberately mirror the seed discussion's example: the object, including its
 * owner pointer, lives in the driver module's memory and disappears with it.
 */
#ifndef SEED_H
#define SEED_H

#include <linux/fs.h>
#include <linux/list.h>
#include <linux/module.h>

struct seed_driver;

struct seed_ops {
	/* Called by the open path after it holds a reference on drv->owner. */
	int (*open)(struct seed_driver *drv, struct file *file);
	/* Called by the close path before (or instead of, see SEED_DRV_RELEASE_PUTS) its put. */
	void (*release)(struct seed_driver *drv, struct file *file);
};

/*
 * The driver's release op drops the open path's module reference itself
 * (module_put(THIS_MODULE)) and seed_core must not put it again. This is the
 * "module drops its own last reference and returns into its own code" close path.
 */
#define SEED_DRV_RELEASE_PUTS 0x1

struct seed_driver {
	const char *name;
	struct module *owner;
	const struct seed_ops *ops;
	unsigned int flags;
	struct list_head list; /* on seed_core's driver list; RCU-safe unlink */
};

int seed_register_driver(struct seed_driver *drv);
void seed_unregister_driver(struct seed_driver *drv);

#endif /* SEED_H */
