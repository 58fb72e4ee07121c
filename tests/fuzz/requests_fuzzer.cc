// Every RPC request's validation, on requests parsed from arbitrary bytes
// (the wire format a client controls); the first byte picks the request.
#include <cstdint>

#include "controller/requests.h"

namespace {

template <typename Request>
void Run(const uint8_t* data, size_t size) {
  Request request;
  if (request.ParseFromArray(data, static_cast<int>(size))) ridge::controller::Validate(request).IgnoreError();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t* rest = data + 1;
  const size_t n = size - 1;
  switch (data[0] % 17) {
    case 0: Run<ridge::LaunchRequest>(rest, n); break;
    case 1: Run<ridge::GetCampaignRequest>(rest, n); break;
    case 2: Run<ridge::ListCampaignsRequest>(rest, n); break;
    case 3: Run<ridge::CancelRequest>(rest, n); break;
    case 4: Run<ridge::WatchRequest>(rest, n); break;
    case 5: Run<ridge::GetParetoFrontRequest>(rest, n); break;
    case 6: Run<ridge::ExportArchitectureRequest>(rest, n); break;
    case 7: Run<ridge::RegisterRequest>(rest, n); break;
    case 8: Run<ridge::HeartbeatRequest>(rest, n); break;
    case 9: Run<ridge::LeaseJobsRequest>(rest, n); break;
    case 10: Run<ridge::ReportMeasurementRequest>(rest, n); break;
    case 11: Run<ridge::ListWorkersRequest>(rest, n); break;
    case 12: Run<ridge::MeasureRequest>(rest, n); break;
    case 13: Run<ridge::LatencyReportRequest>(rest, n); break;
    case 14: Run<ridge::PredictRequest>(rest, n); break;
    case 15: Run<ridge::GetHardwareRequest>(rest, n); break;
    default: Run<ridge::DownloadWeightsRequest>(rest, n);
  }
  return 0;
}
