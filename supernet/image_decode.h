// PNG (libpng) and JPEG (libjpeg-turbo) decoding for image-folder datasets,
// and the two conversions they need: to 1 or 3 channels, and a bilinear
// resize. The libraries report errors by longjmp; here that jump never
// crosses a C++ frame with a destructor, and nothing is printed or exits.
#ifndef RIDGE_SUPERNET_IMAGE_DECODE_H_
#define RIDGE_SUPERNET_IMAGE_DECODE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ridge::nn {

// 8-bit pixels in HWC order.
struct Image {
  int64_t height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

// Decodes the PNG or JPEG file held in `bytes` (told apart by their
// signatures, whatever the file's name says); `path` names it in errors.
// The result is grey (1 channel) or RGB (3): palettes are expanded, 16-bit
// samples scaled to 8 bits, and alpha dropped. INVALID_ARGUMENT, starting
// with `path`, for anything that is not a decodable image or is larger than
// `max_side` on either side (checked before any pixel is decoded).
absl::StatusOr<Image> DecodeImage(const std::string& path, const std::string& bytes,
                                  int64_t max_side);

// `image` with 1 channel (grey from RGB by the BT.601 weights) or 3
// (grey repeated). REQUIRES: image.channels and channels are 1 or 3.
Image ToChannels(Image image, int64_t channels);

// Bilinear resize with pixel centres aligned (a pixel covers [x, x + 1)),
// clamped at the borders; the same size returns the image unchanged.
Image ResizeBilinear(Image image, int64_t height, int64_t width);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_IMAGE_DECODE_H_
