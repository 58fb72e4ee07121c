#include "controller/auth.h"

#include <cstdlib>

#include "common/token_file.h"
#include "gtest/gtest.h"

namespace ridge::controller {
namespace {

constexpr char kTokens[] = R"(# comment
client cccccccccccccccccccc
worker wwwwwwwwwwwwwwwwwwww

admin aaaaaaaaaaaaaaaaaaaa
)";

TEST(Auth, RolesAreChecked) {
  TokenTable t = *TokenTable::Parse(kTokens, "tokens");
  EXPECT_EQ(t.size(), 3u);
  EXPECT_TRUE(t.Check("Bearer cccccccccccccccccccc", Role::kClient).ok());
  EXPECT_EQ(t.Check("Bearer cccccccccccccccccccc", Role::kWorker).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(t.Check("Bearer wwwwwwwwwwwwwwwwwwww", Role::kClient).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(t.Check("Bearer aaaaaaaaaaaaaaaaaaaa", Role::kWorker).ok());  // Admin may do all.
  EXPECT_EQ(t.Check("", Role::kClient).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(t.Check("Bearer nope-nope-nope-nope", Role::kClient).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(t.Check("cccccccccccccccccccc", Role::kClient).code(), absl::StatusCode::kUnauthenticated);
}

TEST(Auth, BadFilesNameTheLine) {
  absl::StatusOr<TokenTable> t = TokenTable::Parse("client cccccccccccccccccccc\nroot xxxxxxxxxxxxxxxxxxxxx\n", "f");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("f:2: role 'root'"), std::string::npos) << t.status();
  t = TokenTable::Parse("client short\n", "f");
  EXPECT_NE(t.status().message().find("at least 16"), std::string::npos) << t.status();
  EXPECT_FALSE(TokenTable::Parse("# nothing\n", "f").ok());
}

TEST(Auth, CreatedFileHasAnAdminTokenAndIsNeverOverwritten) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/tokens";
  absl::StatusOr<std::string> token = TokenTable::CreateWithAdminToken(path);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->size(), 64u);
  EXPECT_EQ(*ReadClientToken(path), *token);
  EXPECT_TRUE(TokenTable::Load(path)->Check("Bearer " + *token, Role::kClient).ok());
  EXPECT_EQ(TokenTable::CreateWithAdminToken(path).status().code(), absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace ridge::controller
