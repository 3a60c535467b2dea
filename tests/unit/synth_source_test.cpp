// SPDX-License-Identifier: GPL-2.0-only
//
// The synthetic source: deterministic, bounded, and the analyzer finds exactly what it plants.
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "analyzer/analyzer.h"
#include "synth/synth.h"

using namespace modrace;

TEST(Synth, SameSeedSameStream) {
  SynthSource a({.events = 20000, .seed = 7}), b({.events = 20000, .seed = 7}),
      c({.events = 20000, .seed = 8});
  Event ea, eb, ec;
  bool differs = false;
  while (a.next(ea)) {
    ASSERT_TRUE(b.next(eb));
    ASSERT_EQ(ea, eb);
    if (c.next(ec) && !(ea == ec)) differs = true;
  }
  EXPECT_FALSE(b.next(eb));
  EXPECT_TRUE(differs);
  EXPECT_EQ(a.emitted(), 20000u);
}

TEST(Synth, AnalyzerFindsExactlyWhatIsPlanted) {
  SynthSource src({.events = 400000, .seed = 1});
  Report r = analyze(src);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.events, 400000u);
  EXPECT_GT(r.unloads_seen, 20u);
  std::set<std::tuple<Rule, std::string, std::string>> found, planted;
  for (const auto& f : r.findings) found.insert({f.rule, f.module, f.function});
  for (const auto& p : src.planted()) planted.insert({p.rule, p.module, p.function});
  for (const auto& p : planted)
    EXPECT_TRUE(found.count(p)) << "missing " << to_string(std::get<0>(p)) << " " << std::get<1>(p)
                                << " " << std::get<2>(p);
  for (const auto& f : found)
    EXPECT_TRUE(planted.count(f)) << "unexpected " << to_string(std::get<0>(f)) << " "
                                  << std::get<1>(f) << " " << std::get<2>(f);
  // The correct families are judged protected, by their lock or by RCU.
  bool misc = false, rcu = false, fs = false, crypto = false;
  for (const auto& s : r.sites) {
    if (s.function == "synth_misc_open" && s.verdict == SiteVerdict::protected_)
      misc |= s.protected_by == "synth_misc_mtx";
    if (s.function == "synth_sock_create") rcu |= s.protected_by == "rcu";
    if (s.function == "synth_get_fs_type") fs |= s.protected_by == "synth_fs_lock";
    if (s.function == "synth_crypto_mod_get") crypto |= s.protected_by == "synth_alg_sem";
  }
  EXPECT_TRUE(misc && rcu && fs && crypto);
}
