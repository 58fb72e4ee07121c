// Activation tensors: fp32, NHWC in memory, dims given as (n, c, h, w) like
// oneDNN's logical order. A tensor's buffer is allocated once and reused while
// it is large enough, so training steps do not malloc (docs/design.md §10).
#ifndef RIDGE_SUPERNET_TENSOR_H_
#define RIDGE_SUPERNET_TENSOR_H_

#include <dnnl.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace ridge::nn {

struct Dims4 {
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t size() const { return n * c * h * w; }
  bool operator==(const Dims4& o) const { return n == o.n && c == o.c && h == o.h && w == o.w; }
  bool operator!=(const Dims4& o) const { return !(*this == o); }
  bool operator<(const Dims4& o) const;
  std::string ToString() const;
};

// A float buffer, 64-byte aligned; buffers of 2 MiB or more ask for huge
// pages, since first-touch faults cost 11-16 us per 4 KiB page on this VM.
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(int64_t floats);
  float* data() const { return data_.get(); }
  int64_t capacity() const { return capacity_; }

 private:
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float, Free> data_;
  int64_t capacity_ = 0;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Dims4 dims) { Resize(dims); }

  // Sets the dims, reallocating only when the buffer is too small. Contents
  // are unspecified after a reallocation.
  void Resize(Dims4 dims);
  const Dims4& dims() const { return dims_; }
  int64_t size() const { return dims_.size(); }
  float* data() const { return buffer_.data(); }
  void Zero();

  // The NHWC memory descriptor, and a oneDNN memory object over this buffer.
  dnnl::memory::desc desc() const;
  dnnl::memory memory() const;

 private:
  Dims4 dims_;
  Buffer buffer_;
};

// NHWC descriptor for dims.
dnnl::memory::desc NhwcDesc(const Dims4& d);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_TENSOR_H_
