// The soft-label reader, past its CRC, against a small split.
#include <cstdint>

#include "supernet/soft_labels.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ridge::nn::Split* split = [] {
    auto* s = new ridge::nn::Split;
    s->count = 2, s->height = 2, s->width = 2;
    s->pixels = {1, 2, 3, 4, 5, 6, 7, 8};
    s->labels = {0, 1};
    return s;
  }();
  const std::string bytes = ridge::fuzz::WithCrc(data, size);
  const std::string path = ridge::fuzz::WriteInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  absl::StatusOr<ridge::nn::SoftLabels> labels = ridge::nn::ReadSoftLabels(path, *split);
  if (labels.ok()) ridge::fuzz::Check(labels->count() >= split->count && labels->classes >= 2);
  return 0;
}
