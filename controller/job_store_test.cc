// The job part of the store, on its own: workers, the queue's order,
// leases, idempotent completion, failures and quarantine, measurements.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "controller/store.h"
#include "gtest/gtest.h"

namespace ridge::controller {
namespace {

class JobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    store_ = *Store::Open(path);
    WorkerRecord w;
    w.worker_id = "w1";
    w.device_key = "zen";
    ASSERT_TRUE(jobs().InsertWorker(w).ok());
  }
  JobStore& jobs() { return store_->jobs(); }
  JobRecord Job(const std::string& id, int32_t priority) {
    JobRecord j;
    j.job_id = id;
    j.device_key = "zen";
    j.priority = priority;
    j.architecture.set_name(id);
    return j;
  }
  Measurement Result(const std::string& job_id, double ms) {
    Measurement m;
    m.set_job_id(job_id);
    m.set_arch_id("arch-" + job_id);
    m.set_median_ms(ms);
    m.add_samples_ms(ms);
    return m;
  }

  std::unique_ptr<Store> store_;
};

TEST_F(JobStoreTest, LeasesByPriorityThenFifo) {
  ASSERT_TRUE(jobs().EnqueueJobs({Job("a", 0), Job("b", 5), Job("c", 0)}).ok());
  auto leased = jobs().LeaseJobs("w1", "zen", 3, /*now_ms=*/0, /*deadline_ms=*/100);
  ASSERT_TRUE(leased.ok()) << leased.status();
  ASSERT_EQ(leased->size(), 3u);
  EXPECT_EQ((*leased)[0].job_id, "b");
  EXPECT_EQ((*leased)[1].job_id, "a");
  EXPECT_EQ((*leased)[2].job_id, "c");
  EXPECT_EQ(jobs().GetJob("a")->state, JobState::kLeased);
  EXPECT_EQ(jobs().GetJob("a")->worker_id, "w1");
  // Another device key sees nothing.
  EXPECT_TRUE(jobs().LeaseJobs("w1", "other", 3, 0, 100)->empty());
}

TEST_F(JobStoreTest, AnExpiredLeaseGoesBackToTheQueue) {
  ASSERT_TRUE(jobs().EnqueueJobs({Job("a", 0)}).ok());
  ASSERT_EQ(jobs().LeaseJobs("w1", "zen", 1, 0, 100)->size(), 1u);
  EXPECT_TRUE(jobs().LeaseJobs("w1", "zen", 1, 50, 150)->empty());
  EXPECT_EQ(jobs().LeaseJobs("w1", "zen", 1, 101, 200)->size(), 1u);
}

TEST_F(JobStoreTest, CompletionCountsOnceAndKeepsTheMeasurement) {
  ASSERT_TRUE(jobs().EnqueueJobs({Job("a", 0)}).ok());
  ASSERT_EQ(jobs().LeaseJobs("w1", "zen", 1, 0, 100)->size(), 1u);
  EXPECT_FALSE(*jobs().CompleteJob("w1", Result("a", 2.5), 10));
  EXPECT_TRUE(*jobs().CompleteJob("w1", Result("a", 9.0), 11));  // A duplicate.
  auto stored = jobs().Measurements("zen");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].second.median_ms(), 2.5);
  EXPECT_EQ((*stored)[0].first.name(), "a");
  EXPECT_EQ(jobs().JobCounts("zen")->at(JobState::kDone), 1);
  EXPECT_EQ(jobs().GetWorker("w1")->jobs_done, 1);
}

TEST_F(JobStoreTest, FailuresRequeueThenFailAndQuarantine) {
  ASSERT_TRUE(jobs().EnqueueJobs({Job("a", 0)}).ok());
  for (int attempt = 1; attempt <= 2; ++attempt) {
    ASSERT_EQ(jobs().LeaseJobs("w1", "zen", 1, attempt * 10, attempt * 10 + 5)->size(), 1u);
    auto quarantined = jobs().FailJob("w1", "a", "boom", /*max_attempts=*/2, /*quarantine_after=*/2, attempt * 10 + 1);
    ASSERT_TRUE(quarantined.ok()) << quarantined.status();
    EXPECT_EQ(*quarantined, attempt == 2);
  }
  EXPECT_EQ(jobs().GetJob("a")->state, JobState::kFailed);
  EXPECT_EQ(jobs().GetJob("a")->error, "boom");
  EXPECT_TRUE(jobs().GetWorker("w1")->quarantined);
}

TEST_F(JobStoreTest, OnlyTheLeaseHolderWithinItsLeaseMayReportOrFail) {
  WorkerRecord other;
  other.worker_id = "w2";
  other.device_key = "zen";
  ASSERT_TRUE(jobs().InsertWorker(other).ok());
  ASSERT_TRUE(jobs().EnqueueJobs({Job("queued", 0), Job("leased", 9)}).ok());
  ASSERT_EQ(jobs().LeaseJobs("w1", "zen", 1, /*now_ms=*/0, /*deadline_ms=*/100)->front().job_id, "leased");
  // Another worker, a job nobody holds, and the holder after its lease.
  EXPECT_EQ(jobs().CompleteJob("w2", Result("leased", 1), 10).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(jobs().CompleteJob("w1", Result("queued", 1), 10).status().code(), absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<bool> late = jobs().CompleteJob("w1", Result("leased", 1), 101);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(late.status().message(), "measurement.job_id: 'leased': the lease ran out 1 ms ago; the job goes to "
                                     "the next worker that leases");
  EXPECT_EQ(jobs().FailJob("w2", "leased", "boom", 3, 3, 10).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(jobs().FailJob("w1", "queued", "boom", 3, 3, 10).status().code(), absl::StatusCode::kFailedPrecondition);
  // Nothing changed.
  EXPECT_EQ(jobs().GetJob("leased")->state, JobState::kLeased);
  EXPECT_EQ(jobs().GetJob("queued")->state, JobState::kQueued);
  EXPECT_TRUE(jobs().Measurements("zen")->empty());
  EXPECT_EQ(jobs().GetWorker("w2")->jobs_failed, 0);
  // The holder, in time: accepted once; its repeat is a duplicate; another's is refused.
  EXPECT_FALSE(*jobs().CompleteJob("w1", Result("leased", 1), 50));
  EXPECT_TRUE(*jobs().CompleteJob("w1", Result("leased", 1), 60));
  EXPECT_EQ(jobs().CompleteJob("w2", Result("leased", 2), 60).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(jobs().Measurements("zen")->size(), 1u);
}

TEST_F(JobStoreTest, UnknownThingsAreNotFound) {
  EXPECT_EQ(jobs().GetJob("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(jobs().GetWorker("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(jobs().TouchWorker("nope", 0, 1).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(jobs().CompleteJob("w1", Result("nope", 1), 1).status().code(), absl::StatusCode::kNotFound);
  WorkerRecord again;
  again.worker_id = "w1";
  EXPECT_EQ(jobs().InsertWorker(again).code(), absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace ridge::controller
