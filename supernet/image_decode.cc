#include "supernet/image_decode.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>

extern "C" {
#include <jpeglib.h>
}

#include "absl/strings/str_cat.h"

namespace ridge::nn {
namespace {

// How errors leave libpng and libjpeg: their error callbacks longjmp back
// into the small C-style functions below, which call setjmp and hold no
// object with a destructor, so the jump skips none. The C++ callers own
// every buffer and free the libraries' state with their destroy calls on
// every path, so an error leaks nothing.

// ---- PNG ----

struct PngSource {
  const uint8_t* data;
  size_t size, at;
  char message[256];
};

void PngError(png_structp png, png_const_charp message) {
  auto* src = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(src->message, sizeof(src->message), "%s", message);
  png_longjmp(png, 1);
}

void PngWarning(png_structp, png_const_charp) {}  // A warning still decodes; nothing is printed.

void PngRead(png_structp png, png_bytep out, size_t n) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (n > src->size - src->at) png_error(png, "truncated file");
  std::memcpy(out, src->data + src->at, n);
  src->at += n;
}

// Reads the header: the image's size.
bool PngReadHeader(png_structp png, png_infop info, uint32_t* width, uint32_t* height) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  *width = png_get_image_width(png, info);
  *height = png_get_image_height(png, info);
  return true;
}

// Asks for 8-bit grey or RGB without alpha; gives the channels and row bytes.
bool PngSetTransforms(png_structp png, png_infop info, int* channels, size_t* row_bytes) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_expand(png);       // Palette to RGB, low-bit grey to 8 bits, tRNS to alpha.
  png_set_scale_16(png);     // 16-bit samples to 8, rounded.
  png_set_strip_alpha(png);  // Alpha is dropped, not composited.
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  *channels = png_get_channels(png, info);
  *row_bytes = png_get_rowbytes(png, info);
  return true;
}

bool PngReadRows(png_structp png, png_infop info, png_bytep* rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, info);
  return true;
}

struct PngGuard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngGuard() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

absl::Status SizeError(const std::string& path, int64_t width, int64_t height, int64_t max_side) {
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": a ", width, "x", height, " image exceeds ", max_side, "x", max_side, ", the limit"));
}

absl::Status DecodeError(const std::string& path, const char* kind, const char* message) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": not a decodable ", kind, " file: ", message));
}

absl::StatusOr<Image> DecodePng(const std::string& path, const std::string& bytes,
                                int64_t max_side) {
  PngSource src{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), 0, "out of memory"};
  PngGuard g;
  g.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, PngError, PngWarning);
  if (g.png == nullptr) return DecodeError(path, "PNG", src.message);
  g.info = png_create_info_struct(g.png);
  if (g.info == nullptr) return DecodeError(path, "PNG", src.message);
  png_set_read_fn(g.png, &src, PngRead);
  uint32_t width = 0, height = 0;
  if (!PngReadHeader(g.png, g.info, &width, &height)) return DecodeError(path, "PNG", src.message);
  if (width > max_side || height > max_side) return SizeError(path, width, height, max_side);
  int channels = 0;
  size_t row_bytes = 0;
  if (!PngSetTransforms(g.png, g.info, &channels, &row_bytes))
    return DecodeError(path, "PNG", src.message);
  if ((channels != 1 && channels != 3) || row_bytes != size_t{width} * channels) {
    return DecodeError(path, "PNG", "unexpected layout after conversion to 8-bit grey or RGB");
  }
  Image image;
  image.height = height, image.width = width, image.channels = channels;
  image.pixels.resize(size_t{height} * row_bytes);
  std::vector<png_bytep> rows(height);
  for (uint32_t y = 0; y < height; ++y) rows[y] = image.pixels.data() + y * row_bytes;
  if (!PngReadRows(g.png, g.info, rows.data())) return DecodeError(path, "PNG", src.message);
  return image;
}

// ---- JPEG ----

struct JpegErrors {
  jpeg_error_mgr mgr;  // First: libjpeg sees only this.
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void JpegErrorExit(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

// A warning (corrupt or truncated data that libjpeg would fill in with
// grey) fails the image, as djpeg -strict does: a dataset should not train
// on half-decoded pictures. Trace messages (levels >= 0) are ignored.
void JpegEmitMessage(j_common_ptr cinfo, int level) {
  if (level < 0) JpegErrorExit(cinfo);
}

bool JpegReadHeader(jpeg_decompress_struct* cinfo, JpegErrors* errors, const uint8_t* data,
                    size_t size) {
  if (setjmp(errors->jump)) return false;
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(cinfo, TRUE);
  return true;
}

// Decodes into `out` (width x height x channels bytes, allocated by the
// caller from the header's size).
bool JpegReadPixels(jpeg_decompress_struct* cinfo, JpegErrors* errors, int channels, uint8_t* out) {
  if (setjmp(errors->jump)) return false;
  cinfo->out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(cinfo);
  if (cinfo->output_width != cinfo->image_width || cinfo->output_height != cinfo->image_height ||
      cinfo->output_components != channels) {
    std::snprintf(errors->message, sizeof(errors->message), "unexpected output shape");
    return false;
  }
  const size_t stride = size_t{cinfo->output_width} * channels;
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = out + cinfo->output_scanline * stride;
    jpeg_read_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

struct JpegGuard {
  jpeg_decompress_struct cinfo{};
  ~JpegGuard() { jpeg_destroy_decompress(&cinfo); }  // Safe on a struct creation left empty.
};

absl::StatusOr<Image> DecodeJpeg(const std::string& path, const std::string& bytes,
                                 int64_t max_side) {
  JpegGuard g;
  JpegErrors errors;
  g.cinfo.err = jpeg_std_error(&errors.mgr);
  errors.mgr.error_exit = JpegErrorExit;
  errors.mgr.emit_message = JpegEmitMessage;
  std::snprintf(errors.message, sizeof(errors.message), "unknown error");
  if (!JpegReadHeader(&g.cinfo, &errors, reinterpret_cast<const uint8_t*>(bytes.data()),
                      bytes.size())) {
    return DecodeError(path, "JPEG", errors.message);
  }
  const int64_t width = g.cinfo.image_width, height = g.cinfo.image_height;
  if (width > max_side || height > max_side) return SizeError(path, width, height, max_side);
  Image image;
  image.height = height, image.width = width, image.channels = g.cinfo.num_components == 1 ? 1 : 3;
  image.pixels.resize(height * width * image.channels);
  if (!JpegReadPixels(&g.cinfo, &errors, static_cast<int>(image.channels), image.pixels.data())) {
    return DecodeError(path, "JPEG", errors.message);
  }
  return image;
}

}  // namespace

absl::StatusOr<Image> DecodeImage(const std::string& path, const std::string& bytes,
                                  int64_t max_side) {
  static constexpr unsigned char kPng[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  static constexpr unsigned char kJpeg[] = {0xff, 0xd8, 0xff};
  if (bytes.size() >= sizeof(kPng) && std::memcmp(bytes.data(), kPng, sizeof(kPng)) == 0) {
    return DecodePng(path, bytes, max_side);
  }
  if (bytes.size() >= sizeof(kJpeg) && std::memcmp(bytes.data(), kJpeg, sizeof(kJpeg)) == 0) {
    return DecodeJpeg(path, bytes, max_side);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": not a decodable image: its first bytes are neither a PNG nor a JPEG signature"));
}

Image ToChannels(Image image, int64_t channels) {
  if (image.channels == channels) return image;
  const int64_t pixels = image.height * image.width;
  std::vector<uint8_t> out(pixels * channels);
  for (int64_t p = 0; p < pixels; ++p) {
    if (channels == 3) {
      std::fill_n(out.begin() + p * 3, 3, image.pixels[p]);
    } else {
      const uint8_t* rgb = image.pixels.data() + p * 3;
      out[p] = static_cast<uint8_t>(std::lround(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]));
    }
  }
  image.pixels = std::move(out);
  image.channels = channels;
  return image;
}

namespace {

// Where output index i samples an axis of `in` samples resized to `out`:
// the two neighbours and the second one's weight.
struct Tap {
  int64_t lo, hi;
  float w;
};

std::vector<Tap> Taps(int64_t in, int64_t out) {
  std::vector<Tap> taps(out);
  const double scale = static_cast<double>(in) / out;
  for (int64_t i = 0; i < out; ++i) {
    const double at = std::clamp((i + 0.5) * scale - 0.5, 0.0, static_cast<double>(in - 1));
    const int64_t lo = static_cast<int64_t>(at);
    taps[i] = {lo, std::min(lo + 1, in - 1), static_cast<float>(at - lo)};
  }
  return taps;
}

}  // namespace

Image ResizeBilinear(Image image, int64_t height, int64_t width) {
  if (image.height == height && image.width == width) return image;
  const std::vector<Tap> ys = Taps(image.height, height), xs = Taps(image.width, width);
  const int64_t c = image.channels, in_row = image.width * c;
  std::vector<uint8_t> out(height * width * c);
  for (int64_t y = 0; y < height; ++y) {
    const uint8_t* top = image.pixels.data() + ys[y].lo * in_row;
    const uint8_t* bottom = image.pixels.data() + ys[y].hi * in_row;
    for (int64_t x = 0; x < width; ++x) {
      const Tap& t = xs[x];
      for (int64_t ch = 0; ch < c; ++ch) {
        const float a = top[t.lo * c + ch] + t.w * (top[t.hi * c + ch] - top[t.lo * c + ch]);
        const float b =
            bottom[t.lo * c + ch] + t.w * (bottom[t.hi * c + ch] - bottom[t.lo * c + ch]);
        out[(y * width + x) * c + ch] = static_cast<uint8_t>(std::lround(a + ys[y].w * (b - a)));
      }
    }
  }
  image.pixels = std::move(out);
  image.height = height, image.width = width;
  return image;
}

}  // namespace ridge::nn
