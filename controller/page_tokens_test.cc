#include "controller/page_tokens.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ridge::controller {
namespace {

using ::testing::HasSubstr;

TEST(PageTokens, RoundTripsOnlyForTheSameScopeAndKey) {
  PageTokens tokens("key-1"), other("key-2");
  const std::string t = tokens.Issue("front/c1", 200);
  EXPECT_EQ(*tokens.Check("front/c1", t), 200);
  EXPECT_FALSE(tokens.Check("front/c2", t).ok());  // Another query.
  EXPECT_FALSE(other.Check("front/c1", t).ok());   // Another controller (or a restart).
  // Forged or edited positions, non-canonical numbers, bare row IDs.
  for (const std::string& bad : {std::string("200"), std::string("7"), "07" + t.substr(3), "201" + t.substr(3),
                                 std::string("-1.abc"), t + "x", std::string(""), std::string(10000, '9')}) {
    absl::StatusOr<int64_t> r = tokens.Check("front/c1", bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("is not a token this server issued for this query"));
    EXPECT_LT(r.status().message().size(), 120u);
  }
}

TEST(PageTokens, FreshKeysDiffer) {
  const std::string a = PageTokens::Create()->Issue("campaigns", 5);
  const std::string b = PageTokens::Create()->Issue("campaigns", 5);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace ridge::controller
