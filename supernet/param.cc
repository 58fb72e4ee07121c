#include "supernet/param.h"

#include <algorithm>
#include <cmath>

namespace ridge::nn {

Param* ParamStore::Add(const std::string& name, std::vector<int64_t> shape, float fill, bool decay) {
  auto p = std::make_unique<Param>();
  p->name = name;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  p->shape = std::move(shape);
  p->value.assign(n, fill);
  p->grad.assign(n, 0.0f);
  p->decay = decay;
  params_.push_back(std::move(p));
  return params_.back().get();
}

Param* ParamStore::AddConvWeight(const std::string& name, std::vector<int64_t> shape, int64_t fan_out,
                                 std::mt19937& rng) {
  Param* p = Add(name, std::move(shape), 0.0f, true);
  std::normal_distribution<float> dist(0.0f, std::sqrt(2.0f / static_cast<float>(fan_out)));
  for (float& v : p->value) v = dist(rng);
  return p;
}

Param* ParamStore::AddLinearWeight(const std::string& name, int64_t out, int64_t in, std::mt19937& rng) {
  Param* p = Add(name, {out, in}, 0.0f, true);
  const float range = 1.0f / std::sqrt(static_cast<float>(out));
  std::uniform_real_distribution<float> dist(-range, range);
  for (float& v : p->value) v = dist(rng);
  return p;
}

void ParamStore::ZeroGrad() {
  for (auto& p : params_) std::fill(p->grad.begin(), p->grad.end(), 0.0f);
}

Param* ParamStore::Find(const std::string& name) const {
  for (auto& p : params_) {
    if (p->name == name) return p.get();
  }
  return nullptr;
}

int64_t ParamStore::TotalSize() const {
  int64_t n = 0;
  for (auto& p : params_) n += p->value.size();
  return n;
}

}  // namespace ridge::nn
