// The PNG/JPEG decoder of image-folder datasets, and the conversions after
// it: any bytes give an image of the size it claims, or an error; never a
// crash, a leak or a jump across a destructor.
#include <cstdint>
#include <string>

#include "supernet/image_decode.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  // A small side limit keeps each input's memory small; the limit's own
  // check is what the larger one would exercise.
  absl::StatusOr<ridge::nn::Image> image = ridge::nn::DecodeImage("fuzz.png", bytes, 256);
  if (!image.ok()) return 0;
  ridge::fuzz::Check(image->channels == 1 || image->channels == 3);
  ridge::fuzz::Check(image->height <= 256 && image->width <= 256);
  ridge::fuzz::Check(static_cast<int64_t>(image->pixels.size()) ==
                     image->height * image->width * image->channels);
  for (int channels : {1, 3}) {
    ridge::nn::Image out = ridge::nn::ResizeBilinear(ridge::nn::ToChannels(*image, channels), 7, 5);
    ridge::fuzz::Check(static_cast<int64_t>(out.pixels.size()) == 7 * 5 * channels);
  }
  return 0;
}
