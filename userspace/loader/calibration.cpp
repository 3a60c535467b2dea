// SPDX-License-Identifier: GPL-2.0-only
#include "loader/calibration.h"

#include <bpf/libbpf.h>
#include <linux/types.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "loader/skel.h"

namespace modrace::loader {

Calibration calibrate(modrace_bpf* skel) {
  Calibration calib;
  // Calibration: a getppid() from here runs with nothing held, so whatever preempt count and
  // RCU nesting the probes see is the BPF machinery's own.
  std::vector<bpf_link*> calib_links;
  for (const char* n : {"kp_calib_kp", "fe_calib_fe"}) {
    auto* pr = bpf_object__find_program_by_name(skel->obj, n);
    if (!pr || !bpf_program__autoload(pr)) continue;
    if (auto* l = bpf_program__attach(pr)) calib_links.push_back(l);
  }
  skel->bss->calib_tid = static_cast<__u32>(syscall(SYS_gettid));
  for (int i = 0; i < 8; i++) {
    syscall(SYS_getppid);
    syscall(SYS_delete_module, nullptr, 0);
  }
  skel->bss->calib_tid = 0;
  for (auto* l : calib_links) bpf_link__destroy(l);
  for (int c = 0; c < MR_CTX_MAX; c++) {
    calib.measured[c] = skel->bss->calib_hits[c] > 0;
    if (!calib.measured[c]) continue;
    calib.preempt[c] = skel->bss->calib_preempt[c];
    calib.rcu[c] = skel->bss->calib_rcu[c];
    skel->bss->base_preempt[c] = skel->bss->calib_preempt[c];
    skel->bss->base_rcu[c] = skel->bss->calib_rcu[c];
  }
  return calib;
}

void mark_calibration_probes(const Calibration& c, std::vector<ProbeStatus>& probes) {
  for (auto& s : probes)
    if (s.point->group == ProbeGroup::calibration && !s.method.empty()) {
      s.attached = c.measured[s.method == "kprobe" ? 0 : 1];
      if (!s.attached) s.why = "calibration probe did not fire";
    }
}

}  // namespace modrace::loader
