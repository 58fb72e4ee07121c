// Workers against a real controller over loopback gRPC. The jobs' timing is
// faked here (a short sleep): these tests are about leasing, requeueing,
// idempotent reports, auth and quarantine, not about the executor, which
// measure_test and ridge_worker_test run for real.
#include "workers/worker.h"

#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "controller/server.h"
#include "gtest/gtest.h"
#include "zoo/zoo.h"

namespace ridge::workers {
namespace {

constexpr char kWorkerToken[] = "worker-token-0123456789";
constexpr char kClientToken[] = "client-token-0123456789";

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::system(absl::StrCat("rm -rf ", dir, " && mkdir -p ", dir).c_str());
    std::ofstream(dir + "/tokens") << "worker " << kWorkerToken << "\nclient " << kClientToken << "\n";
    controller::ControllerOptions options;
    options.listen = "127.0.0.1:0";
    options.data_dir = dir;
    options.token_file = dir + "/tokens";
    options.jobs.lease_ms = 1500;
    options.jobs.heartbeat_interval_ms = 200;
    controller_ = *controller::Controller::Start(options);
    target_ = absl::StrCat("127.0.0.1:", controller_->port());
  }

  WorkerOptions Options(const std::string& token = kWorkerToken) {
    WorkerOptions o;
    o.controller = target_;
    o.token = token;
    o.device_key = "zen";
    o.initial_backoff_ms = 50;
    o.max_backoff_ms = 200;
    return o;
  }

  std::vector<std::string> Submit(int n) {
    std::vector<Architecture> archs(n, *ResolveArchitecture("fmnist_reference"));
    return *controller_->jobs().Submit("zen", archs, TimingProtocol(), 0);
  }

  // Waits until every job is done (or 60 s pass).
  void WaitDone(const std::vector<std::string>& ids) {
    for (const std::string& id : ids) {
      EXPECT_EQ(*controller_->jobs().WaitForJob(id, absl::Seconds(60)), controller::JobState::kDone) << id;
    }
  }

  std::unique_ptr<controller::Controller> controller_;
  std::string target_;
};

// A fake measurement: the job's own ID and a plausible time.
absl::StatusOr<Measurement> Fake(const Job& job) {
  absl::SleepFor(absl::Milliseconds(30));
  Measurement m;
  m.set_job_id(job.job_id());
  m.set_arch_id("fake");
  m.add_samples_ms(1.5);
  m.set_median_ms(1.5);
  return m;
}

TEST_F(WorkerTest, TwoWorkersOnOneKeyShareTheJobs) {
  Worker a(Options(), Fake), b(Options(), Fake);
  std::thread ta([&] { EXPECT_TRUE(a.Run().ok()); }), tb([&] { EXPECT_TRUE(b.Run().ok()); });
  WaitDone(Submit(12));
  a.Stop(), b.Stop();
  ta.join(), tb.join();
  EXPECT_EQ(a.jobs_done() + b.jobs_done(), 12);
  EXPECT_GT(a.jobs_done(), 0);
  EXPECT_GT(b.jobs_done(), 0);
  ListWorkersResponse workers = *controller_->jobs().Workers("zen");
  EXPECT_EQ(workers.workers_size(), 2);
  EXPECT_EQ(workers.jobs().at("done"), 12);
}

TEST_F(WorkerTest, AJobOfAWorkerKilledMidJobIsRequeuedAndFinishedByTheOther) {
  absl::Notification started;
  absl::Notification release;
  // This worker hangs in its first job and never reports: as if killed.
  Worker dying(Options(), [&](const Job& job) -> absl::StatusOr<Measurement> {
    started.Notify();
    release.WaitForNotification();
    return absl::CancelledError("killed");
  });
  std::thread td([&] { dying.Run().IgnoreError(); });
  const std::vector<std::string> ids = Submit(1);
  started.WaitForNotification();
  dying.Stop();  // Its report of the job will never be sent.
  Worker survivor(Options(), Fake);
  std::thread ts([&] { EXPECT_TRUE(survivor.Run().ok()); });
  WaitDone(ids);  // After the 1.5 s lease runs out.
  survivor.Stop();
  release.Notify();
  ts.join(), td.join();
  EXPECT_EQ(survivor.jobs_done(), 1);
  EXPECT_EQ(controller_->jobs().store()->GetJob(ids[0])->attempts, 2);
}

TEST_F(WorkerTest, ADuplicateReportIsCountedOnce) {
  auto stub = WorkerService::NewStub(grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  auto context = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("authorization", std::string("Bearer ") + kWorkerToken);
    return c;
  };
  RegisterRequest reg;
  reg.set_device_key("zen");
  RegisterResponse registered;
  ASSERT_TRUE(stub->Register(context().get(), reg, &registered).ok());
  const std::string id = Submit(1)[0];
  LeaseJobsRequest lease;
  lease.set_worker_id(registered.worker_id());
  lease.set_max_jobs(1);
  LeaseJobsResponse jobs;
  ASSERT_TRUE(stub->LeaseJobs(context().get(), lease, &jobs).ok());
  ASSERT_EQ(jobs.jobs_size(), 1);
  ReportMeasurementRequest report;
  report.set_worker_id(registered.worker_id());
  *report.mutable_measurement() = *Fake(jobs.jobs(0));
  ReportMeasurementResponse first, second;
  ASSERT_TRUE(stub->ReportMeasurement(context().get(), report, &first).ok());
  ASSERT_TRUE(stub->ReportMeasurement(context().get(), report, &second).ok());
  EXPECT_FALSE(first.duplicate());
  EXPECT_TRUE(second.duplicate());
  EXPECT_EQ(controller_->jobs().store()->Measurements("zen")->size(), 1u);
}

TEST_F(WorkerTest, UnauthenticatedAndWrongRoleWorkersAreRefused) {
  Worker nobody(Options(""), Fake), client(Options(kClientToken), Fake);
  absl::Status s = nobody.Run();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  s = client.Run();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(controller_->jobs().Workers("")->workers_size(), 0);
}

TEST_F(WorkerTest, AFlappingWorkerIsQuarantinedAndAGoodOneFinishesItsJobs) {
  Worker flaky(Options(), [](const Job&) -> absl::StatusOr<Measurement> {
    return absl::InternalError("oneDNN: could not create a primitive");
  });
  const std::vector<std::string> ids = Submit(4);
  absl::Status s = flaky.Run();  // Returns once quarantined.
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(flaky.jobs_failed(), 3);
  EXPECT_EQ(controller_->jobs().Workers("zen")->workers(0).state(), "quarantined");
  Worker good(Options(), Fake);
  std::thread tg([&] { EXPECT_TRUE(good.Run().ok()); });
  WaitDone(ids);
  good.Stop();
  tg.join();
  EXPECT_EQ(good.jobs_done(), 4);
}

}  // namespace
}  // namespace ridge::workers
