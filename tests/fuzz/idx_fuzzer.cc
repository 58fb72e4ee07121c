// The IDX reader (plain and gzipped), as ranks 1 and 3.
#include <cstdint>

#include "supernet/idx.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ridge::fuzz::WriteInput(data, size);
  for (int rank : {1, 3}) {
    absl::StatusOr<ridge::nn::IdxArray> a = ridge::nn::ReadIdx(path, rank);
    if (!a.ok()) continue;
    int64_t n = 1;
    for (int64_t d : a->dims) n *= d;
    ridge::fuzz::Check(static_cast<int64_t>(a->data.size()) == n);
  }
  return 0;
}
