#include "vox/error.h"

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

TEST(ErrorTest, MessagesAreKept) {
    VOX_EXPECT_THROW_MSG(throw FormatError("'x.tif': truncated strip"), FormatError,
                         "'x.tif': truncated strip");
    VOX_EXPECT_THROW_MSG(throw Interrupted(), Interrupted, "interrupted");
}

}  // namespace
}  // namespace vox
