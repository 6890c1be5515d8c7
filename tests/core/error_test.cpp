#include "vox/error.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace vox {
namespace {

TEST(ErrorTest, HierarchyLetsCallersCatchTheBase) {
    EXPECT_THROW(throw IoError("a"), Error);
    EXPECT_THROW(throw FormatError("a"), Error);
    EXPECT_THROW(throw ValueError("a"), Error);
    EXPECT_THROW(throw TypeError("a"), Error);
    EXPECT_THROW(throw LimitError("a"), Error);
    EXPECT_THROW(throw Interrupted(), Error);
    EXPECT_THROW(throw Error("a"), std::runtime_error);
}

TEST(ErrorTest, DidYouMeanNamesTheNearestKnownName) {
    const std::vector<std::string> known = {"--bins", "--cdf", "--channel", "gamma", "gain"};
    EXPECT_EQ(did_you_mean("--bnis", known), "did you mean '--bins'? ");  // a swap
    EXPECT_EQ(did_you_mean("--cfd", known), "did you mean '--cdf'? ");
    EXPECT_EQ(did_you_mean("gama", known), "did you mean 'gamma'? ");  // a deletion
    EXPECT_EQ(did_you_mean("gian", known), "did you mean 'gain'? ");
    EXPECT_EQ(did_you_mean("--chan", known), "did you mean '--channel'? ");  // the start
    // Too far from every name, too short, or too long to be a misspelling.
    EXPECT_EQ(did_you_mean("sigmoid", known), "");
    EXPECT_EQ(did_you_mean("ga", known), "");
    EXPECT_EQ(did_you_mean(std::string(65, 'g'), known), "");
    EXPECT_EQ(did_you_mean("gamma", {}), "");
}

TEST(ErrorTest, MessagesAreKept) {
    VOX_EXPECT_THROW_MSG(throw FormatError("'x.tif': truncated strip"), FormatError,
                         "'x.tif': truncated strip");
    VOX_EXPECT_THROW_MSG(throw Interrupted(), Interrupted, "interrupted");
}

TEST(ErrorTest, BytesQuotedFromFilesCannotBreakTheLine) {
    using namespace std::string_literals;
    // Valid UTF-8 stays, controls and stray bytes become \xNN.
    EXPECT_EQ(printable_text("0.29 \u00b5m, \u4f53\u7a4d, \U0001F52C"),
              "0.29 \u00b5m, \u4f53\u7a4d, \U0001F52C");
    EXPECT_EQ(printable_text("bad DimSize '1 \xff\xff\n2'"), "bad DimSize '1 \\xff\\xff\\x0a2'");
    EXPECT_EQ(printable_text("cut\0short"s), "cut\\x00short");
    EXPECT_EQ(printable_text("\x1b[31mred"), "\\x1b[31mred");
    // Overlong forms, surrogates, C1 controls and truncated sequences are not text either.
    EXPECT_EQ(printable_text("\xc0\xaf \xed\xa0\x80 \xc2\x85 \xe4\xbd"),
              "\\xc0\\xaf \\xed\\xa0\\x80 \\xc2\\x85 \\xe4\\xbd");
    EXPECT_EQ(printable_text(printable_text("\t\xff")), printable_text("\t\xff"));
    VOX_EXPECT_THROW_MSG(throw FormatError("'a.mhd': unknown key 'x\ny'"), FormatError,
                         "'a.mhd': unknown key 'x\\x0ay'");
}

}  // namespace
}  // namespace vox
