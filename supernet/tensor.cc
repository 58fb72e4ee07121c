#include "supernet/tensor.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "supernet/dnnl_context.h"

namespace ridge::nn {

bool Dims4::operator<(const Dims4& o) const {
  return std::tie(n, c, h, w) < std::tie(o.n, o.c, o.h, o.w);
}

std::string Dims4::ToString() const { return absl::StrCat(n, "x", c, "x", h, "x", w); }

void Buffer::Free::operator()(float* p) const { std::free(p); }

Buffer::Buffer(int64_t floats) {
  constexpr size_t kHuge = 2 << 20;
  size_t bytes = static_cast<size_t>(std::max<int64_t>(floats, 1)) * sizeof(float);
  size_t align = bytes >= kHuge ? kHuge : 64;
  bytes = (bytes + align - 1) / align * align;
  void* p = std::aligned_alloc(align, bytes);
  if (p == nullptr) throw std::bad_alloc();
  if (align == kHuge) madvise(p, bytes, MADV_HUGEPAGE);
  data_.reset(static_cast<float*>(p));
  capacity_ = floats;
}

void Tensor::Resize(Dims4 dims) {
  dims_ = dims;
  if (buffer_.capacity() < dims.size()) buffer_ = Buffer(dims.size());
}

void Tensor::Zero() { std::memset(data(), 0, sizeof(float) * size()); }

dnnl::memory::desc NhwcDesc(const Dims4& d) {
  return dnnl::memory::desc({d.n, d.c, d.h, d.w}, dnnl::memory::data_type::f32,
                            dnnl::memory::format_tag::nhwc);
}

dnnl::memory::desc Tensor::desc() const { return NhwcDesc(dims_); }

dnnl::memory Tensor::memory() const { return dnnl::memory(desc(), Engine(), data()); }

}  // namespace ridge::nn
