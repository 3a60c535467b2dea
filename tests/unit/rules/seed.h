// SPDX-License-Identifier: GPL-2.0-only
//
// The seed scenario the rule tests share.
#pragma once

#include "event_builder.h"

namespace modrace::test {

// The seed scenario: a built-in open path finds a driver object living in seed_drv and pins
// seed_drv with try_module_get(drv->owner); seed_drv's exit unregisters holding seed_lock.
struct Seed {
  EventBuilder t;
  Mod drv;
  uint64_t open_ip, close_ip;
  Seed() {
    drv = t.load("seed_drv");
    open_ip = t.fn("seed_open", 0x2c);
    close_ip = t.fn("seed_release", 0x18);
  }
};

}  // namespace modrace::test
