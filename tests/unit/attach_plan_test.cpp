// SPDX-License-Identifier: GPL-2.0-only
//
// The attach decisions (loader/attach_plan.h) without root or a kernel: KernelFeatures are
// built by hand, one missing feature at a time, against the real attach-point table.
#include "loader/attach_plan.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "events/error.h"

namespace modrace::loader {
namespace {

// A kernel that has everything: every function in BTF, ftraceable and in kallsyms, every
// tracepoint, module_notify_list, bpf_loop, lockdep, and a preemption model under which
// fentry lock probes lose nothing.
KernelFeatures full_kernel() {
  KernelFeatures k;
  k.has_lockdep = true;
  k.ftrace_locations.emplace();
  for (const auto& p : attach_points()) {
    k.btf_functions.insert(p.function);
    k.kallsyms_text.insert(p.function);
    k.ftrace_locations->insert(p.function);
    if (p.tracepoint) k.btf_tracepoints.insert(p.function);
  }
  k.module_notify_list = 0xffffffff82000000ull;
  k.bpf_loop = true;
  k.preempt = {"voluntary", "uname"};
  return k;
}

const AttachPoint& point(const std::string& id) {
  for (const auto& p : attach_points())
    if (id == p.id) return p;
  throw std::logic_error("no attach point " + id);
}

ProbeStatus plan(const std::string& id, const KernelFeatures& k, PlanOptions o = {}) {
  return plan_attach_point(point(id), k, o);
}

PlanOptions probe_locks() { return {LockProvider::probe, false, true}; }

TEST(LockProvider, FromString) {
  EXPECT_EQ(lock_mode_from_string("auto"), LockMode::auto_);
  EXPECT_EQ(lock_mode_from_string("lockdep"), LockMode::lockdep);
  EXPECT_EQ(lock_mode_from_string("probe"), LockMode::probe);
  EXPECT_EQ(lock_mode_from_string("off"), LockMode::off);
  EXPECT_THROW(lock_mode_from_string("lockdepp"), Error);
}

TEST(LockProvider, AutoTakesLockdepWhereTheKernelHasIt) {
  KernelFeatures k = full_kernel();
  EXPECT_EQ(choose_lock_provider(LockMode::auto_, k), LockProvider::lockdep);
  k.has_lockdep = false;
  EXPECT_EQ(choose_lock_provider(LockMode::auto_, k), LockProvider::probe);
  EXPECT_EQ(choose_lock_provider(LockMode::probe, k), LockProvider::probe);
  EXPECT_EQ(choose_lock_provider(LockMode::off, k), LockProvider::off);
  try {
    choose_lock_provider(LockMode::lockdep, k);
    FAIL() << "--locks lockdep accepted without lockdep";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--locks lockdep: this kernel has no lockdep (task_struct.held_locks)");
    EXPECT_EQ(e.exit_code(), kExitUsage);
  }
}

TEST(AttachPlan, FullKernelPrefersTracepointThenFentry) {
  const KernelFeatures k = full_kernel();
  auto s = plan("module_load", k, probe_locks());
  EXPECT_EQ(s.method, "tracepoint");
  EXPECT_EQ(s.why, "");
  EXPECT_FALSE(s.attached);
  EXPECT_EQ(plan("delete_module", k, probe_locks()).method, "fentry");
  EXPECT_EQ(plan("mutex_lock", k, probe_locks()).method, "fentry");
  EXPECT_EQ(plan("notify", k, probe_locks()).method, "fentry");
  EXPECT_EQ(plan("module_syms", k, probe_locks()).method, "tracepoint");
  // Refcount probes have kprobe flavours only: no reason given for not using fentry.
  s = plan("try_module_get", k, probe_locks());
  EXPECT_EQ(s.method, "kprobe");
  EXPECT_EQ(s.why, "");
  // lockdep's tracepoint before its fentry flavour.
  EXPECT_EQ(plan("lock_acquire", k, {LockProvider::lockdep, false, true}).method, "tracepoint");
}

TEST(AttachPlan, EveryPointOfTheTableHasAMethodOnAFullKernel) {
  const KernelFeatures k = full_kernel();
  for (LockProvider prov : {LockProvider::probe, LockProvider::lockdep}) {
    auto all = plan_attach(k, {prov, false, true});
    ASSERT_EQ(all.size(), attach_points().size());
    for (size_t i = 0; i < all.size(); i++) {
      EXPECT_EQ(all[i].point, &attach_points()[i]);
      const auto g = all[i].point->group;
      bool unused = (g == ProbeGroup::locks && prov != LockProvider::probe) ||
                    (g == ProbeGroup::lockdep && prov != LockProvider::lockdep) ||
                    g == ProbeGroup::widen;  // --widen only
      EXPECT_EQ(all[i].method.empty(), unused) << all[i].point->id << ": " << all[i].why;
    }
  }
}

TEST(AttachPlan, WidenProbesOnlyWithTheOption) {
  const KernelFeatures k = full_kernel();
  auto s = plan("widen_try_module_get", k, {LockProvider::probe, false, true});
  EXPECT_EQ(s.method, "");
  EXPECT_EQ(s.why, "not needed (no --widen)");
  s = plan("widen_try_module_get", k, {LockProvider::probe, false, true, /*widen=*/true});
  EXPECT_EQ(s.method, "kprobe");
}

TEST(AttachPlan, LockGroupsOnlyForTheirProvider) {
  const KernelFeatures k = full_kernel();
  auto s = plan("mutex_lock", k, {LockProvider::lockdep, false, true});
  EXPECT_EQ(s.method, "");
  EXPECT_EQ(s.why, "not needed (locks=lockdep)");
  s = plan("sched_switch", k, {LockProvider::off, false, true});
  EXPECT_EQ(s.why, "not needed (locks=off)");
  s = plan("lock_release", k, probe_locks());
  EXPECT_EQ(s.method, "");
  EXPECT_EQ(s.why, "not needed (locks=probe)");
}

TEST(AttachPlan, PreemptibleKernelPutsLockProbesOnKprobes) {
  KernelFeatures k = full_kernel();
  for (const char* model : {"full", "lazy", "rt", "unknown"}) {
    k.preempt = {model, "uname"};
    auto s = plan("mutex_lock", k, probe_locks());
    EXPECT_EQ(s.method, "kprobe") << model;
    EXPECT_EQ(s.why, std::string("preempt=") + model +
                         ": fentry programs are preemptible, lock events would be lost");
    // Only the lock group: the others keep fentry.
    EXPECT_EQ(plan("delete_module", k, probe_locks()).method, "fentry") << model;
    EXPECT_EQ(plan("driver_register", k, probe_locks()).method, "fentry") << model;
  }
  k.preempt = {"none", "debugfs"};
  EXPECT_EQ(plan("mutex_lock", k, probe_locks()).method, "fentry");
}

TEST(AttachPlan, KprobeOnlyGivesItsReason) {
  const KernelFeatures k = full_kernel();
  auto s = plan("delete_module", k, {LockProvider::probe, true, true});
  EXPECT_EQ(s.method, "kprobe");
  EXPECT_EQ(s.why, "fentry not usable on this kernel");
  // Tracepoints are not fentry: they stay.
  EXPECT_EQ(plan("module_load", k, {LockProvider::probe, true, true}).method, "tracepoint");
}

TEST(AttachPlan, FentryNeedsBtfAndAnFtraceLocation) {
  KernelFeatures k = full_kernel();
  k.btf_functions.erase("driver_register");
  auto s = plan("driver_register", k, probe_locks());
  EXPECT_EQ(s.method, "kprobe");
  EXPECT_EQ(s.why, "not in BTF");

  k = full_kernel();
  k.ftrace_locations->erase("driver_register");
  s = plan("driver_register", k, probe_locks());
  EXPECT_EQ(s.method, "kprobe");
  EXPECT_EQ(s.why, "not an ftrace location (no fentry)");

  // tracefs unreadable: BTF alone decides.
  k.ftrace_locations.reset();
  EXPECT_EQ(plan("driver_register", k, probe_locks()).method, "fentry");
}

TEST(AttachPlan, NoFunctionNoMethod) {
  KernelFeatures k = full_kernel();
  k.btf_functions.erase("rt_spin_lock");
  k.kallsyms_text.erase("rt_spin_lock");
  auto s = plan("rt_spin_lock", k, probe_locks());
  EXPECT_EQ(s.method, "");
  EXPECT_EQ(s.why, "no such function (inlined or not built in this kernel)");
  // In BTF but not in kallsyms text and not ftraceable: no kprobe either.
  k = full_kernel();
  k.kallsyms_text.erase("module_put");
  EXPECT_EQ(plan("module_put", k, probe_locks()).method, "");
}

TEST(AttachPlan, MissingTracepoint) {
  KernelFeatures k = full_kernel();
  k.btf_tracepoints.clear();
  auto s = plan("module_load", k, probe_locks());
  EXPECT_EQ(s.method, "");
  EXPECT_EQ(s.why, "no such tracepoint in the kernel's BTF");
  // lockdep's tracepoints fall back to fentry, then kprobe.
  EXPECT_EQ(plan("lock_acquire", k, {LockProvider::lockdep, false, true}).method, "fentry");
  k.ftrace_locations->erase("lock_acquire");
  s = plan("lock_acquire", k, {LockProvider::lockdep, false, true});
  EXPECT_EQ(s.method, "kprobe");
  EXPECT_EQ(s.why, "not an ftrace location (no fentry)");
}

TEST(AttachPlan, SymbolWalk) {
  KernelFeatures k = full_kernel();
  const std::string tail =
      ": module symbols read from /proc/kallsyms after the load (missed for modules that are "
      "unloaded at once)";
  auto s = plan("module_syms", k, {LockProvider::probe, false, false});
  EXPECT_EQ(s.method, "");
  EXPECT_EQ(s.why, "the verifier refused the symbol walk" + tail);
  k.bpf_loop = false;
  s = plan("module_syms", k, {LockProvider::probe, false, false});
  EXPECT_EQ(s.why, "no bpf_loop in this kernel" + tail);
}

TEST(AttachPlan, NotifierNeedsModuleNotifyList) {
  KernelFeatures k = full_kernel();
  k.module_notify_list.reset();
  auto s = plan("notify", k, probe_locks());
  EXPECT_EQ(s.method, "");
  EXPECT_EQ(s.why, "module_notify_list not in /proc/kallsyms (CONFIG_KALLSYMS_ALL): no LIVE/GOING");
}

TEST(AttachPlan, PlannedPrograms) {
  // The programs a planned method enables and attaches, return probe first.
  const AttachPoint& del = point("delete_module");
  EXPECT_TRUE(program_names(del, "").empty());
  EXPECT_EQ(program_names(del, "fentry"),
            (std::vector<std::string>{"fx_delete_module", "fe_delete_module"}));
  EXPECT_EQ(program_names(del, "kprobe"),
            (std::vector<std::string>{"kr_delete_module", "kp_delete_module"}));
  EXPECT_EQ(program_names(point("module_load"), "tracepoint"),
            (std::vector<std::string>{"tp_module_load"}));
}

TEST(LoadAttempts, OrderAndDuplicates) {
  using V = std::vector<LoadAttempt>;
  EXPECT_EQ(load_attempts(false, true),
            (V{{false, true}, {false, false}, {true, true}, {true, false}}));
  EXPECT_EQ(load_attempts(true, true), (V{{true, true}, {true, false}}));
  EXPECT_EQ(load_attempts(false, false), (V{{false, false}, {true, false}}));
  EXPECT_EQ(load_attempts(true, false), (V{{true, false}}));
}

TEST(LoadAttempts, RetryOnlyWhenALaterAttemptDropsSomething) {
  const KernelFeatures k = full_kernel();
  const auto attempts = load_attempts(false, true);
  auto with_fentry = plan_attach(k, {LockProvider::probe, false, true});
  EXPECT_TRUE(retry_may_help(attempts, 0, with_fentry));
  EXPECT_TRUE(retry_may_help(attempts, 2, with_fentry));   // kprobes with the walk -> without
  EXPECT_FALSE(retry_may_help(attempts, 3, with_fentry));  // the last one
  // Already kprobe-only and without the walk: nothing left to drop.
  auto kprobes = plan_attach(k, {LockProvider::probe, true, false});
  EXPECT_FALSE(retry_may_help(load_attempts(true, false), 0, kprobes));
  // Without fentry in the plan, only dropping the walk can help.
  EXPECT_TRUE(retry_may_help(load_attempts(true, true), 0, kprobes));
  const auto no_walk = load_attempts(false, false);
  EXPECT_FALSE(retry_may_help(no_walk, 0, kprobes));
  EXPECT_TRUE(retry_may_help(no_walk, 0, with_fentry));
}

}  // namespace
}  // namespace modrace::loader
