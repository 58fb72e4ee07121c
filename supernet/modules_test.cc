#include "supernet/modules.h"

#include "gtest/gtest.h"
#include "supernet/test_util.h"

namespace ridge::nn {
namespace {

using testing::CheckGradient;
using testing::Dot;
using testing::RandomTensor;
using testing::RandomVector;

struct ConvBnCase {
  bool batch_norm, activation, depthwise;
  int kernel, stride;
};

class ConvBnTest : public ::testing::TestWithParam<ConvBnCase> {};

TEST_P(ConvBnTest, Gradients) {
  const ConvBnCase k = GetParam();
  ParamStore store;
  std::mt19937 rng(5);
  const int64_t in = 6, out = k.depthwise ? 6 : 7;
  ConvBn m(&store, "m", k.kernel, k.stride, k.depthwise, in, out, k.batch_norm, k.activation,
           ActivationKind::kHardSwish, rng);
  Tensor x = RandomTensor({2, in, 5, 5}, 1);
  ForwardContext ctx{true, 0.0f};
  const Tensor* y;
  ASSERT_TRUE(m.Forward(x, out, ctx, &y).ok());
  const std::vector<float> r = RandomVector(y->size(), 2);
  Tensor dy(y->dims());
  std::copy(r.begin(), r.end(), dy.data());
  store.ZeroGrad();
  const Tensor* dx;
  ASSERT_TRUE(m.Backward(dy, true, &dx).ok());
  std::vector<float> dxv(dx->data(), dx->data() + dx->size());
  auto loss = [&] {
    const Tensor* o;
    EXPECT_TRUE(m.Forward(x, out, ctx, &o).ok());
    return Dot(o->data(), r.data(), o->size());
  };
  CheckGradient(x.data(), x.size(), dxv.data(), loss, "dx", 1e-2f, 1e-2, 3e-2);
  for (auto& p : store.params()) {
    if (!p->trainable) continue;
    std::vector<float> g = p->grad;
    CheckGradient(p->value.data(), p->value.size(), g.data(), loss, p->name, 1e-2f, 1e-2, 3e-2);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, ConvBnTest,
                         ::testing::Values(ConvBnCase{false, false, false, 1, 1}, ConvBnCase{true, false, false, 1, 1},
                                           ConvBnCase{false, true, false, 1, 1}, ConvBnCase{true, true, false, 3, 2},
                                           ConvBnCase{true, true, true, 3, 1}));

}  // namespace
}  // namespace ridge::nn

namespace ridge::nn {
namespace {

TEST(ConvBnChain, TwoLayers) {
  ParamStore store;
  std::mt19937 rng(5);
  ConvBn a(&store, "a", 3, 1, false, 8, 24, true, true, ActivationKind::kHardSwish, rng);
  ConvBn b(&store, "b", 1, 1, false, 24, 8, true, false, ActivationKind::kHardSwish, rng);
  Tensor x = RandomTensor({2, 8, 5, 5}, 1);
  ForwardContext ctx{true, 0.0f};
  auto fwd = [&](const Tensor** out) {
    const Tensor* h;
    EXPECT_TRUE(a.Forward(x, 24, ctx, &h).ok());
    EXPECT_TRUE(b.Forward(*h, 8, ctx, out).ok());
  };
  const Tensor* y;
  fwd(&y);
  const std::vector<float> r = RandomVector(y->size(), 2);
  Tensor dy(y->dims());
  std::copy(r.begin(), r.end(), dy.data());
  store.ZeroGrad();
  const Tensor *dh, *dx;
  ASSERT_TRUE(b.Backward(dy, true, &dh).ok());
  ASSERT_TRUE(a.Backward(*dh, true, &dx).ok());
  std::vector<float> dxv(dx->data(), dx->data() + dx->size());
  auto loss = [&] {
    const Tensor* o;
    fwd(&o);
    return Dot(o->data(), r.data(), o->size());
  };
  CheckGradient(x.data(), x.size(), dxv.data(), loss, "dx", 1e-2f, 1e-2, 3e-2);
  for (auto& p : store.params()) {
    if (!p->trainable) continue;
    std::vector<float> g = p->grad;
    CheckGradient(p->value.data(), p->value.size(), g.data(), loss, p->name, 1e-2f, 1e-2, 3e-2);
  }
}

}  // namespace
}  // namespace ridge::nn
