#include "controller/campaign_manager.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/textproto.h"

namespace ridge::controller {
namespace {

std::string TempDir(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir ? dir : "/tmp", "/", name);
}

CampaignSpec TinySpec(int steps, int checkpoint_every = 0) {
  CampaignSpec spec = *ParseTextProtoAs<CampaignSpec>(R"pb(
    name: "tiny"
    space_ref: "fmnist_uib"
    dataset { name: "fashion_mnist" train_images: 128 valid_images: 64 }
    training { batch_size: 32 }
    targets { hardware: "pixel6_cpu" budget_ms: [ 6 ] }
    targets { hardware: "pixel8_edgetpu" budget_ms: [ 0.5 ] }
    top_samples: 1
  )pb", "test");
  spec.mutable_training()->set_coarse_steps(steps);
  spec.set_checkpoint_every_steps(checkpoint_every);
  return spec;
}

struct Fixture {
  explicit Fixture(const std::string& name, int max_concurrent = 1) {
    const std::string dir = TempDir(name);
    std::system(absl::StrCat("rm -rf ", dir, " && mkdir -p ", dir).c_str());
    store = *Store::Open(dir + "/ridge.db");
    options.data_dir = dir;
    options.max_concurrent = max_concurrent;
    options.event_every_steps = 2;
  }
  std::unique_ptr<Store> store;
  ManagerOptions options;
};

// Follows a campaign's events to its end; returns them all.
std::vector<ProgressEvent> Follow(CampaignManager& m, const std::string& id) {
  std::vector<ProgressEvent> all;
  int64_t after = 0;
  bool ended = false;
  while (!ended) {
    auto events = m.WaitEvents(id, after, absl::Seconds(120), &ended);
    EXPECT_TRUE(events.ok()) << events.status();
    if (!events.ok()) break;
    for (auto& [seq, e] : *events) after = seq, all.push_back(e);
  }
  return all;
}

// Waits on a campaign's events until it has done at least `step` steps.
void WaitForStep(CampaignManager& m, const std::string& id, int64_t step) {
  int64_t after = 0;
  bool ended = false;
  while (m.Get(id)->step() < step) {
    auto events = m.WaitEvents(id, after, absl::Seconds(60), &ended);
    ASSERT_TRUE(events.ok()) << events.status();
    if (!events->empty()) after = events->back().first;
  }
}

TEST(CampaignManager, RunsACampaignToItsFronts) {
  Fixture f("run");
  CampaignManager m(&f.store->campaigns(), f.options);
  ASSERT_TRUE(m.Start().ok());
  CampaignSpec spec = TinySpec(6);
  spec.set_retrain_epochs(1);
  absl::StatusOr<std::string> id = m.Launch(spec);
  ASSERT_TRUE(id.ok()) << id.status();
  std::vector<ProgressEvent> events = Follow(m, *id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().state(), PENDING);
  EXPECT_EQ(events.back().state(), DONE) << events.back().message();
  Campaign c = *m.Get(*id);
  EXPECT_EQ(c.state(), DONE);
  EXPECT_EQ(c.step(), 6);
  ASSERT_EQ(c.results_size(), 2);
  EXPECT_EQ(c.results(0).argmax().input().height(), 28);  // No deployment shape: the proxy's.
  int64_t total = 0;
  auto points = f.store->campaigns().QueryFront(*id, FrontQuery{}, &total);
  ASSERT_TRUE(points.ok());
  EXPECT_GT(total, 0);
  for (const ParetoPoint& p : *points) {
    EXPECT_TRUE(p.has_standalone_accuracy()) << p.arch_id();
    EXPECT_GT(p.standalone_accuracy(), 0);
    // Its retrained weights are kept: a checkpoint (cli/ridge_search_test.sh
    // exports one with `ridge export --checkpoint`).
    absl::StatusOr<std::string> weights = m.RetrainedWeights(*id, p.arch_id());
    ASSERT_TRUE(weights.ok()) << weights.status();
    EXPECT_EQ(weights->substr(0, 8), "RIDGECKP");
    EXPECT_NE(weights->find("standalone"), std::string::npos);
  }
  EXPECT_EQ(m.RetrainedWeights(*id, "0123456789abcdef").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.RetrainedWeights("c0000000000000000", "0123456789abcdef").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(f.store->campaigns().Hypervolumes(*id)->size(), 2u);
  // A finished campaign keeps its fronts, not its checkpoint (dropped once
  // its runner ends, which Shutdown waits for).
  m.Shutdown();
  EXPECT_FALSE(f.store->campaigns().LatestCheckpoint(*id)->has_value());
  EXPECT_EQ(std::fopen(absl::StrCat(f.options.data_dir, "/checkpoints/", *id, ".ckpt").c_str(), "rb"), nullptr);
}

TEST(CampaignManager, CancelDuringEvaluationIsPromptAndHonest) {
  Fixture f("cancel_eval");
  CampaignManager m(&f.store->campaigns(), f.options);
  ASSERT_TRUE(m.Start().ok());
  CampaignSpec spec = TinySpec(4);
  spec.set_retrain_epochs(1000);  // Evaluation would take hours.
  const std::string id = *m.Launch(spec);
  while (m.Get(id)->state() != EVALUATING) absl::SleepFor(absl::Milliseconds(50));
  const absl::Time start = absl::Now();
  EXPECT_EQ(*m.Cancel(id), CANCELLED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_EQ(m.Get(id)->state(), CANCELLED);
}

TEST(CampaignManager, CancelAnswersTheStateTheCampaignEndedIn) {
  Fixture f("cancel_failed");
  CampaignManager m(&f.store->campaigns(), f.options);
  ASSERT_TRUE(m.Start().ok());
  CampaignSpec spec = TinySpec(4);
  spec.mutable_distill()->set_soft_labels("missing.sl");  // Fails while loading.
  const std::string id = *m.Launch(spec);
  const CampaignState answered = *m.Cancel(id);
  Follow(m, id);
  EXPECT_EQ(answered, m.Get(id)->state());
  EXPECT_TRUE(answered == FAILED || answered == CANCELLED) << CampaignState_Name(answered);
  // Once it has failed, a cancel says so.
  const std::string again = *m.Launch(spec);
  Follow(m, again);
  EXPECT_EQ(m.Get(again)->state(), FAILED);
  EXPECT_EQ(*m.Cancel(again), FAILED);
  EXPECT_NE(m.Get(again)->error().find("distill.soft_labels"), std::string::npos) << m.Get(again)->error();
}

TEST(CampaignManager, DatasetDirIsANameUnderTheDataRoot) {
  Fixture f("data_root");
  CampaignSpec spec = TinySpec(2);
  spec.mutable_dataset()->set_dir("fmnist");
  {
    CampaignManager m(&f.store->campaigns(), f.options);  // No data root: refused at launch.
    absl::StatusOr<std::string> id = m.Launch(spec);
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(id.status().message().find("dataset.dir: 'fmnist': this controller has no --data_root"),
              std::string::npos) << id.status();
  }
  // With a data root, the name is a directory under it: here a link to the
  // built-in Fashion-MNIST.
  f.options.data_root = f.options.data_dir + "/datasets";
  ASSERT_EQ(std::system(absl::StrCat("mkdir -p ", f.options.data_root, " && ln -s /usr/share/datasets/fashion-mnist ",
                                     f.options.data_root, "/fmnist").c_str()), 0);
  CampaignManager m(&f.store->campaigns(), f.options);
  ASSERT_TRUE(m.Start().ok());
  absl::StatusOr<std::string> id = m.Launch(spec);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(Follow(m, *id).back().state(), DONE) << m.Get(*id)->error();
  // A name that is not there fails the campaign, naming the path under the root.
  spec.mutable_dataset()->set_dir("absent");
  id = m.Launch(spec);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(Follow(m, *id).back().state(), FAILED);
  EXPECT_NE(m.Get(*id)->error().find("/datasets/absent"), std::string::npos) << m.Get(*id)->error();
}

TEST(CampaignManager, BadSpecIsRefusedAndNothingIsCreated) {
  Fixture f("bad");
  CampaignManager m(&f.store->campaigns(), f.options);
  CampaignSpec spec = TinySpec(6);
  spec.mutable_targets(1)->set_hardware("no_such_chip");
  absl::StatusOr<std::string> id = m.Launch(spec);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(id.status().message().find("targets[1].hardware: 'no_such_chip'"), std::string::npos) << id.status();
  spec = TinySpec(6);
  spec.mutable_training()->set_batch_size(-3);
  id = m.Launch(spec);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(id.status().message().find("batch_size"), std::string::npos) << id.status();
  spec = TinySpec(6);
  spec.set_space_ref("/etc/passwd");
  EXPECT_EQ(m.Launch(spec).status().code(), absl::StatusCode::kInvalidArgument);
  std::string next;
  EXPECT_TRUE(f.store->campaigns().ListCampaigns(10, "", &next)->empty());
}

TEST(CampaignManager, CancelsRunningAndQueuedCampaigns) {
  Fixture f("cancel");
  CampaignManager m(&f.store->campaigns(), f.options);
  ASSERT_TRUE(m.Start().ok());
  const std::string first = *m.Launch(TinySpec(100000));
  const std::string second = *m.Launch(TinySpec(6));
  // One slot: the second waits while the first runs.
  ASSERT_NO_FATAL_FAILURE(WaitForStep(m, first, 2));
  EXPECT_EQ(m.Get(second)->state(), PENDING);
  EXPECT_EQ(*m.Cancel(second), CANCELLED);
  EXPECT_EQ(*m.Cancel(first), CANCELLED);
  EXPECT_EQ(m.Get(first)->state(), CANCELLED);
  EXPECT_EQ(m.Get(second)->state(), CANCELLED);
  EXPECT_EQ(*m.Cancel(first), CANCELLED);  // Idempotent.
  EXPECT_EQ(m.Cancel("c-unknown").status().code(), absl::StatusCode::kNotFound);
}

TEST(CampaignManager, ResumesFromTheLastCheckpointAfterARestart) {
  Fixture f("resume");
  std::string id;
  {
    CampaignManager m(&f.store->campaigns(), f.options);
    ASSERT_TRUE(m.Start().ok());
    id = *m.Launch(TinySpec(16, 4));
    ASSERT_NO_FATAL_FAILURE(WaitForStep(m, id, 6));
    // Destroying the manager stops the campaign with a checkpoint, as SIGTERM does.
  }
  Campaign stopped = *f.store->campaigns().GetCampaign(id);
  EXPECT_EQ(stopped.state(), COARSE);
  ASSERT_TRUE(f.store->campaigns().LatestCheckpoint(id)->has_value());
  const int64_t resumed_at = (*f.store->campaigns().LatestCheckpoint(id))->step;
  EXPECT_GE(resumed_at, 6);

  CampaignManager m(&f.store->campaigns(), f.options);
  ASSERT_TRUE(m.Start().ok());
  std::vector<ProgressEvent> events = Follow(m, id);
  bool saw_resume = false;
  for (const ProgressEvent& e : events) {
    saw_resume |= e.message() == absl::StrCat("resumed from the checkpoint at step ", resumed_at);
  }
  EXPECT_TRUE(saw_resume);
  EXPECT_EQ(m.Get(id)->state(), DONE);
}

// A coarse-then-fine campaign goes COARSE -> FINE -> DONE, and a restart in
// the fine stage resumes there, from the fine supernet's checkpoint.
TEST(CampaignManager, CoarseThenFineResumesInTheFineStage) {
  Fixture f("two_stage");
  CampaignSpec spec = TinySpec(6, 2);
  spec.clear_space_ref();
  spec.set_coarse_space_ref("fmnist_uib_coarse");
  spec.mutable_training()->set_fine_steps(10);
  std::string id;
  {
    CampaignManager m(&f.store->campaigns(), f.options);
    ASSERT_TRUE(m.Start().ok());
    id = *m.Launch(spec);
    ASSERT_NO_FATAL_FAILURE(WaitForStep(m, id, 9));
  }
  Campaign stopped = *f.store->campaigns().GetCampaign(id);
  EXPECT_EQ(stopped.state(), FINE);
  EXPECT_EQ(stopped.total_steps(), 16);
  EXPECT_EQ((*f.store->campaigns().LatestCheckpoint(id))->stage, "fine");

  CampaignManager m(&f.store->campaigns(), f.options);
  ASSERT_TRUE(m.Start().ok());
  std::vector<ProgressEvent> events = Follow(m, id);
  ASSERT_FALSE(events.empty());
  bool resumed_in_fine = false;
  for (const ProgressEvent& e : events) {
    resumed_in_fine |= e.state() == FINE && e.message().find("resumed from the checkpoint") == 0;
  }
  EXPECT_TRUE(resumed_in_fine);
  EXPECT_EQ(events.back().state(), DONE) << events.back().message();
  int64_t total = 0;
  ASSERT_TRUE(f.store->campaigns().QueryFront(id, FrontQuery{}, &total).ok());
  EXPECT_GT(total, 0);
}

}  // namespace
}  // namespace ridge::controller
