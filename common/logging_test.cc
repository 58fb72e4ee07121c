#include "common/logging.h"

#include "gtest/gtest.h"

namespace ridge {
namespace {

TEST(LoggingTest, EveryComponentHasItsOwnNamedLogger) {
  EXPECT_EQ(Log(Component::kController)->name(), "controller");
  EXPECT_EQ(Log(Component::kWorker)->name(), "worker");
  EXPECT_EQ(Log(Component::kSearch)->name(), "search");
  EXPECT_EQ(Log(Component::kStore)->name(), "store");
  EXPECT_EQ(Log(Component::kEngine)->name(), "engine");
  EXPECT_EQ(Log(Component::kCli)->name(), "cli");
  EXPECT_EQ(Log(Component::kSearch), Log(Component::kSearch));
}

TEST(LoggingTest, LevelAppliesToEveryComponent) {
  ASSERT_TRUE(SetLogLevel("warn").ok());
  EXPECT_EQ(LogLevel(), "warn");
  EXPECT_FALSE(Log(Component::kController)->should_log(spdlog::level::info));
  EXPECT_TRUE(Log(Component::kEngine)->should_log(spdlog::level::warn));
  ASSERT_TRUE(SetLogLevel("debug").ok());
  EXPECT_TRUE(Log(Component::kStore)->should_log(spdlog::level::debug));
  EXPECT_FALSE(Log(Component::kStore)->should_log(spdlog::level::trace));
  ASSERT_TRUE(SetLogLevel("off").ok());
  EXPECT_FALSE(Log(Component::kWorker)->should_log(spdlog::level::critical));
  ASSERT_TRUE(SetLogLevel("info").ok());
}

TEST(LoggingTest, UnknownLevelIsRefusedAndChangesNothing) {
  ASSERT_TRUE(SetLogLevel("error").ok());
  const absl::Status s = SetLogLevel("verbose", "--log_level");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "--log_level: 'verbose' is not one of {trace, debug, info, warn, error, off}");
  EXPECT_EQ(LogLevel(), "error");
  // A long value is cut in the message.
  EXPECT_LT(SetLogLevel(std::string(10000, 'x')).message().size(), 120u);
  ASSERT_TRUE(SetLogLevel("info").ok());
}

TEST(LogRateLimit, LetsAFewThroughPerMinuteAndCountsTheRest) {
  LogRateLimit limit(3);
  int64_t suppressed = -1;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limit.Allow(&suppressed));
    EXPECT_EQ(suppressed, 0);
  }
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(limit.Allow(&suppressed));
}

}  // namespace
}  // namespace ridge
