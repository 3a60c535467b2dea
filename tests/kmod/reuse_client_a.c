// SPDX-License-Identifier: GPL-2.0-only
/* reuse_client_a: the client of reuse_a (reuse_client.c). */
#include "reuse_client.c"
