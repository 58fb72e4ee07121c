#include "cli/latency_csv.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/architecture.h"
#include "zoo/zoo.h"

namespace ridge::cli {
namespace {

using ::testing::HasSubstr;

TEST(LatencyCsvTest, ReadsEveryColumnInAnyOrder) {
  const std::string encoding = CanonicalEncoding(*ResolveArchitecture("fmnist_reference"));
  const std::string text = absl::StrCat(
      "latency_ms,arch,threads,runtime,precision,repeats\n"
      "12.5,mobilenetv4_conv_small,4,tflite,fp32,50\n"
      "0.75,\"", encoding, "\",,,,\n");
  absl::StatusOr<ImportLatenciesRequest> r = ParseLatencyCsv(text, "dir/phone.csv", "pixel9");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->device_key(), "pixel9");
  EXPECT_EQ(r->source(), "phone.csv");
  ASSERT_EQ(r->measurements_size(), 2);
  const ImportedLatency& a = r->measurements(0);
  EXPECT_EQ(a.architecture().name(), "mobilenetv4_conv_small");
  EXPECT_EQ(a.latency_ms(), 12.5);
  EXPECT_EQ(a.threads(), 4);
  EXPECT_EQ(a.runtime(), "tflite");
  EXPECT_EQ(a.precision(), "fp32");
  EXPECT_EQ(a.repeats(), 50);
  EXPECT_EQ(a.row(), 2);
  EXPECT_EQ(CanonicalEncoding(r->measurements(1).architecture()), encoding);
  EXPECT_EQ(r->measurements(1).threads(), 0);
  EXPECT_EQ(r->measurements(1).row(), 3);
}

// HW-NAS-Bench's FBNet latencies, as its op_idx_list per network: quoted
// with commas, or bare with semicolons.
TEST(LatencyCsvTest, TakesFbnetOpIndexLists) {
  const std::string ops = "0,1,2,3,4,5,6,7,8,0,1,2,3,4,5,6,7,8,0,1,2,3";
  std::string bare = ops;
  std::replace(bare.begin(), bare.end(), ',', ';');
  absl::StatusOr<ImportLatenciesRequest> r = ParseLatencyCsv(
      absl::StrCat("arch,latency_ms\n\"fbnet:[", ops, "]\",3.5\nfbnet:", bare, ",3.6\n"), "hw.csv", "edgegpu");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->measurements_size(), 2);
  EXPECT_EQ(CanonicalEncoding(r->measurements(0).architecture()),
            CanonicalEncoding(r->measurements(1).architecture()));
  EXPECT_EQ(BlockToken(r->measurements(0).architecture().blocks(2)), "uib(0,3,1,24,1,2,1)");  // Op 1: k3_e1_g2.
}

TEST(LatencyCsvTest, ErrorsNameTheFileLineAndColumn) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"arch,latency_ms\nfmnist_reference,fast\n", "p.csv:2, column latency_ms: 'fast' is not a number"},
      {"arch,latency_ms\nfmnist_reference,-1\n", "p.csv:2, column latency_ms: '-1' must be in (0, 1e7]"},
      {"arch,latency_ms\nfmnist_reference,1\nno_such_model,2\n", "p.csv:3, column arch"},
      {"arch,latency_ms\n,2\n", "p.csv:2, column arch: '' is empty"},
      {"arch,latency_ms,threads\nfmnist_reference,1,four\n", "p.csv:2, column threads: 'four' is not a whole"},
      {"arch,latency,runtime\n", "p.csv:1: column 'latency' is not one of arch, latency_ms, precision, repeats"},
      {"arch,runtime\n", "p.csv:1: no 'latency_ms' column"},
      {"arch,latency_ms\n", "p.csv: no rows after the header"},
      {"arch,latency_ms\nfmnist_reference\n", "p.csv:2: 1 fields; the header has 2"},
  };
  for (const auto& [text, message] : cases) {
    absl::StatusOr<ImportLatenciesRequest> r = ParseLatencyCsv(text, "p.csv", "k");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(message)) << text;
  }
}

}  // namespace
}  // namespace ridge::cli
