// SPDX-License-Identifier: GPL-2.0-only
//
// events/printable.h: names from a trace are safe in text output (issue 18 item 1).
#include "events/printable.h"

#include <gtest/gtest.h>

#include "event_builder.h"
#include "report/render.h"

namespace modrace {
namespace {

TEST(Printable, KeepsPrintableUtf8) {
  EXPECT_EQ(printable("kworker/0:1H"), "kworker/0:1H");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7");
  EXPECT_EQ(printable(""), "");
}

TEST(Printable, EscapesControlCharacters) {
  EXPECT_EQ(printable("a\nb\rc\td\\e"), "a\\nb\\rc\\td\\\\e");
  EXPECT_EQ(printable("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(printable(std::string_view("\x00\x01\x7f", 3)), "\\x00\\x01\\x7f");
  EXPECT_EQ(printable("\xc2\x9b"
                      "2J"),
            "\\xc2\\x9b2J");  // C1 CSI, UTF-8 encoded
}

TEST(Printable, EscapesBytesThatAreNotUtf8) {
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(printable("ab\xe2\x82"), "ab\\xe2\\x82");       // cut short
  EXPECT_EQ(printable("\x80x"), "\\x80x");                  // stray continuation
}

// The text report of a get by a process named with an escape sequence and a newline: the name
// is shown escaped, and the report has no control character but its own newlines.
TEST(Printable, TextReportEscapesAProcessName) {
  test::EventBuilder t;
  auto drv = t.load("drv\x1b[2J");
  t.as(100, "cat\x1b[31m\nX\xfe")
      .try_get(drv, t.fn("seed_open"), test::EventBuilder::locks({t.mutex("misc_mtx")}));
  t.unload(drv, {t.mutex("seed_lock")});
  Report r = t.analyze();
  ASSERT_FALSE(r.findings.empty());
  std::string text = render_text(r);
  EXPECT_NE(text.find("cat\\x1b[31m\\nX\\xfe/100"), std::string::npos) << text;
  EXPECT_NE(text.find("drv\\x1b[2J"), std::string::npos) << text;
  for (char c : text)
    EXPECT_TRUE(c == '\n' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f))
        << "control character " << int(c);
}

}  // namespace
}  // namespace modrace
