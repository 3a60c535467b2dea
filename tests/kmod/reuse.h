/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * reuse.h - the two registries of the address-reuse test (reuse_a.c, reuse_b.c) and what their
 * clients (reuse_client.c, built once per registry) register.
 *
 * The test loads reuse_a and its client, opens it, unloads both, then loads reuse_b where reuse_a
 * was: two unrelated modules at the same addresses, the edit-build-reload loop of a developer.
 * Every name modrace reports must come from the module that was loaded when the event happened.
 */
#ifndef REUSE_H
#define REUSE_H

#include <linux/list.h>
#include <linux/module.h>

struct reuse_port {
	struct module *owner;
	struct list_head node;
	int id;
};

int reuse_a_attach(struct reuse_port *port);
void reuse_a_detach(struct reuse_port *port);
int reuse_b_add(struct reuse_port *port);
void reuse_b_del(struct reuse_port *port);

#endif /* REUSE_H */
