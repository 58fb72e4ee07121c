// The NHWC depthwise kernels must equal oneDNN's depthwise convolution,
// forward and backward, on the shapes the engine uses.
#include "supernet/depthwise.h"

#include "gtest/gtest.h"
#include "supernet/ops.h"
#include "supernet/test_util.h"

namespace ridge::nn {
namespace {

struct Case {
  int64_t n, c, h, w;
  int k, s;
};

class DepthwiseTest : public ::testing::TestWithParam<Case> {};

TEST_P(DepthwiseTest, MatchesOneDnn) {
  const Case t = GetParam();
  ConvOp reference(t.k, t.s, /*depthwise=*/true, /*onednn_only=*/true);
  Tensor x = testing::RandomTensor({t.n, t.c, t.h, t.w}, 1);
  std::vector<float> w = testing::RandomVector(t.c * t.k * t.k, 2);
  Tensor want_y;
  ASSERT_TRUE(reference.Forward(x, w.data(), t.c, true, &want_y).ok());
  Tensor y(want_y.dims());
  DepthwiseForward(x, w.data(), t.k, t.s, &y);
  testing::ExpectNear(y.data(), std::vector<double>(want_y.data(), want_y.data() + want_y.size()), 1e-5, 1e-5, "y");

  Tensor dy = testing::RandomTensor(want_y.dims(), 3), want_dx;
  std::vector<float> want_dw(w.size());
  ASSERT_TRUE(reference.Backward(x, w.data(), dy, &want_dx, want_dw.data()).ok());
  Tensor dx(x.dims());
  std::vector<float> dw(w.size());
  DepthwiseBackwardData(dy, w.data(), t.k, t.s, &dx);
  DepthwiseBackwardWeights(x, dy, t.k, t.s, dw.data());
  testing::ExpectNear(dx.data(), std::vector<double>(want_dx.data(), want_dx.data() + want_dx.size()), 1e-5, 1e-5,
                      "dx");
  testing::ExpectNear(dw.data(), std::vector<double>(want_dw.begin(), want_dw.end()), 1e-4, 1e-4, "dw");
}

INSTANTIATE_TEST_SUITE_P(Shapes, DepthwiseTest,
                         ::testing::Values(Case{2, 13, 7, 7, 3, 1}, Case{2, 13, 9, 7, 3, 2}, Case{3, 11, 7, 9, 5, 1},
                                           Case{2, 11, 9, 9, 5, 2}, Case{1, 24, 4, 4, 5, 2}, Case{2, 16, 1, 1, 3, 1}));

}  // namespace
}  // namespace ridge::nn
