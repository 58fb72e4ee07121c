// Two campaigns and a real measurement worker at once, in one controller
// process, each on its own thread: every oneDNN user has its own stream and
// the worker owns its reference network. A campaign run next to the others
// must end exactly as it does alone, and the worker's measurements must be
// sane while the campaigns train.
#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "controller/server.h"
#include "gtest/gtest.h"
#include "proto/textproto.h"
#include "workers/measure.h"
#include "workers/worker.h"
#include "zoo/zoo.h"

namespace ridge {
namespace {

constexpr char kToken[] = "admin-token-0123456789";

CampaignSpec Tiny(uint64_t seed) {
  CampaignSpec spec = *ParseTextProtoAs<CampaignSpec>(R"pb(
    name: "tiny"
    space_ref: "fmnist_uib"
    dataset { train_images: 256 valid_images: 128 }
    training { coarse_steps: 10 batch_size: 32 threads: 1 }
    targets { hardware: "pixel6_cpu" budget_ms: [ 6 ] }
    top_samples: 1
  )pb", "spec");
  spec.set_seed(seed);
  return spec;
}

std::unique_ptr<controller::Controller> StartController(const std::string& name, int max_concurrent) {
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::system(absl::StrCat("rm -rf ", dir, " && mkdir -p ", dir).c_str());
  std::ofstream(dir + "/tokens") << "admin " << kToken << "\n";
  controller::ControllerOptions options;
  options.listen = "127.0.0.1:0";
  options.data_dir = dir;
  options.token_file = dir + "/tokens";
  options.manager.max_concurrent = max_concurrent;
  return *controller::Controller::Start(options);
}

// Waits for the campaign to end; returns its front as "arch_id@hypervolume".
std::string RunToEnd(controller::Controller& c, const std::string& id) {
  bool ended = false;
  int64_t after = 0;
  while (!ended) {
    auto events = c.manager().WaitEvents(id, after, absl::Seconds(60), &ended);
    EXPECT_TRUE(events.ok()) << events.status();
    if (!events.ok()) return "";
    if (!events->empty()) after = events->back().first;
  }
  Campaign campaign = *c.manager().Get(id);
  EXPECT_EQ(campaign.state(), DONE) << campaign.error();
  std::string out;
  for (const PolicyResult& r : campaign.results()) absl::StrAppend(&out, r.arch_id(), "@", r.latency_ms(), " ");
  return out;
}

TEST(Concurrency, TwoCampaignsAndAWorkerAtOnce) {
  std::string alone;
  {
    auto c = StartController("alone", 1);
    alone = RunToEnd(*c, *c->manager().Launch(Tiny(1)));
  }
  ASSERT_FALSE(alone.empty());

  auto c = StartController("together", 2);
  workers::WorkerOptions w;
  w.controller = absl::StrCat("127.0.0.1:", c->port());
  w.token = kToken;
  w.device_key = "local";
  workers::Measurer measurer(/*default_threads=*/1);
  workers::Worker worker(w, [&](const Job& job) { return measurer.Measure(job); });
  std::thread worker_thread([&] { EXPECT_TRUE(worker.Run().ok()); });
  Architecture arch = *ResolveArchitecture("fmnist_reference");
  TimingProtocol protocol;
  protocol.set_repeat(3);
  protocol.set_min_repeat_ms(5);
  protocol.set_cooldown_ms(1);
  const std::vector<std::string> jobs = *c->jobs().Submit("local", std::vector<Architecture>(6, arch), protocol, 0);

  const std::string a = *c->manager().Launch(Tiny(1));
  const std::string b = *c->manager().Launch(Tiny(2));
  EXPECT_EQ(RunToEnd(*c, a), alone);  // Nothing shared leaked between the threads.
  EXPECT_FALSE(RunToEnd(*c, b).empty());
  for (const std::string& job : jobs) {
    EXPECT_EQ(*c->jobs().WaitForJob(job, absl::Seconds(120)), controller::JobState::kDone);
  }
  worker.Stop();
  worker_thread.join();
  auto measured = *c->jobs().store()->Measurements("local");
  ASSERT_EQ(measured.size(), jobs.size());
  for (const auto& [measured_arch, m] : measured) {
    EXPECT_GT(m.median_ms(), 0);
    EXPECT_GT(m.reference_baseline_ms(), 0);
  }
}

}  // namespace
}  // namespace ridge
