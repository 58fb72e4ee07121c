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

namespace ridge::nn {
namespace {

// A grouped 1x1 conv by hand, in double: output channel o of group
// o / (out / g) sums the input channels of that group only, with the
// dense [max_out x max_in] weight's entries at (o, i).
std::vector<double> GroupedReference(const Tensor& x, const float* w, int64_t max_in, int64_t out, int g) {
  const Dims4 d = x.dims();
  const int64_t in_per = d.c / g, out_per = out / g;
  std::vector<double> y(d.n * d.h * d.w * out, 0.0);
  for (int64_t p = 0; p < d.n * d.h * d.w; ++p)
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = (o / out_per) * in_per; i < (o / out_per + 1) * in_per; ++i)
        y[p * out + o] += double{w[o * max_in + i]} * x.data()[p * d.c + i];
  return y;
}

// Weights for 6 -> 8, run 4 -> 6 in 2 groups: groups split the active
// prefix (2 + 2 inputs, 3 + 3 outputs), not the stored maximum.
TEST(GroupedConvBn, MatchesAHandComputedGroupedConv) {
  ParamStore store;
  std::mt19937 rng(5);
  ConvBn m(&store, "m", 1, 1, false, 6, 8, false, false, ActivationKind::kRelu, rng);
  Tensor x = RandomTensor({2, 4, 2, 3}, 1);
  const Tensor* y;
  ASSERT_TRUE(m.Forward(x, 6, {true, 0.0f}, &y, 2).ok());
  ASSERT_EQ(y->dims(), (Dims4{2, 6, 2, 3}));
  testing::ExpectNear(y->data(), GroupedReference(x, m.weight()->value.data(), 6, 6, 2), 1e-5, 1e-5, "y");
  // The same weights run dense differ: the blocks off the diagonal count there.
  const Tensor* dense;
  ASSERT_TRUE(m.Forward(x, 6, {true, 0.0f}, &dense, 1).ok());
  EXPECT_NE(dense->data()[0], GroupedReference(x, m.weight()->value.data(), 6, 6, 2)[0]);
}

TEST(GroupedConvBn, GradientsStayInTheDiagonalBlocks) {
  ParamStore store;
  std::mt19937 rng(5);
  ConvBn m(&store, "m", 1, 1, false, 6, 8, true, true, ActivationKind::kHardSwish, rng);
  Tensor x = RandomTensor({2, 4, 3, 3}, 1);
  ForwardContext ctx{true, 0.0f};
  const Tensor* y;
  ASSERT_TRUE(m.Forward(x, 6, ctx, &y, 2).ok());
  const std::vector<float> r = RandomVector(y->size(), 2);
  Tensor dy(y->dims());
  std::copy(r.begin(), r.end(), dy.data());
  store.ZeroGrad();
  const Tensor* dx;
  ASSERT_TRUE(m.Backward(dy, true, &dx).ok());
  std::vector<float> dxv(dx->data(), dx->data() + dx->size());
  for (int64_t o = 0; o < 8; ++o) {
    for (int64_t i = 0; i < 6; ++i) {
      const bool used = o < 6 && i < 4 && o / 3 == i / 2;
      if (!used) {
        EXPECT_EQ(m.weight()->grad[o * 6 + i], 0.0f) << "weight (" << o << ", " << i << ")";
      }
    }
  }
  auto loss = [&] {
    const Tensor* out;
    EXPECT_TRUE(m.Forward(x, 6, ctx, &out, 2).ok());
    return Dot(out->data(), r.data(), out->size());
  };
  CheckGradient(x.data(), x.size(), dxv.data(), loss, "dx", 1e-2f, 1e-2, 3e-2);
  for (auto& p : store.params()) {
    if (!p->trainable) continue;
    std::vector<float> g = p->grad;
    CheckGradient(p->value.data(), p->value.size(), g.data(), loss, p->name, 1e-2f, 1e-2, 3e-2);
  }
}

TEST(GroupedConvBn, RefusesGroupsThatDoNotFit) {
  ParamStore store;
  std::mt19937 rng(5);
  ConvBn pointwise(&store, "p", 1, 1, false, 6, 8, false, false, ActivationKind::kRelu, rng);
  ConvBn depthwise(&store, "d", 3, 1, true, 6, 6, false, false, ActivationKind::kRelu, rng);
  Tensor x = RandomTensor({1, 6, 2, 2}, 1);
  const Tensor* y;
  absl::Status s = pointwise.Forward(x, 8, {}, &y, 4);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "p.weight: groups 4 do not fit a conv 6 -> 8");
  s = depthwise.Forward(x, 6, {}, &y, 2);
  EXPECT_EQ(s.message(), "d.weight: groups 2 do not fit a depthwise conv 6 -> 6");
}

TEST(DiagonalBlocks, TakesEachRowsOwnBlock) {
  // 4 x 6 in 2 groups: rows 0-1 keep columns 0-2, rows 2-3 columns 3-5.
  std::vector<float> dense(24);
  for (int k = 0; k < 24; ++k) dense[k] = static_cast<float>(k);
  EXPECT_EQ(DiagonalBlocks(dense.data(), 4, 6, 1, 2),
            (std::vector<float>{0, 1, 2, 6, 7, 8, 15, 16, 17, 21, 22, 23}));
  ZeroOffDiagonalBlocks(dense.data(), 4, 6, 1, 2);
  EXPECT_EQ(dense, (std::vector<float>{0, 1, 2, 0, 0, 0, 6, 7, 8, 0, 0, 0,  //
                                       0, 0, 0, 15, 16, 17, 0, 0, 0, 21, 22, 23}));
}

}  // namespace
}  // namespace ridge::nn
