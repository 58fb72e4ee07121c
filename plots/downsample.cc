#include "plots/downsample.h"

#include <algorithm>

namespace ridge::plots {

Downsampler::Downsampler(size_t max_points) : max_(std::max<size_t>(2, max_points + max_points % 2)) {}

void Downsampler::Add(double x, double y) {
  ++inputs_;
  pending_.x += x;
  pending_.y += y;
  if (++pending_.n < per_bucket_) return;
  full_.push_back(pending_);
  pending_ = Bucket();
  if (full_.size() < max_) return;
  // max_ is even, so the buckets pair up exactly.
  for (size_t i = 0; i < full_.size() / 2; ++i) {
    const Bucket& a = full_[2 * i];
    const Bucket& b = full_[2 * i + 1];
    full_[i] = Bucket{a.x + b.x, a.y + b.y, a.n + b.n};
  }
  full_.resize(full_.size() / 2);
  per_bucket_ *= 2;
}

std::vector<Point> Downsampler::points() const {
  std::vector<Point> out;
  out.reserve(full_.size() + 1);
  for (const Bucket& b : full_) out.push_back({b.x / b.n, b.y / b.n});
  if (pending_.n > 0) out.push_back({pending_.x / pending_.n, pending_.y / pending_.n});
  return out;
}

}  // namespace ridge::plots
