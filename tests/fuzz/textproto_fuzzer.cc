// The strict textproto reader and the validation of what users write: a
// campaign spec, a search space, an architecture (then its shapes) or a
// hardware profile, chosen by the first byte.
#include <cstdint>
#include <string>

#include "proto/layers.h"
#include "proto/textproto.h"
#include "proto/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const absl::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      ridge::CampaignSpec spec;
      if (ridge::ParseTextProto(text, "fuzz", &spec).ok()) ridge::ValidateCampaignSpec(spec).IgnoreError();
      break;
    }
    case 1: {
      ridge::SearchSpace space;
      if (ridge::ParseTextProto(text, "fuzz", &space).ok()) ridge::ValidateSearchSpace(space).IgnoreError();
      break;
    }
    case 2: {
      ridge::Architecture arch;
      if (ridge::ParseTextProto(text, "fuzz", &arch).ok() && ridge::ValidateArchitecture(arch).ok()) {
        ridge::InferLayers(arch).IgnoreError();
      }
      break;
    }
    default: {
      ridge::HardwareProfile profile;
      if (ridge::ParseTextProto(text, "fuzz", &profile).ok()) ridge::ValidateHardwareProfile(profile).IgnoreError();
    }
  }
  return 0;
}
