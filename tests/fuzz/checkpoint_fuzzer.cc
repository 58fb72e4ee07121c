// The checkpoint reader, past its CRC: the header alone, then a full read
// into a small parameter store with an optimizer.
#include <cstdint>
#include <fstream>
#include <random>

#include "supernet/checkpoint.h"
#include "supernet/optimizer.h"
#include "supernet/param.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes = ridge::fuzz::WithCrc(data, size);
  const std::string path = ridge::fuzz::WriteInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ridge::nn::ReadCheckpointHeader(path).IgnoreError();
  ridge::nn::ParamStore params;
  params.Add("w", {4, 3}, 0.5f, true);
  params.Add("b", {4}, 0.0f, false);
  ridge::nn::Optimizer optimizer(&params, ridge::nn::OptimizerOptions{});
  ridge::nn::ReadCheckpoint(path, &params, &optimizer).IgnoreError();
  return 0;
}
