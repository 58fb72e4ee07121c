#include "proto/textproto.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/architecture.pb.h"
#include "proto/hardware.pb.h"

namespace ridge {
namespace {

using ::testing::HasSubstr;

std::string TempFile(const std::string& name, const std::string& contents) {
  std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(TextProto, ParsesValid) {
  HardwareProfile p;
  ASSERT_TRUE(ParseTextProto("name: \"x\" peak_macs_per_sec: 2e9", "src", &p).ok());
  EXPECT_EQ(p.name(), "x");
  EXPECT_EQ(p.peak_macs_per_sec(), 2e9);
}

TEST(TextProto, UnknownFieldIsRejectedWithPosition) {
  HardwareProfile p;
  absl::Status s = ParseTextProto("name: \"x\"\npeak_flops: 3", "prof.textproto", &p);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("prof.textproto:2:1"));
  EXPECT_THAT(s.message(), HasSubstr("peak_flops"));
}

TEST(TextProto, NothingIsHalfApplied) {
  HardwareProfile p;
  p.set_name("before");
  absl::Status s = ParseTextProto("name: \"x\" bytes_per_element: \"four\"", "src", &p);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(p.name(), "");  // Cleared, not partly filled.
}

TEST(TextProto, RepeatedScalarFieldIsRejected) {
  HardwareProfile p;
  absl::Status s = ParseTextProto("name: \"a\" name: \"b\"", "src", &p);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("name"));
}

TEST(TextProto, TruncatedFileNamesFileAndLine) {
  std::string path = TempFile("truncated.textproto",
                              "name: \"t\"\nblocks { conv { kernel: 3 stride: 2");
  Architecture a;
  absl::Status s = ReadTextProtoFile(path, &a);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr(path + ":2:"));
  EXPECT_THAT(s.message(), HasSubstr("Expected"));
}

TEST(TextProto, MissingFileIsNotFound) {
  Architecture a;
  absl::Status s = ReadTextProtoFile("/nonexistent/arch.textproto", &a);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("/nonexistent/arch.textproto: cannot open"));
}

TEST(TextProto, OversizedFileIsRefusedBeforeParsing) {
  std::string path = TempFile("huge.textproto", std::string(kMaxTextProtoBytes + 1, ' '));
  Architecture a;
  absl::Status s = ReadTextProtoFile(path, &a);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("exceeds the limit of 16777216 bytes"));
}

}  // namespace
}  // namespace ridge
