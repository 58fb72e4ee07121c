#include "workers/timing.h"

#include <chrono>
#include <cmath>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ridge::workers {
namespace {

using ::testing::HasSubstr;

TimingProtocol Protocol(int warmup, int number, int repeat, double min_repeat_ms, double cooldown_ms = 0) {
  TimingProtocol p;
  p.set_warmup_runs(warmup);
  p.set_number(number);
  p.set_repeat(repeat);
  p.set_min_repeat_ms(min_repeat_ms);
  p.set_cooldown_ms(cooldown_ms);
  return p;
}

TEST(TimeRuns, CountsWarmupAndRunsWithoutCalibration) {
  int calls = 0;
  auto r = TimeRuns([&] { return ++calls, absl::OkStatus(); }, Protocol(3, 5, 4, 0));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(calls, 3 + 4 * 5);
  EXPECT_EQ(r->number, 5);
  EXPECT_EQ(r->samples_ms.size(), 4u);
}

// A run of at least 2 ms and a 10 ms minimum: number doubles from 1 until a
// repeat of `number` runs lasts 10 ms. That is 8 runs (16 ms) at most, as
// sleeps never end early; 4 when sleeps overshoot by a quarter; 2 only on a
// badly overloaded machine.
TEST(TimeRuns, RaisesNumberUntilARepeatLastsMinRepeatMs) {
  int calls = 0;
  auto sleep = [&] {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return absl::OkStatus();
  };
  auto r = TimeRuns(sleep, Protocol(0, 0, 3, 10));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->number == 2 || r->number == 4 || r->number == 8) << r->number;
  // Calibration ran 1, 2, ... number runs; then 3 repeats of number.
  EXPECT_EQ(calls, 2 * r->number - 1 + 3 * r->number);
  ASSERT_EQ(r->samples_ms.size(), 3u);
  for (double s : r->samples_ms) EXPECT_GE(s, 2.0);
}

TEST(TimeRuns, SleepsCooldownBetweenRepeats) {
  const auto start = std::chrono::steady_clock::now();
  auto r = TimeRuns([] { return absl::OkStatus(); }, Protocol(0, 1, 3, 0, 20));
  ASSERT_TRUE(r.ok()) << r.status();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(ms, 40.0);  // Two pauses: none before the first repeat.
}

TEST(TimeRuns, ReturnsTheRunsError) {
  int calls = 0;
  auto r = TimeRuns(
      [&] { return ++calls == 3 ? absl::InternalError("boom") : absl::OkStatus(); }, Protocol(1, 1, 5, 0));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(calls, 3);
}

TEST(Summarize, KnownSamples) {
  TimingResult r = Summarize({10, 1, 4, 3, 2});
  EXPECT_EQ(r.samples_ms, (std::vector<double>{10, 1, 4, 3, 2}));  // Raw order kept.
  EXPECT_DOUBLE_EQ(r.median_ms, 3);
  EXPECT_DOUBLE_EQ(r.mean_ms, 4);
  EXPECT_DOUBLE_EQ(r.p90_ms, 7.6);  // Rank 0.9 * 4 = 3.6: 4 + 0.6 * (10 - 4).
  EXPECT_DOUBLE_EQ(r.stddev_ms, std::sqrt(10.0));
  EXPECT_DOUBLE_EQ(Summarize({4, 1, 3, 2}).median_ms, 2.5);
  EXPECT_DOUBLE_EQ(Summarize({7}).p90_ms, 7);
}

TEST(ValidateProtocol, RefusesNamingFieldValueAndRule) {
  struct Case {
    TimingProtocol p;
    const char* field;
    const char* text;
  };
  std::vector<Case> cases = {
      {Protocol(0, 1, 0, 0), "protocol.repeat", "0 must be in [1, 1000]"},
      {Protocol(0, 1, 1001, 0), "protocol.repeat", "1001 must be in [1, 1000]"},
      {Protocol(0, -1, 1, 0), "protocol.number", "-1 must be >= 0"},
      {Protocol(-2, 1, 1, 0), "protocol.warmup_runs", "-2 must be >= 0"},
      {Protocol(0, 1, 1, 60001), "protocol.min_repeat_ms", "60001 must be in [0, 60000]"},
      {Protocol(0, 1, 1, -1), "protocol.min_repeat_ms", "-1 must be in [0, 60000]"},
      {Protocol(0, 1, 1, 0, 10001), "protocol.cooldown_ms", "10001 must be in [0, 10000]"},
      {Protocol(0, 1, 1, std::nan("")), "protocol.min_repeat_ms", "must be in [0, 60000]"},
  };
  for (const Case& c : cases) {
    absl::Status s = ValidateProtocol(c.p);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.field));
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.text));
    int calls = 0;
    EXPECT_FALSE(TimeRuns([&] { return ++calls, absl::OkStatus(); }, c.p).ok());
    EXPECT_EQ(calls, 0);
  }
  EXPECT_TRUE(ValidateProtocol(Protocol(0, 0, 1, 0)).ok());
  EXPECT_TRUE(ValidateProtocol(Protocol(5, 1, 1000, 60000, 10000)).ok());
}

TEST(CollectEnvironment, FillsEveryField) {
  Environment env = CollectEnvironment(2);
  EXPECT_FALSE(env.cpu_model().empty());
  EXPECT_FALSE(env.isa().empty());
  EXPECT_GE(env.cores(), 1);
  EXPECT_EQ(env.threads(), 2);
  EXPECT_EQ(env.onednn_version().substr(0, 2), "2.");
  EXPECT_EQ(env.ridge_version(), kRidgeVersion);
}

TEST(PinOpenMpThreads, PinsAndTimingStillRuns) {
  TimingProtocol p = Protocol(0, 1, 2, 0);
  p.set_pin_threads(true);
  auto r = TimeRuns([] { return absl::OkStatus(); }, p);
  EXPECT_TRUE(r.ok()) << r.status();
}

}  // namespace
}  // namespace ridge::workers
