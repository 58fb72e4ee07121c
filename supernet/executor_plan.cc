#include "supernet/executor_plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "supernet/dnnl_context.h"

namespace ridge::nn::internal {

using dnnl::memory;

Plan::Plan() = default;

int Plan::AddValue(const memory::desc& desc, int alias) {
  Value v;
  v.desc = desc;
  v.alias = alias;
  values_.push_back(v);
  return static_cast<int>(values_.size()) - 1;
}

void Plan::AddStep(Step step, const dnnl::primitive_desc_base& pd) {
  step.impl = pd.impl_info_str();
  scratchpad_bytes_ = std::max(scratchpad_bytes_, pd.scratchpad_desc().get_size());
  steps_.push_back(std::move(step));
}

dnnl::primitive_attr Plan::Attr() const {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

int Plan::FreshCopy(int value, const memory::desc& to, int layer) {
  dnnl::reorder::primitive_desc pd(nn::Engine(), desc(value), nn::Engine(), to, Attr());
  const int out = AddValue(to);
  Step s;
  s.what = absl::StrCat("reorder for layer ", layer);
  s.layer = layer;
  s.primitive = dnnl::reorder(pd);
  s.values = {{DNNL_ARG_FROM, value, false, {}}, {DNNL_ARG_TO, out, true, {}}};
  AddStep(std::move(s), pd);
  return out;
}

int Plan::Convert(int value, const memory::desc& to, int layer) {
  if (desc(value) == to) return value;
  for (const Conversion& c : conversions_) {
    if (c.from == value && desc(c.to) == to) return c.to;
  }
  const int out = FreshCopy(value, to, layer);
  conversions_.push_back({value, out});
  return out;
}

namespace {

// Buffers by byte size; a free one is reused best-fit, else the largest free
// one grows, else a new one is made. Sizes are only final after planning,
// which is why allocation waits until the end.
class BufferPool {
 public:
  int Acquire(size_t bytes) {
    int best_fit = -1, largest = -1;
    for (int b : free_) {
      if (sizes_[b] >= bytes && (best_fit < 0 || sizes_[b] < sizes_[best_fit])) best_fit = b;
      if (largest < 0 || sizes_[b] > sizes_[largest]) largest = b;
    }
    int best = best_fit >= 0 ? best_fit : largest;
    if (best < 0) {
      sizes_.push_back(0);
      refs_.push_back(0);
      best = static_cast<int>(sizes_.size()) - 1;
    } else {
      free_.erase(std::find(free_.begin(), free_.end(), best));
    }
    sizes_[best] = std::max(sizes_[best], bytes);
    return best;
  }
  void Ref(int b) { ++refs_[b]; }
  void Unref(int b) {
    if (--refs_[b] == 0) free_.push_back(b);
  }
  const std::vector<size_t>& sizes() const { return sizes_; }

 private:
  std::vector<size_t> sizes_;
  std::vector<int> refs_;
  std::vector<int> free_;
};

}  // namespace

absl::Status Plan::Finalize() {
  const int n = static_cast<int>(steps_.size());
  // A value lives from the step that writes it to the last step that reads it.
  std::vector<int> last_use(values_.size(), -1);
  for (int s = 0; s < n; ++s) {
    for (const ValueArg& a : steps_[s].values) last_use[a.value] = s;
  }
  BufferPool pool;
  std::vector<bool> assigned(values_.size(), false);
  auto assign = [&](int v) {
    Value& val = values_[v];
    if (assigned[v]) return;
    assigned[v] = true;
    val.buffer = val.alias >= 0 ? values_[val.alias].buffer : pool.Acquire(val.desc.get_size());
    pool.Ref(val.buffer);
    if (val.pinned) pool.Ref(val.buffer);  // Never released.
  };
  // Values no step writes (the input) exist before the first step.
  for (size_t v = 0; v < values_.size(); ++v) {
    if (values_[v].pinned) assign(static_cast<int>(v));
  }
  for (int s = 0; s < n; ++s) {
    for (const ValueArg& a : steps_[s].values) {
      if (a.output) assign(a.value);
    }
    for (const ValueArg& a : steps_[s].values) {
      if (!assigned[a.value]) {
        return absl::InternalError(absl::StrCat(steps_[s].what, ": reads a value nothing wrote"));
      }
    }
    // Release after the step's outputs are placed, so no step writes over
    // what it reads (in-place steps do so on purpose, through an alias).
    for (const ValueArg& a : steps_[s].values) {
      if (last_use[a.value] == s) {
        pool.Unref(values_[a.value].buffer);
        last_use[a.value] = -2;  // Released once even if it appears twice.
      }
    }
  }
  buffers_.clear();
  for (size_t bytes : pool.sizes()) buffers_.emplace_back(static_cast<int64_t>((bytes + 3) / 4));
  return nn::DnnlCall("binding executor memory", [&] {
    if (scratchpad_bytes_ > 0) {
      scratchpad_ = memory(memory::desc({static_cast<int64_t>(scratchpad_bytes_)}, memory::data_type::u8,
                                        memory::format_tag::a),
                           nn::Engine());
    }
    for (Step& s : steps_) {
      for (const ValueArg& a : s.values) {
        if (a.arg == kReadOnly) continue;
        const memory::desc& d = a.view.is_zero() ? values_[a.value].desc : a.view;
        s.args[a.arg] = memory(d, nn::Engine(), data(a.value));
      }
      if (scratchpad_) s.args[DNNL_ARG_SCRATCHPAD] = scratchpad_;
    }
  });
}

absl::Status Plan::Execute(int step) {
  return nn::DnnlCall("executor run", [&] {
    dnnl::stream& stream = nn::Stream();
    if (step >= 0) {
      steps_[step].primitive.execute(stream, steps_[step].args);
    } else {
      for (Step& s : steps_) s.primitive.execute(stream, s.args);
    }
    stream.wait();
  });
}

int64_t Plan::buffer_bytes() const {
  int64_t total = 0;
  for (const nn::Buffer& b : buffers_) total += b.capacity() * 4;
  return total;
}

}  // namespace ridge::nn::internal
