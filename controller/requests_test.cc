#include "controller/requests.h"

#include <cmath>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/textproto.h"

namespace ridge::controller {
namespace {

using ::testing::HasSubstr;

// INVALID_ARGUMENT whose message starts with `prefix`.
void ExpectInvalid(const absl::Status& s, const std::string& prefix) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(std::string(s.message()).substr(0, prefix.size()), prefix) << s;
}

TEST(Requests, QuotedCutsLongValues) {
  EXPECT_EQ(Quoted("abc"), "'abc'");
  EXPECT_EQ(Quoted(std::string(10000, 'x')), "'" + std::string(32, 'x') + "...'");
}

TEST(Requests, BuiltinNamesAreCheckedOnceWithTheListAndAShortValue) {
  ExpectInvalid(CheckBuiltinSpace("space", "mine"), "space: 'mine' is not a built-in space (fmnist_uib");
  ExpectInvalid(CheckBuiltinHardware("hardware", "tpu"), "hardware: 'tpu' is not a built-in profile (");
  EXPECT_TRUE(CheckBuiltinHardware("hardware", "pixel6_cpu").ok());
  const absl::Status huge = CheckBuiltinHardware("hardware", std::string(10 << 10, 'h'));
  EXPECT_LT(huge.message().size(), 400u);
}

TEST(Requests, ASpecMayNameOnlyBuiltins) {
  LaunchRequest launch;
  ExpectInvalid(Validate(launch), "spec: missing");
  *launch.mutable_spec() = *ParseTextProtoAs<CampaignSpec>(R"pb(
    space_ref: "/etc/passwd" targets { hardware: "pixel6_cpu" budget_ms: 4 })pb", "spec");
  ExpectInvalid(Validate(launch), "space_ref: '/etc/passwd' is not a built-in space");
  EXPECT_THAT(std::string(Validate(launch).message()), HasSubstr("send the space inline as `space`"));
  launch.mutable_spec()->set_space_ref("fmnist_uib");
  EXPECT_TRUE(Validate(launch).ok());
  launch.mutable_spec()->mutable_dataset()->set_dir("/etc");
  ExpectInvalid(Validate(launch), "dataset.dir: '/etc' must be a directory name");
  launch.mutable_spec()->mutable_dataset()->set_dir("..");
  ExpectInvalid(Validate(launch), "dataset.dir: '..' must be a directory name");
  launch.mutable_spec()->mutable_dataset()->set_dir("fmnist-2026");  // A name under --data_root.
  EXPECT_TRUE(Validate(launch).ok());
  launch.mutable_spec()->mutable_dataset()->clear_dir();
  launch.mutable_spec()->mutable_distill()->set_soft_labels("teacher.sl");
  EXPECT_TRUE(Validate(launch).ok());
  launch.mutable_spec()->mutable_distill()->set_soft_labels("/etc/shadow");
  ExpectInvalid(Validate(launch), "distill.soft_labels: '/etc/shadow' must be a file name");
  launch.mutable_spec()->mutable_distill()->set_soft_labels("..");
  ExpectInvalid(Validate(launch), "distill.soft_labels: '..' must be a file name");
  launch.mutable_spec()->clear_distill();
  launch.mutable_spec()->mutable_targets(0)->set_hardware("my_phone.textproto");
  ExpectInvalid(Validate(launch), "targets[0].hardware: 'my_phone.textproto' is not a built-in profile");
}

TEST(Requests, CampaignIdsPagesAndBounds) {
  GetCampaignRequest get;
  ExpectInvalid(Validate(get), "campaign_id: empty");
  get.set_campaign_id(std::string(100, 'c'));
  ExpectInvalid(Validate(get), "campaign_id: '" + std::string(32, 'c') + "...' has 100 characters; at most 64");
  GetParetoFrontRequest front;
  front.set_campaign_id("c1");
  EXPECT_TRUE(Validate(front).ok());
  front.set_page_size(5000);
  ExpectInvalid(Validate(front), "page_size: 5000 must be in [0, 1000]");
  front.set_page_size(10);
  front.set_min_accuracy(0.9);
  front.set_max_accuracy(0.5);
  ExpectInvalid(Validate(front), "min_accuracy: 0.9 exceeds max_accuracy 0.5");
  front.set_max_accuracy(std::nan(""));
  ExpectInvalid(Validate(front), "max_accuracy: nan must be in [0, 1]");
  front.set_max_accuracy(0);
  front.set_page_token(std::string(1000, '7'));
  ExpectInvalid(Validate(front), "page_token: '77777");
  ExportArchitectureRequest export_request;
  export_request.set_campaign_id("c1");
  ExpectInvalid(Validate(export_request), "arch_id: empty");
  // Weights are files named by the arch ID: only the exact ID form passes.
  DownloadWeightsRequest download;
  download.set_campaign_id("c1");
  download.set_arch_id("../../etc/passwd");
  ExpectInvalid(Validate(download), "arch_id: '../../etc/passwd' is not an architecture ID");
  download.set_arch_id("0123456789ABCDEF");
  ExpectInvalid(Validate(download), "arch_id: '0123456789ABCDEF' is not an architecture ID");
  download.set_arch_id("0123456789abcdef");
  EXPECT_TRUE(Validate(download).ok());
}

TEST(Requests, WorkerRequests) {
  RegisterRequest r;
  r.set_device_key("has space");
  ExpectInvalid(Validate(r), "device_key: 'has space' may hold only letters, digits, _ . -");
  r.set_device_key(std::string(65, 'k'));
  ExpectInvalid(Validate(r), "device_key: '");
  r.set_device_key("zen5-2c");
  EXPECT_TRUE(Validate(r).ok());
  LeaseJobsRequest lease;
  lease.set_worker_id("w1");
  ExpectInvalid(Validate(lease), "max_jobs: 0 must be in [1, 64]");
  HeartbeatRequest beat;
  beat.set_worker_id("w1");
  beat.set_running_jobs(-1);
  ExpectInvalid(Validate(beat), "running_jobs: -1 must be in [0, 1024]");
  ReportMeasurementRequest report;
  report.set_worker_id("w1");
  report.mutable_measurement()->set_job_id("j1");
  report.mutable_measurement()->set_median_ms(std::nan(""));
  ExpectInvalid(Validate(report), "measurement.median_ms: nan must be in");
  report.set_error("boom");
  report.mutable_measurement()->clear_job_id();
  ExpectInvalid(Validate(report), "measurement.job_id: empty; a failure must name its job");
}

TEST(Requests, MeasurementsMustBeFiniteAndAgreeWithTheirSamples) {
  ReportMeasurementRequest r;
  r.set_worker_id("w1");
  Measurement* m = r.mutable_measurement();
  m->set_job_id("j1");
  for (double v : {2.0, 1.0, 3.0}) m->add_samples_ms(v);
  m->set_median_ms(2);
  m->set_mean_ms(2);
  m->set_p90_ms(2.8);
  m->set_reference_ms(4);
  m->set_reference_baseline_ms(4.1);
  ASSERT_TRUE(Validate(r).ok()) << Validate(r);
  Measurement good = *m;
  m->set_median_ms(5);
  m->clear_samples_ms();
  for (int i = 0; i < 5; ++i) m->add_samples_ms(1000);
  ExpectInvalid(Validate(r), "measurement.median_ms: 5 is not the median of samples_ms (1000)");
  *m = good;
  m->set_mean_ms(std::nan(""));
  ExpectInvalid(Validate(r), "measurement.mean_ms: nan must be in [0, 3.6e+06]");
  *m = good;
  m->set_p90_ms(-1);
  ExpectInvalid(Validate(r), "measurement.p90_ms: -1 must be in [0, 3.6e+06]");
  *m = good;
  m->set_p90_ms(1.5);
  ExpectInvalid(Validate(r), "measurement.p90_ms: 1.5 is below the median 2");
  *m = good;
  m->set_mean_ms(7);
  ExpectInvalid(Validate(r), "measurement.mean_ms: 7 lies outside the samples' range [1, 3]");
  *m = good;
  m->set_reference_ms(std::numeric_limits<double>::infinity());
  ExpectInvalid(Validate(r), "measurement.reference_ms: inf must be in");
  *m = good;
  m->set_reference_baseline_ms(0);
  ExpectInvalid(Validate(r), "measurement.reference_ms: and reference_baseline_ms come together");
  *m = good;
  m->mutable_environment()->set_cpu_model(std::string(1 << 20, 'x'));
  ExpectInvalid(Validate(r), "measurement.environment.cpu_model: 'xxxx");
  EXPECT_LT(Validate(r).message().size(), 200u);
  RegisterRequest reg;
  reg.set_device_key("zen");
  reg.mutable_environment()->set_cpu_model(std::string(300, 'c'));
  ExpectInvalid(Validate(reg), "environment.cpu_model: '");
}

TEST(Requests, MeasurementRequests) {
  MeasureRequest m;
  m.set_device_key("zen");
  ExpectInvalid(Validate(m), "architectures: empty; give architectures or a space");
  m.set_space("fmnist_uib");
  ExpectInvalid(Validate(m), "count: 0 must be in [1, 1000]");
  m.set_count(10);
  EXPECT_TRUE(Validate(m).ok());
  m.set_space("nope");
  ExpectInvalid(Validate(m), "space: 'nope' is not a built-in space");
  LatencyReportRequest report;
  report.set_device_key("zen");
  EXPECT_TRUE(Validate(report).ok());
  report.set_held_out_fraction(1.5);
  ExpectInvalid(Validate(report), "held_out_fraction: 1.5 must be in (0, 1)");
  report.set_held_out_fraction(0.3);
  report.set_base_hardware("nope");
  ExpectInvalid(Validate(report), "base_hardware: 'nope' is not a built-in profile");
}

TEST(Requests, PredictNeedsExactlyOneProfile) {
  PredictRequest p;
  ExpectInvalid(Validate(p), "hardware: set exactly one of hardware and profile");
  p.set_hardware("nope");
  ExpectInvalid(Validate(p), "hardware: 'nope' is not a built-in profile");
}

}  // namespace
}  // namespace ridge::controller
