// SPDX-License-Identifier: GPL-2.0-only
/*
 * reuse_client_a / reuse_client_b - one port registered with reuse_a (REUSE_ON_B undefined) or
 * reuse_b (REUSE_ON_B defined): built twice (reuse_client_a.c, reuse_client_b.c include this).
 */
#include <linux/module.h>

#include "reuse.h"

static struct reuse_port port = {.owner = THIS_MODULE};

static int __init reuse_client_init(void)
{
#ifdef REUSE_ON_B
	return reuse_b_add(&port);
#else
	return reuse_a_attach(&port);
#endif
}

static void __exit reuse_client_exit(void)
{
#ifdef REUSE_ON_B
	reuse_b_del(&port);
#else
	reuse_a_detach(&port);
#endif
}

module_init(reuse_client_init);
module_exit(reuse_client_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modrace test: a client port of reuse_a or reuse_b");
