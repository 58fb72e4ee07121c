#include "supernet/batcher.h"

#include <algorithm>
#include <numeric>

namespace ridge::nn {

void FillBatch(const Split& split, const int64_t* indices, int64_t n, std::mt19937_64* rng, Batch* batch) {
  const int64_t h = split.height, w = split.width, px = h * w;
  batch->images.Resize(Dims4{n, 1, h, w});
  batch->labels.resize(n);
  batch->indices.assign(indices, indices + n);
  constexpr float kScale = 1.0f / (255.0f * kPixelStd);
  constexpr float kOffset = -kPixelMean / kPixelStd;
  constexpr int kPad = 2;
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* src = split.pixels.data() + indices[i] * px;
    float* dst = batch->images.data() + i * px;
    batch->labels[i] = split.labels[indices[i]];
    if (rng == nullptr) {
      for (int64_t p = 0; p < px; ++p) dst[p] = src[p] * kScale + kOffset;
      continue;
    }
    std::uniform_int_distribution<int> shift(-kPad, kPad);
    const int dy = shift(*rng), dx = shift(*rng);
    const bool flip = (*rng)() & 1;
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) {
        const int64_t sy = y + dy, sx0 = x + dx;
        const int64_t sx = flip ? w - 1 - sx0 : sx0;
        const bool inside = sy >= 0 && sy < h && sx0 >= 0 && sx0 < w;
        dst[y * w + x] = inside ? src[sy * w + sx] * kScale + kOffset : kOffset;
      }
    }
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
