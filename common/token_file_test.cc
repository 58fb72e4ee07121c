#include "common/token_file.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace ridge {
namespace {

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(TokenFile, EachSideTakesItsOwnRoleOrAdmin) {
  const std::string path = Write("roles", "# tokens\nworker wwwwwwwwwwwwwwwwwwww\n\nclient cccccccccccccccccccc\n");
  EXPECT_EQ(*ReadClientToken(path), "cccccccccccccccccccc");
  EXPECT_EQ(*ReadWorkerToken(path), "wwwwwwwwwwwwwwwwwwww");
  const std::string admin = Write("admin", "admin aaaaaaaaaaaaaaaaaaaa\n");
  EXPECT_EQ(*ReadClientToken(admin), "aaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(*ReadWorkerToken(admin), "aaaaaaaaaaaaaaaaaaaa");
}

TEST(TokenFile, ABareTokenServesBoth) {
  const std::string path = Write("bare", "  tttttttttttttttttttt  \n");
  EXPECT_EQ(*ReadClientToken(path), "tttttttttttttttttttt");
  EXPECT_EQ(*ReadWorkerToken(path), "tttttttttttttttttttt");
}

TEST(TokenFile, ErrorsNameTheFile) {
  const std::string path = Write("client_only", "client cccccccccccccccccccc\n");
  absl::StatusOr<std::string> t = ReadWorkerToken(path);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message(), path + ": has no worker or admin token");
  t = ReadClientToken("/nonexistent/tokens");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t.status().message(), "token file: /nonexistent/tokens: cannot open");
  const std::string big = Write("big", std::string(kMaxTokenFileBytes + 1, 'x'));
  EXPECT_EQ(ReadClientToken(big).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ridge
