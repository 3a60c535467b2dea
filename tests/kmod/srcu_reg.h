/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * srcu_reg.h - interface between the srcu_reg test registry and the modules that register in it.
 *
 * An entry lives in its owner module's memory (it disappears with it). srcu_reg finds entries
 * under an SRCU read side and pins the owner with try_module_get(entry->owner) before calling it.
 */
#ifndef SRCU_REG_H
#define SRCU_REG_H

#include <linux/list.h>
#include <linux/module.h>

struct srcu_reg_entry {
	const char *name;
	struct module *owner;
	/* Called with a reference on owner held. */
	int (*call)(struct srcu_reg_entry *e);
	struct list_head list; /* on srcu_reg's list; SRCU-safe unlink */
};

int srcu_reg_register(struct srcu_reg_entry *e);
void srcu_reg_unregister(struct srcu_reg_entry *e);

#endif /* SRCU_REG_H */
