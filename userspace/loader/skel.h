// SPDX-License-Identifier: GPL-2.0-only
//
// The BPF skeleton, with what it needs first: its .bss holds ABI structs (bpf/widen.bpf.h's
// widen_sites), which bpftool's generated header names but does not define.
#pragma once

#include <linux/types.h>

// clang-format off
#include "modrace_abi.h"
#include "modrace.skel.h"
// clang-format on
