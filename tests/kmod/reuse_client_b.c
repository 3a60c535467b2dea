// SPDX-License-Identifier: GPL-2.0-only
/* reuse_client_b: the client of reuse_b (reuse_client.c). */
#define REUSE_ON_B
#include "reuse_client.c"
