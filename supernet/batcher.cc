#include "supernet/batcher.h"

#include <algorithm>
#include <numeric>

namespace ridge::nn {

namespace {

// x / 255 normalised by channel: x * scale[c] + offset[c].
struct Affine {
  std::vector<float> scale, offset;
};

Affine NormalizationOf(const Split& split) {
  Affine a;
  for (int64_t c = 0; c < split.channels; ++c) {
    const bool known = static_cast<int64_t>(split.norm.mean.size()) == split.channels &&
                       static_cast<int64_t>(split.norm.stddev.size()) == split.channels;
    const float mean = known ? split.norm.mean[c] : 0.0f, stddev = known ? split.norm.stddev[c] : 1.0f;
    a.scale.push_back(1.0f / (255.0f * stddev));
    a.offset.push_back(-mean / stddev);
  }
  return a;
}

// One image, augmented: shifted by (dy, dx) with zero pixels coming in at
// the borders (pad 2 and crop back), and mirrored if `flip`. Every channel
// of a pixel moves together.
void Augment(const uint8_t* src, int64_t h, int64_t w, int64_t c, int dy, int dx, bool flip, const Affine& a,
             float* dst) {
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      const int64_t sy = y + dy, sx0 = x + dx;
      const int64_t sx = flip ? w - 1 - sx0 : sx0;
      const bool inside = sy >= 0 && sy < h && sx0 >= 0 && sx0 < w;
      float* out = dst + (y * w + x) * c;
      if (!inside) {
        for (int64_t ch = 0; ch < c; ++ch) out[ch] = a.offset[ch];  // Zero pixels, normalised.
        continue;
      }
      const uint8_t* in = src + (sy * w + sx) * c;  // Formed only inside the image.
      for (int64_t ch = 0; ch < c; ++ch) out[ch] = in[ch] * a.scale[ch] + a.offset[ch];
    }
  }
}

}  // namespace

void FillBatch(const Split& split, const int64_t* indices, int64_t n, std::mt19937_64* rng, Batch* batch) {
  const int64_t h = split.height, w = split.width, c = split.channels, bytes = split.image_bytes();
  batch->images.Resize(Dims4{n, c, h, w});  // NHWC in memory, as the split's HWC images.
  batch->labels.resize(n);
  batch->indices.assign(indices, indices + n);
  const Affine a = NormalizationOf(split);
  constexpr int kPad = 2;
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* src = split.pixels.data() + indices[i] * bytes;
    float* dst = batch->images.data() + i * bytes;
    batch->labels[i] = split.labels[indices[i]];
    if (rng == nullptr) {
      for (int64_t p = 0; p < bytes; p += c) {
        for (int64_t ch = 0; ch < c; ++ch) dst[p + ch] = src[p + ch] * a.scale[ch] + a.offset[ch];
      }
      continue;
    }
    std::uniform_int_distribution<int> shift(-kPad, kPad);
    const int dy = shift(*rng), dx = shift(*rng);
    const bool flip = (*rng)() & 1;
    Augment(src, h, w, c, dy, dx, flip, a, dst);
  }
}

Batcher::Batcher(const Split& split, const BatcherOptions& options) : split_(split), options_(options) {
  {
    absl::MutexLock lock(&mu_);
    for (int i = 0; i < kSlots; ++i) free_.push_back(i);
  }
  producer_ = std::thread([this] { Produce(); });
}

Batcher::~Batcher() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  producer_.join();
}

void Batcher::Produce() {
  std::mt19937_64 rng(options_.seed);
  std::vector<int64_t> order(split_.count);
  const int64_t per_epoch = batches_per_epoch();
  for (uint64_t epoch = 0;; ++epoch) {
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    for (int64_t b = 0; b < per_epoch; ++b) {
      int slot;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](Batcher* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) { return self->stop_ || !self->free_.empty(); },
            this));
        if (stop_) return;
        slot = free_.front();
        free_.pop_front();
      }
      FillBatch(split_, order.data() + b * options_.batch_size, options_.batch_size,
                options_.augment ? &rng : nullptr, &slots_[slot]);
      absl::MutexLock lock(&mu_);
      ready_.push_back(slot);
    }
  }
}

const Batch& Batcher::Next() {
  absl::MutexLock lock(&mu_);
  if (in_use_ >= 0) free_.push_back(in_use_);
  mu_.Await(absl::Condition(
      +[](Batcher* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) { return !self->ready_.empty(); }, this));
  in_use_ = ready_.front();
  ready_.pop_front();
  return slots_[in_use_];
}

}  // namespace ridge::nn
