// The one campaign loop: what a sink hears, checkpoints, stop and resume,
// cancel, and errors from the sink.
#include "search/campaign_run.h"

#include <cstdlib>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/textproto.h"

namespace ridge::search {
namespace {

using ::testing::HasSubstr;

ResolvedCampaign Tiny(int retrain_epochs = 0) {
  CampaignSpec spec = *ParseTextProtoAs<CampaignSpec>(R"pb(
    name: "tiny_two_stage"
    coarse_space_ref: "fmnist_uib_coarse"
    training { coarse_steps: 6 fine_steps: 4 batch_size: 16 threads: 1 }
    targets { hardware: "pixel6_cpu" budget_ms: [ 4, 8 ] }
    dataset { train_images: 64 valid_images: 48 }
    top_samples: 1
  )pb", "spec");
  spec.set_retrain_epochs(retrain_epochs);
  return *ResolveCampaign(spec);
}

std::string TmpPath(const std::string& name) { return std::string(std::getenv("TEST_TMPDIR")) + "/" + name; }

// Records what it hears; stops or cancels the run at a chosen step.
class RecordingSink : public ProgressSink {
 public:
  absl::Status Started(CampaignRun& run, const std::string& message) override {
    started.push_back(message);
    first_step = run.search().step();
    return absl::OkStatus();
  }
  absl::Status Stepped(CampaignRun& run, const StepReport& report) override {
    steps.push_back(report.step);
    if (stop_at >= 0 && run.search().step() == stop_at) token->Stop(checkpoint_on_stop);
    if (cancel_at >= 0 && run.search().step() == cancel_at) token->Cancel();
    if (fail_at >= 0 && run.search().step() == fail_at) return absl::UnavailableError("the store went away");
    return absl::OkStatus();
  }
  absl::Status Said(CampaignRun&, CampaignState state, const std::string& message) override {
    said.push_back(absl::StrCat(CampaignState_Name(state), ": ", message));
    if (stop_when_said >= 0 && static_cast<int>(said.size()) == stop_when_said) token->Stop();
    return absl::OkStatus();
  }
  absl::Status Checkpointed(CampaignRun& run, const std::string& path) override {
    checkpoints.push_back(run.search().step());
    last_path = path;
    return absl::OkStatus();
  }

  StopToken* token = nullptr;
  int64_t stop_at = -1, cancel_at = -1, fail_at = -1;
  int stop_when_said = -1;
  bool checkpoint_on_stop = true;
  int64_t first_step = -1;
  std::vector<std::string> started, said;
  std::vector<int64_t> steps, checkpoints;
  std::string last_path;
};

TEST(CampaignRun, RunsBothStagesToFrontsAndTellsTheSink) {
  RecordingSink sink;
  CampaignRunOptions options;
  options.checkpoint_path = TmpPath("all.ckpt");
  options.checkpoint_every_steps = 4;
  auto run = CampaignRun::Create(Tiny(), options, &sink);
  ASSERT_TRUE(run.ok()) << run.status();
  StopToken stop;
  sink.token = &stop;
  absl::StatusOr<RunEnd> end = (*run)->Run(stop);
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(*end, RunEnd::kDone);
  EXPECT_THAT(sink.started, ::testing::ElementsAre("search started"));
  ASSERT_EQ(sink.steps.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(sink.steps[i], i);
  // Every 4 steps, and after the last.
  EXPECT_THAT(sink.checkpoints, ::testing::ElementsAre(4, 8, 10));
  EXPECT_EQ(sink.last_path, options.checkpoint_path);
  ASSERT_GE(sink.said.size(), 2u);
  EXPECT_THAT(sink.said[0], HasSubstr("FINE: "));
  EXPECT_THAT(sink.said.back(), HasSubstr("EVALUATING: scoring front candidates"));
  EXPECT_EQ((*run)->state(), EVALUATING);
  const CampaignResult& result = (*run)->result();
  ASSERT_EQ(result.fronts.size(), 1u);
  EXPECT_EQ(result.policies.size(), 2u);
  EXPECT_GT(result.fronts[0].hypervolume, 0);
}

TEST(CampaignRun, StopCheckpointsAndAResumedRunFinishes) {
  const std::string path = TmpPath("stop.ckpt");
  CampaignRunOptions options;
  options.checkpoint_path = path;
  options.checkpoint_every_steps = 0;  // Only on stop and after the last step.
  {
    RecordingSink sink;
    StopToken stop;
    sink.token = &stop;
    sink.stop_at = 7;  // In the fine stage.
    auto run = *CampaignRun::Create(Tiny(), options, &sink);
    EXPECT_EQ(*run->Run(stop), RunEnd::kStopped);
    EXPECT_THAT(sink.checkpoints, ::testing::ElementsAre(7));
  }
  RecordingSink sink;
  options.resume_from = path;
  auto run = CampaignRun::Create(Tiny(), options, &sink);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ((*run)->search().step(), 7);
  EXPECT_EQ((*run)->search().stage(), FINE);
  StopToken stop;
  EXPECT_EQ(*(*run)->Run(stop), RunEnd::kDone);
  EXPECT_THAT(sink.started, ::testing::ElementsAre("resumed from the checkpoint at step 7"));
  EXPECT_THAT(sink.steps, ::testing::ElementsAre(7, 8, 9));
  EXPECT_THAT(sink.checkpoints, ::testing::ElementsAre(10));

  // A run restored from its last checkpoint goes straight to the finish.
  RecordingSink again;
  auto finished = *CampaignRun::Create(Tiny(), options, &again);
  EXPECT_EQ(*finished->Run(stop), RunEnd::kDone);
  EXPECT_TRUE(again.steps.empty());
  EXPECT_EQ(finished->result().policies.size(), 2u);
}

TEST(CampaignRun, StopWithoutCheckpointAndCancelWriteNothing) {
  for (bool cancel : {false, true}) {
    SCOPED_TRACE(cancel);
    const std::string path = TmpPath(cancel ? "cancel.ckpt" : "nockpt.ckpt");
    std::remove(path.c_str());
    RecordingSink sink;
    StopToken stop;
    sink.token = &stop;
    (cancel ? sink.cancel_at : sink.stop_at) = 3;
    sink.checkpoint_on_stop = false;
    CampaignRunOptions options;
    options.checkpoint_path = path;
    options.checkpoint_every_steps = 0;
    auto run = *CampaignRun::Create(Tiny(), options, &sink);
    EXPECT_EQ(*run->Run(stop), cancel ? RunEnd::kCancelled : RunEnd::kStopped);
    EXPECT_TRUE(sink.checkpoints.empty());
    EXPECT_EQ(std::fopen(path.c_str(), "rb"), nullptr);
  }
}

TEST(CampaignRun, StopWhileRetrainingEndsStoppedAndCancelEndsCancelled) {
  for (bool cancel : {false, true}) {
    RecordingSink sink;
    StopToken stop;
    sink.token = &stop;
    auto run = *CampaignRun::Create(Tiny(/*retrain_epochs=*/1), {}, &sink);
    // The second message is the first retrained network's: stop (or cancel)
    // there, before the next one.
    sink.stop_when_said = 3;
    if (cancel) stop.Cancel();
    absl::StatusOr<RunEnd> end = run->Run(stop);
    ASSERT_TRUE(end.ok()) << end.status();
    if (cancel) {
      EXPECT_EQ(*end, RunEnd::kCancelled);
      EXPECT_TRUE(sink.steps.empty());  // Cancelled before the first step.
    } else {
      EXPECT_EQ(*end, RunEnd::kStopped);
      EXPECT_THAT(sink.said.back(), HasSubstr("retrained"));
    }
  }
}

TEST(CampaignRun, ASinkErrorEndsTheRun) {
  RecordingSink sink;
  StopToken stop;
  sink.token = &stop;
  sink.fail_at = 2;
  auto run = *CampaignRun::Create(Tiny(), {}, &sink);
  absl::StatusOr<RunEnd> end = run->Run(stop);
  EXPECT_EQ(end.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(run->search().step(), 2);
}

TEST(CampaignRun, ResumeFromAnotherCampaignIsRefused) {
  const std::string path = TmpPath("other.ckpt");
  RecordingSink sink;
  StopToken stop;
  sink.token = &stop;
  sink.stop_at = 2;
  CampaignRunOptions options;
  options.checkpoint_path = path;
  ASSERT_EQ(*(*CampaignRun::Create(Tiny(), options, &sink))->Run(stop), RunEnd::kStopped);

  CampaignSpec other = Tiny().spec;
  other.clear_coarse_space_ref();
  other.set_space_ref("fmnist_uib");
  other.mutable_training()->set_fine_steps(0);
  options.resume_from = path;
  RecordingSink sink2;
  auto run = CampaignRun::Create(*ResolveCampaign(other), options, &sink2);
  EXPECT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(), HasSubstr("resuming: "));
}

// A CIFAR-10 directory of a few records (label, then 3 x 32 x 32 bytes).
std::string WriteTinyCifar10() {
  const std::string dir = TmpPath("cifar10");
  EXPECT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  std::string records;
  for (int i = 0; i < 8; ++i) records += static_cast<char>(i % 10) + std::string(3072, static_cast<char>(i * 9));
  for (const char* name : {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                           "data_batch_5.bin", "test_batch.bin"}) {
    FILE* f = std::fopen((dir + "/" + name).c_str(), "wb");
    std::fwrite(records.data(), 1, records.size(), f);
    std::fclose(f);
  }
  return dir;
}

// A space declared at 28x28x1 runs on 32x32x3 images at their shape, and the
// campaign says how it is searched and priced.
TEST(CampaignRun, SpaceDeclaredAtAnotherShapeIsSearchedAtTheDatas) {
  const std::string dir = WriteTinyCifar10();
  CampaignSpec spec = *ParseTextProtoAs<CampaignSpec>(absl::StrCat(R"pb(
    name: "reshaped"
    space_ref: "fmnist_uib"
    training { coarse_steps: 2 batch_size: 4 threads: 1 }
    targets { hardware: "pixel6_cpu" budget_ms: [ 4 ] }
    dataset { format: CIFAR10 dir: ")pb", dir, R"pb(" }
  )pb"), "spec");
  RecordingSink sink;
  absl::StatusOr<std::unique_ptr<CampaignRun>> run = CampaignRun::Create(*ResolveCampaign(spec), {}, &sink);
  ASSERT_TRUE(run.ok()) << run.status();
  StopToken stop;
  ASSERT_TRUE((*run)->Run(stop).ok());
  ASSERT_FALSE(sink.said.empty());
  EXPECT_EQ(sink.said[0],
            "COARSE: space fmnist_uib is declared at 28x28x1 with 10 classes; it is searched at the dataset's 32x32x3 "
            "with 10 classes and priced at 28x28x3 with 10 classes");
  EXPECT_EQ((*run)->search().decisions().space().input().channels(), 3);
  // As declared, a space that fits says nothing.
  spec.set_space_ref("cifar_uib");
  RecordingSink quiet;
  run = CampaignRun::Create(*ResolveCampaign(spec), {}, &quiet);
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE((*run)->Run(stop).ok());
  for (const std::string& m : quiet.said) EXPECT_EQ(m.find("declared at"), std::string::npos) << m;
}

TEST(CampaignRun, NeedsASink) {
  EXPECT_EQ(CampaignRun::Create(Tiny(), {}, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ridge::search
