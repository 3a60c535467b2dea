// SPDX-License-Identifier: GPL-2.0-only
//
// RefLedger (analyzer/references.h) on its own: which reference a put gives back.
#include <gtest/gtest.h>

#include "analyzer/references.h"

using namespace modrace::checker;

TEST(RefLedger, PutGivesBackTheTasksOwnLatestReference) {
  RefLedger l;
  l.take(/*site=*/1, /*tid=*/10, /*pid=*/10);
  l.take(2, 10, 10);
  EXPECT_TRUE(l.holds(10));
  EXPECT_FALSE(l.holds(11));
  EXPECT_EQ(l.release(10), 2);
  EXPECT_EQ(l.release(10), 1);
  EXPECT_FALSE(l.holds(10));
  EXPECT_EQ(l.user_refs(), 0u);
  EXPECT_TRUE(l.by_site().empty());
}

TEST(RefLedger, PutFromAnotherTaskReleasesTheSiteWithFewestOutstanding) {
  RefLedger l;
  l.take(1, 10, 10);
  l.take(1, 11, 11);
  l.take(2, 12, 12);
  EXPECT_EQ(l.release(99), 2);  // a worker's put: the leaking site 1 keeps its count
  EXPECT_FALSE(l.holds(12));
  EXPECT_EQ(l.by_site().at(1), 2u);
}

TEST(RefLedger, PutWithNothingOutstandingIsMinusOne) {
  RefLedger l;
  EXPECT_EQ(l.release(10), -1);
  l.take(1, 10, 10);
  l.drop_all();
  EXPECT_EQ(l.release(10), -1);
  EXPECT_EQ(l.user_refs(), 0u);
}
