// The one-line canonical encoding: whatever parses must encode back to text
// that parses to the same architecture ID.
#include <cstdint>
#include <string>

#include "proto/architecture.h"
#include "proto/layers.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ridge::Architecture> arch = ridge::ParseCanonicalEncoding(text);
  if (!arch.ok()) return 0;
  const std::string again = ridge::CanonicalEncoding(*arch);
  absl::StatusOr<ridge::Architecture> round = ridge::ParseCanonicalEncoding(again);
  ridge::fuzz::Check(round.ok());
  ridge::fuzz::Check(ridge::ArchitectureId(*round) == ridge::ArchitectureId(*arch));
  ridge::InferLayers(*arch).IgnoreError();
  return 0;
}
