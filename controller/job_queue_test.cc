#include "controller/job_queue.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "zoo/zoo.h"

namespace ridge::controller {
namespace {

class JobQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".db");
    std::remove(path.c_str());
    store_ = *Store::Open(path);
    JobQueueOptions options;
    options.lease_ms = 1000;
    queue_ = std::make_unique<JobQueue>(&store_->jobs(), options, [this] { return now_; });
  }

  std::string AddWorker(const std::string& key) {
    RegisterRequest r;
    r.set_device_key(key);
    return queue_->Register(r)->worker_id();
  }

  std::vector<std::string> Submit(const std::string& key, int n, int priority = 0) {
    std::vector<Architecture> archs(n, *ResolveArchitecture("fmnist_reference"));
    return *queue_->Submit(key, archs, TimingProtocol(), priority);
  }

  std::vector<Job> Lease(const std::string& worker, int max = 1) {
    LeaseJobsRequest r;
    r.set_worker_id(worker);
    r.set_max_jobs(max);
    absl::StatusOr<std::vector<Job>> jobs = queue_->Lease(r);
    EXPECT_TRUE(jobs.ok()) << jobs.status();
    return jobs.ok() ? *jobs : std::vector<Job>();
  }

  absl::StatusOr<bool> Report(const std::string& worker, const std::string& job, double ms, std::string error = "") {
    ReportMeasurementRequest r;
    r.set_worker_id(worker);
    r.mutable_measurement()->set_job_id(job);
    r.mutable_measurement()->set_arch_id("a");
    r.mutable_measurement()->set_median_ms(ms);
    r.mutable_measurement()->add_samples_ms(ms);
    r.set_error(error);
    return queue_->Report(r);
  }

  int64_t now_ = 1000000;
  std::unique_ptr<Store> store_;
  std::unique_ptr<JobQueue> queue_;
};

TEST_F(JobQueueTest, TwoWorkersOnOneKeyShareTheJobs) {
  const std::string a = AddWorker("zen"), b = AddWorker("zen");
  std::vector<std::string> ids = Submit("zen", 2);
  std::vector<Job> ja = Lease(a), jb = Lease(b);
  ASSERT_EQ(ja.size(), 1u);
  ASSERT_EQ(jb.size(), 1u);
  EXPECT_NE(ja[0].job_id(), jb[0].job_id());
  EXPECT_EQ(ja[0].protocol().repeat(), 7);  // Defaults filled in.
  EXPECT_FALSE(*Report(a, ja[0].job_id(), 3.0));
  EXPECT_FALSE(*Report(b, jb[0].job_id(), 3.1));
  EXPECT_EQ(store_->jobs().Measurements("zen")->size(), 2u);
  ListWorkersResponse w = *queue_->Workers("zen");
  EXPECT_EQ(w.workers_size(), 2);
  EXPECT_EQ(w.jobs().at("done"), 2);
}

TEST_F(JobQueueTest, AnExpiredLeaseIsRequeuedAndADuplicateReportCountsOnce) {
  const std::string a = AddWorker("zen"), b = AddWorker("zen");
  const std::string id = Submit("zen", 1)[0];
  ASSERT_EQ(Lease(a).size(), 1u);
  EXPECT_TRUE(Lease(b).empty());  // Leased to a.
  now_ += 1001;                   // a's lease runs out (a died mid-job).
  std::vector<Job> again = Lease(b);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].job_id(), id);
  EXPECT_FALSE(*Report(b, id, 2.0));
  EXPECT_TRUE(*Report(b, id, 2.0));  // The same report again.
  // A late report of the old lease is refused: only the holder may report.
  EXPECT_EQ(Report(a, id, 2.5).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->jobs().Measurements("zen")->size(), 1u);
  EXPECT_EQ(store_->jobs().GetJob(id)->state, JobState::kDone);
}

TEST_F(JobQueueTest, PriorityFirstThenFifoAndOnlyTheWorkersKey) {
  const std::string w = AddWorker("zen"), other = AddWorker("arm");
  const std::vector<std::string> low = Submit("zen", 2, 0);
  const std::vector<std::string> high = Submit("zen", 1, 5);
  EXPECT_TRUE(Lease(other, 8).empty());
  std::vector<Job> jobs = Lease(w, 8);
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].job_id(), high[0]);
  EXPECT_EQ(jobs[1].job_id(), low[0]);
  EXPECT_EQ(jobs[2].job_id(), low[1]);
}

TEST_F(JobQueueTest, AFlappingWorkerIsQuarantinedAndItsJobsGoBack) {
  const std::string flaky = AddWorker("zen"), good = AddWorker("zen");
  Submit("zen", 3);
  for (int i = 0; i < 3; ++i) {
    std::vector<Job> j = Lease(flaky);
    ASSERT_EQ(j.size(), 1u);
    ASSERT_TRUE(Report(flaky, j[0].job_id(), 0, "oneDNN: out of memory").ok());
  }
  LeaseJobsRequest r;
  r.set_worker_id(flaky);
  r.set_max_jobs(1);
  EXPECT_EQ(queue_->Lease(r).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_->Workers("zen")->workers(0).state(), "quarantined");
  // The good worker gets every job back.
  EXPECT_EQ(Lease(good, 8).size(), 3u);
}

TEST_F(JobQueueTest, AJobFailsForGoodAfterMaxAttempts) {
  const std::string id = Submit("zen", 1)[0];
  for (int i = 0; i < 3; ++i) {  // Three workers, one failure each: none is quarantined.
    const std::string w = AddWorker("zen");
    ASSERT_EQ(Lease(w).size(), 1u);
    ASSERT_FALSE(*Report(w, id, 0, "boom"));
  }
  EXPECT_EQ(store_->jobs().GetJob(id)->state, JobState::kFailed);
  EXPECT_EQ(store_->jobs().GetJob(id)->error, "boom");
  EXPECT_TRUE(Lease(AddWorker("zen")).empty());
}

// Request shapes are checked at the edge (requests_test.cc); the queue
// refuses what depends on its state, and its own protocol ranges.
TEST_F(JobQueueTest, BadInputIsRefusedNamingTheField) {
  const std::string w = AddWorker("zen");
  const std::string id = Submit("zen", 1)[0];
  ASSERT_EQ(Lease(w).size(), 1u);
  EXPECT_EQ(Report("w-unknown", id, 1.0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(queue_->Submit("has space", {*ResolveArchitecture("fmnist_reference")}, {}, 0).status().message().find(
                "device_key: 'has space'"),
            std::string::npos);
  TimingProtocol p;
  p.set_repeat(5000);
  EXPECT_NE(queue_->Submit("zen", {*ResolveArchitecture("fmnist_reference")}, p, 0).status().message().find(
                "protocol.repeat: 5000"),
            std::string::npos);
  EXPECT_EQ(store_->jobs().GetJob(id)->state, JobState::kLeased);  // Nothing half-applied.
}

}  // namespace
}  // namespace ridge::controller
