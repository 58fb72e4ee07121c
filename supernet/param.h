// Trainable parameters and their gradients, owned by a ParamStore.
#ifndef RIDGE_SUPERNET_PARAM_H_
#define RIDGE_SUPERNET_PARAM_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace ridge::nn {

struct Param {
  std::string name;          // e.g. "blocks.3.expand.weight"
  std::vector<int64_t> shape;
  std::vector<float> value;
  std::vector<float> grad;   // Same size; zeroed by ZeroGrad.
  bool decay = true;         // Weight decay applies (not to BN, biases, layer scale).
  bool trainable = true;     // False for BN running statistics (saved, never stepped).
};

// Owns every Param of a network; names are unique. Not thread-safe.
class ParamStore {
 public:
  // Adds a parameter of `shape` filled with `fill`.
  Param* Add(const std::string& name, std::vector<int64_t> shape, float fill, bool decay);
  // Adds a conv weight, normal with std sqrt(2 / fan_out), fan_out = k*k*out
  // per group (as timm's EfficientNet init).
  Param* AddConvWeight(const std::string& name, std::vector<int64_t> shape, int64_t fan_out,
                       std::mt19937& rng);
  // Adds a linear weight, uniform in +-1/sqrt(out).
  Param* AddLinearWeight(const std::string& name, int64_t out, int64_t in, std::mt19937& rng);

  void ZeroGrad();
  const std::vector<std::unique_ptr<Param>>& params() const { return params_; }
  Param* Find(const std::string& name) const;
  int64_t TotalSize() const;

 private:
  std::vector<std::unique_ptr<Param>> params_;
};

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_PARAM_H_
