// Prepares training batches on a background thread: seeded shuffling per
// epoch, normalization, and optional augmentation (random crop with padding,
// horizontal flip). The consumer never waits for decoding when the
// producer keeps up.
#ifndef RIDGE_SUPERNET_BATCHER_H_
#define RIDGE_SUPERNET_BATCHER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "supernet/dataset.h"
#include "supernet/tensor.h"

namespace ridge::nn {

struct Batch {
  Tensor images;                // n x c x h x w (NHWC in memory), normalized per channel.
  std::vector<int32_t> labels;  // n labels.
  std::vector<int64_t> indices;  // Each image's index in its split (soft labels are looked up by it).
};

// Fills `batch` with the images of `split` at `indices`, normalized with
// split.norm; with `rng`, augments them (pad 2 and crop back at a random
// offset, flip half).
void FillBatch(const Split& split, const int64_t* indices, int64_t n, std::mt19937_64* rng, Batch* batch);

struct BatcherOptions {
  int64_t batch_size = 128;
  bool augment = false;
  uint64_t seed = 0;
};

// Endless training batches over `split`, reshuffled every epoch; the last
// partial batch of an epoch is dropped. Thread-safe for one consumer.
class Batcher {
 public:
  // REQUIRES: `split` outlives the Batcher and has at least batch_size images.
  Batcher(const Split& split, const BatcherOptions& options);
  ~Batcher();  // Stops and joins the producer.

  // The next batch; valid until the next call.
  const Batch& Next();
  int64_t batches_per_epoch() const { return split_.count / options_.batch_size; }

 private:
  void Produce();

  const Split& split_;
  const BatcherOptions options_;
  static constexpr int kSlots = 3;
  Batch slots_[kSlots];
  absl::Mutex mu_;
  std::deque<int> ready_ ABSL_GUARDED_BY(mu_);
  std::deque<int> free_ ABSL_GUARDED_BY(mu_);
  int in_use_ = -1;  // Slot held by the consumer; only the consumer touches it.
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread producer_;
};

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_BATCHER_H_
