#include "cli/progress_view.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace ridge::cli {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

// A view writing into `out`.
ProgressViewOptions Into(std::string* out, ProgressMode mode, int width = 100) {
  ProgressViewOptions o;
  o.mode = mode;
  o.width = width;
  o.write = [out](absl::string_view text) { out->append(text.data(), text.size()); };
  return o;
}

ProgressFrame Frame(const std::string& stage, int64_t step, absl::Duration at) {
  ProgressFrame f;
  f.stage = stage;
  f.step = step;
  f.total_steps = 1800;
  f.time = kT0 + at;
  f.policies = {{"pixel6_cpu", 4, 3.968, 0.7123, "a1b2c3d4e5f6"}, {"pixel8_edgetpu", 0.5, 0.61, 0.55, "ffee00112233"}};
  return f;
}

// The lines a terminal shows once `out` is played: cursor-up and clears
// applied, as a terminal would.
std::vector<std::string> Screen(const std::string& out) {
  std::vector<std::string> screen = {""};
  size_t row = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\033') {
      size_t end = out.find_first_of("AJK", i);
      const std::string arg = out.substr(i + 2, end - i - 2);
      if (out[end] == 'A') row -= std::stoi(arg);
      if (out[end] == 'J') screen.resize(row + 1), screen[row].clear();
      if (out[end] == 'K') screen[row].clear();
      i = end;
    } else if (out[i] == '\n') {
      if (++row == screen.size()) screen.emplace_back();
    } else if (out[i] == '\r') {
      screen[row].clear();  // Lines are always rewritten whole.
    } else {
      screen[row] += out[i];
    }
  }
  screen.pop_back();  // The cursor's empty line below the block.
  return screen;
}

TEST(FormatSecondsTest, Ranges) {
  EXPECT_EQ(FormatSeconds(0), "0s");
  EXPECT_EQ(FormatSeconds(42.4), "42s");
  EXPECT_EQ(FormatSeconds(135), "2m15s");
  EXPECT_EQ(FormatSeconds(445), "7m25s");
  EXPECT_EQ(FormatSeconds(3720), "1h02m");
  EXPECT_EQ(FormatSeconds(-3), "0s");
}

TEST(ProgressViewTest, TerminalRedrawsOneBlockWithRateAndEta) {
  std::string out;
  ProgressView view(Into(&out, ProgressMode::kTerminal));
  view.Step(Frame("COARSE", 0, absl::ZeroDuration()));
  for (int i = 1; i <= 20; ++i) view.Step(Frame("COARSE", 21 * i, absl::Seconds(6.75 * i)));
  const std::vector<std::string> screen = Screen(out);
  ASSERT_EQ(screen.size(), 3u) << out;  // Header and one row per policy.
  EXPECT_EQ(screen[0], "COARSE 420/1800  3.1 steps/s  elapsed 2m15s  ETA 7m24s");
  EXPECT_TRUE(absl::StrContains(screen[1], "  pixel6_cpu@4ms  ")) << screen[1];
  EXPECT_TRUE(absl::StrContains(screen[1], " 3.97 ms / 4 ms    ")) << screen[1];
  EXPECT_TRUE(absl::StrContains(screen[1], " -0.8%  R=0.712  a1b2c3d4")) << screen[1];
  EXPECT_TRUE(absl::StrContains(screen[2], "  pixel8_edgetpu@0.5ms    0.61 ms / 0.5 ms     +22.0%  R=0.550")) << screen[2];
  // Columns line up.
  EXPECT_EQ(screen[1].find(" ms /"), screen[2].find(" ms /"));
  EXPECT_EQ(screen[1].find('%'), screen[2].find('%'));
}

TEST(ProgressViewTest, MessagesPersistAboveTheBlock) {
  std::string out;
  ProgressView view(Into(&out, ProgressMode::kTerminal));
  view.Step(Frame("COARSE", 10, absl::Seconds(1)));
  view.Say("COARSE", "checkpoint written", kT0 + absl::Seconds(2));
  view.Step(Frame("COARSE", 20, absl::Seconds(3)));
  view.Say("EVALUATING", "scoring 12 candidates", kT0 + absl::Seconds(4));
  view.Above([&] { out += "a log line\n"; });
  const std::vector<std::string> screen = Screen(out);
  ASSERT_EQ(screen.size(), 6u) << out;
  EXPECT_EQ(screen[0], "[COARSE] checkpoint written");
  EXPECT_EQ(screen[1], "[EVALUATING] scoring 12 candidates");
  EXPECT_EQ(screen[2], "a log line");
  // A stage past the steps shows no rate or ETA.
  EXPECT_EQ(screen[3], "EVALUATING 20/1800  elapsed 3s");
}

TEST(ProgressViewTest, TerminalLinesFitTheWidth) {
  std::string out;
  ProgressView view(Into(&out, ProgressMode::kTerminal, /*width=*/40));
  ProgressFrame f = Frame("COARSE", 10, absl::Seconds(1));
  f.policies[0].hardware = "a_very_long_hardware_name_\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\033[2J";
  view.Step(f);
  for (const std::string& line : Screen(out)) {
    EXPECT_LE(line.size(), 39u + 5u) << line;  // At most 39 characters; é is two bytes.
    EXPECT_EQ(line.find('\033'), std::string::npos) << "a control byte reached the screen";
  }
  EXPECT_EQ(Screen(out)[1], "  a_very_long_hardware_name_\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9?[2J@4");
}

TEST(ProgressViewTest, BlockKeepsBelowTheScreenHeight) {
  std::string out;
  ProgressViewOptions o = Into(&out, ProgressMode::kTerminal);
  o.height = 5;
  ProgressView view(o);
  ProgressFrame f = Frame("FINE", 10, absl::Seconds(1));
  for (int i = 0; i < 6; ++i) f.policies.push_back(f.policies[0]);
  view.Step(f);
  view.Step(Frame("FINE", 20, absl::Seconds(2)));  // Fewer policies: the extra lines go.
  const std::vector<std::string> screen = Screen(out);
  ASSERT_EQ(screen.size(), 3u) << out;
}

TEST(ProgressViewTest, PlainLinesAreRateLimitedAndCompact) {
  std::string out;
  ProgressView view(Into(&out, ProgressMode::kPlain));
  for (int s = 0; s <= 30; ++s) view.Step(Frame("COARSE", s * 3, absl::Seconds(s)));  // Every 5 s: 7 lines.
  view.Step(Frame("FINE", 93, absl::Seconds(30.5)));                                   // A stage change.
  view.Step(Frame("FINE", 94, absl::Seconds(31)));                                     // Too soon.
  view.Step(Frame("FINE", 95, absl::Seconds(31.5)), /*last=*/true);                    // The last.
  const std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 9u) << out;
  EXPECT_EQ(out.find('\033'), std::string::npos);
  EXPECT_TRUE(absl::StartsWith(lines[2], "COARSE 30/1800 3.0 steps/s elapsed 10s ETA 9m50s | pixel6_cpu@4ms 3.97ms "
                                         "-0.8% R=0.71 | pixel8_edgetpu@0.5ms 0.61ms +22.0% R=0.55"))
      << lines[2];
  for (const std::string& line : lines) EXPECT_LT(line.size(), 160u) << line;
}

TEST(ProgressViewTest, PlainLineSummarizesManyPolicies) {
  std::string out;
  ProgressView view(Into(&out, ProgressMode::kPlain));
  ProgressFrame f = Frame("COARSE", 10, absl::Seconds(1));
  for (int i = 0; i < 8; ++i) f.policies.push_back(f.policies[i % 2]);
  view.Step(f);
  EXPECT_TRUE(absl::StrContains(out, " | 10 policies, 5 within budget, R 0.55..0.71")) << out;
}

TEST(ProgressViewTest, JsonLinesAreOneObjectPerLine) {
  std::string out;
  ProgressView view(Into(&out, ProgressMode::kJsonLines));
  view.Say("COARSE", "search \"started\"\nnow", kT0);
  for (int s = 0; s <= 4; ++s) view.Step(Frame("COARSE", s * 2, absl::Milliseconds(500 * s)));
  out += JsonResultLine("{\n  \"campaign\": \"tiny\",\n  \"targets\": [\n    1\n  ]\n}\n");
  const std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 6u) << out;  // stage, message, 3 steps (one a second), result.
  EXPECT_EQ(lines[0], R"({"event": "stage","stage": "COARSE","elapsed_s": 0})");
  EXPECT_EQ(lines[1], R"({"event": "message","stage": "COARSE","message": "search \"started\"\nnow","elapsed_s": 0})");
  EXPECT_TRUE(absl::StartsWith(lines[2], R"({"event": "step","stage": "COARSE","step": 0,"total_steps": 1800,)"
                                         R"("steps_per_s": null,)"))
      << lines[2];
  EXPECT_TRUE(absl::StrContains(lines[4], R"("steps_per_s": 4,"elapsed_s": 2,"eta_s": 448,)")) << lines[4];
  EXPECT_EQ(lines[5], R"({"event": "result", "campaign": "tiny","targets": [1]})");
  EXPECT_EQ(JsonResultLine("{}\n"), "{\"event\": \"result\"}\n");
}

}  // namespace
}  // namespace ridge::cli
