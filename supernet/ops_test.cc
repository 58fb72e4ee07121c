// Every operator against a naive double-precision reference (forward) and
// central finite differences (backward). Shapes include stride 2, odd spatial
// sizes and channel counts that are not multiples of 8 or 16.
#include "supernet/ops.h"

#include <cmath>

#include "absl/strings/str_cat.h"

#include "gtest/gtest.h"
#include "supernet/test_util.h"

namespace ridge::nn {
namespace {

using testing::At;
using testing::CheckGradient;
using testing::Dot;
using testing::ExpectNear;
using testing::RandomTensor;
using testing::RandomVector;

struct ConvCase {
  int64_t n, c, h, w, out_c;
  int kernel, stride;
  bool depthwise;
};

std::vector<double> ConvReference(const Tensor& x, const std::vector<float>& wt, const ConvCase& k,
                                  const Dims4& od) {
  const Dims4 id = x.dims();
  const int pad = (k.kernel - 1) / 2;
  std::vector<double> y(od.size(), 0.0);
  for (int64_t n = 0; n < od.n; ++n)
    for (int64_t o = 0; o < od.c; ++o)
      for (int64_t oh = 0; oh < od.h; ++oh)
        for (int64_t ow = 0; ow < od.w; ++ow) {
          double s = 0;
          for (int kh = 0; kh < k.kernel; ++kh)
            for (int kw = 0; kw < k.kernel; ++kw) {
              int64_t ih = oh * k.stride + kh - pad, iw = ow * k.stride + kw - pad;
              if (ih < 0 || iw < 0 || ih >= id.h || iw >= id.w) continue;
              if (k.depthwise) {
                s += double{x.data()[At(id, n, o, ih, iw)]} * wt[(o * k.kernel + kh) * k.kernel + kw];
              } else {
                for (int64_t i = 0; i < id.c; ++i)
                  s += double{x.data()[At(id, n, i, ih, iw)]} *
                       wt[((o * id.c + i) * k.kernel + kh) * k.kernel + kw];
              }
            }
          y[At(od, n, o, oh, ow)] = s;
        }
  return y;
}

class ConvOpTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvOpTest, ForwardMatchesReferenceAndGradientsMatchFiniteDifferences) {
  const ConvCase k = GetParam();
  ConvOp op(k.kernel, k.stride, k.depthwise);
  Tensor x = RandomTensor({k.n, k.c, k.h, k.w}, 1);
  std::vector<float> wt = RandomVector(op.WeightCount(k.c, k.out_c), 2);
  Tensor y;
  for (bool training : {true, false}) {
    ASSERT_TRUE(op.Forward(x, wt.data(), k.out_c, training, &y).ok());
    ExpectNear(y.data(), ConvReference(x, wt, k, y.dims()), 1e-4, 1e-4, training ? "y(train)" : "y(infer)");
  }
  ASSERT_TRUE(op.Forward(x, wt.data(), k.out_c, true, &y).ok());
  const std::vector<float> r = RandomVector(y.size(), 3);
  Tensor dy(y.dims());
  std::copy(r.begin(), r.end(), dy.data());
  Tensor dx;
  std::vector<float> dw(wt.size());
  ASSERT_TRUE(op.Backward(x, wt.data(), dy, &dx, dw.data()).ok());
  auto loss = [&] {
    Tensor out;
    EXPECT_TRUE(op.Forward(x, wt.data(), k.out_c, true, &out).ok());
    return Dot(out.data(), r.data(), out.size());
  };
  CheckGradient(x.data(), x.size(), dx.data(), loss, "dx");
  CheckGradient(wt.data(), wt.size(), dw.data(), loss, "dw");
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvOpTest,
    ::testing::Values(ConvCase{2, 5, 7, 7, 11, 3, 1, false},   // dense 3x3, odd sizes
                      ConvCase{2, 3, 9, 7, 6, 3, 2, false},    // dense 3x3 stride 2, non-square
                      ConvCase{2, 13, 5, 5, 7, 1, 1, false},   // pointwise (weight gradient by GEMM)
                      ConvCase{2, 13, 9, 9, 7, 1, 1, false},   // pointwise on 9x9 (by oneDNN's conv)
                      ConvCase{2, 13, 7, 7, 10, 1, 2, false},  // pointwise stride 2
                      ConvCase{2, 13, 7, 7, 13, 3, 1, true},   // depthwise 3x3
                      ConvCase{2, 13, 9, 9, 13, 3, 2, true},   // depthwise 3x3 stride 2
                      ConvCase{2, 11, 7, 7, 11, 5, 1, true},   // depthwise 5x5
                      ConvCase{2, 11, 9, 7, 11, 5, 2, true},   // depthwise 5x5 stride 2
                      ConvCase{1, 3, 11, 11, 4, 5, 2, false}));  // dense 5x5 stride 2

TEST(BatchNormOp, TrainingUsesBatchStatisticsAndInferenceUsesGiven) {
  BatchNormOp op;
  const Dims4 d{3, 5, 3, 4};
  Tensor x = RandomTensor(d, 4, -2, 3);
  std::vector<float> scale = RandomVector(5, 5, 0.5, 1.5), shift = RandomVector(5, 6);
  std::vector<float> mean(5), var(5);
  Tensor y;
  ASSERT_TRUE(op.Forward(x, scale.data(), shift.data(), true, mean.data(), var.data(), &y).ok());
  std::vector<double> ref(d.size()), want_mean(5), want_var(5);
  const double count = d.n * d.h * d.w;
  for (int64_t c = 0; c < 5; ++c) {
    double s = 0, s2 = 0;
    for (int64_t n = 0; n < d.n; ++n)
      for (int64_t h = 0; h < d.h; ++h)
        for (int64_t w = 0; w < d.w; ++w) s += x.data()[At(d, n, c, h, w)];
    want_mean[c] = s / count;
    for (int64_t n = 0; n < d.n; ++n)
      for (int64_t h = 0; h < d.h; ++h)
        for (int64_t w = 0; w < d.w; ++w) s2 += std::pow(x.data()[At(d, n, c, h, w)] - want_mean[c], 2);
    want_var[c] = s2 / count;  // Biased, as BN normalizes with.
    for (int64_t n = 0; n < d.n; ++n)
      for (int64_t h = 0; h < d.h; ++h)
        for (int64_t w = 0; w < d.w; ++w) {
          int64_t i = At(d, n, c, h, w);
          ref[i] = (x.data()[i] - want_mean[c]) / std::sqrt(want_var[c] + 1e-5) * scale[c] + shift[c];
        }
  }
  ExpectNear(mean.data(), want_mean, 1e-5, 1e-5, "mean");
  ExpectNear(var.data(), want_var, 1e-5, 1e-4, "var");
  ExpectNear(y.data(), ref, 1e-4, 1e-4, "y");

  // Inference with arbitrary running statistics.
  std::vector<float> rmean = RandomVector(5, 7), rvar = RandomVector(5, 8, 0.5, 2);
  ASSERT_TRUE(op.Forward(x, scale.data(), shift.data(), false, rmean.data(), rvar.data(), &y).ok());
  for (int64_t i = 0; i < d.size(); ++i) {
    int64_t c = i % 5;
    ref[i] = (x.data()[i] - rmean[c]) / std::sqrt(rvar[c] + 1e-5) * scale[c] + shift[c];
  }
  ExpectNear(y.data(), ref, 1e-4, 1e-4, "y(infer)");
}

class BatchNormGradientTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(BatchNormGradientTest, Gradients) {
  BatchNormOp op;
  const int64_t c = GetParam();
  const Dims4 d{3, c, 3, 3};
  Tensor x = RandomTensor(d, 9, -2, 2);
  std::vector<float> scale = RandomVector(c, 10, 0.5, 1.5), shift = RandomVector(c, 11);
  std::vector<float> mean(c), var(c);
  Tensor y;
  ASSERT_TRUE(op.Forward(x, scale.data(), shift.data(), true, mean.data(), var.data(), &y).ok());
  const std::vector<float> r = RandomVector(y.size(), 12);
  Tensor dy(d), dx;
  std::copy(r.begin(), r.end(), dy.data());
  std::vector<float> dscale(c), dshift(c);
  absl::Status bs = op.Backward(x, dy, scale.data(), shift.data(), mean.data(), var.data(), &dx, dscale.data(),
                                dshift.data());
  ASSERT_TRUE(bs.ok()) << bs;
  auto loss = [&] {
    Tensor out;
    std::vector<float> m(c), v(c);
    EXPECT_TRUE(op.Forward(x, scale.data(), shift.data(), true, m.data(), v.data(), &out).ok());
    return Dot(out.data(), r.data(), out.size());
  };
  CheckGradient(x.data(), x.size(), dx.data(), loss, "dx", 1e-2f, 1e-2, 3e-2);
  CheckGradient(scale.data(), c, dscale.data(), loss, "dscale");
  CheckGradient(shift.data(), c, dshift.data(), loss, "dshift");
}

// Channel counts below, at and above the 8- and 16-wide vector tiles.
INSTANTIATE_TEST_SUITE_P(Channels, BatchNormGradientTest, ::testing::Values(5, 8, 13, 16, 24, 40));

// BN with ReLU fused (fuse_norm_relu) must equal BN then ReLU, forward and
// backward; compared exactly against the unfused pair rather than by
// differences, which are noisy at the ReLU kink.
TEST(BatchNormOp, FusedReluMatchesBatchNormThenRelu) {
  BatchNormOp plain, fused(/*fuse_relu=*/true);
  EltwiseOp relu(ActivationKind::kRelu);
  const Dims4 d{4, 13, 3, 5};
  Tensor x = RandomTensor(d, 40, -2, 2);
  std::vector<float> scale = RandomVector(13, 41, 0.5, 1.5), shift = RandomVector(13, 42);
  std::vector<float> m1(13), v1(13), m2(13), v2(13);
  Tensor bn_out, relu_out, fused_out;
  ASSERT_TRUE(plain.Forward(x, scale.data(), shift.data(), true, m1.data(), v1.data(), &bn_out).ok());
  ASSERT_TRUE(relu.Forward(bn_out, true, &relu_out).ok());
  ASSERT_TRUE(fused.Forward(x, scale.data(), shift.data(), true, m2.data(), v2.data(), &fused_out).ok());
  ExpectNear(fused_out.data(), std::vector<double>(relu_out.data(), relu_out.data() + relu_out.size()), 1e-6, 1e-6,
             "y");
  Tensor dy = RandomTensor(d, 43), d_bn, dx_plain, dx_fused;
  std::vector<float> ds1(13), dsh1(13), ds2(13), dsh2(13);
  ASSERT_TRUE(relu.Backward(bn_out, dy, &d_bn).ok());
  ASSERT_TRUE(plain.Backward(x, d_bn, scale.data(), shift.data(), m1.data(), v1.data(), &dx_plain, ds1.data(),
                             dsh1.data()).ok());
  ASSERT_TRUE(fused.Backward(x, dy, scale.data(), shift.data(), m2.data(), v2.data(), &dx_fused, ds2.data(),
                             dsh2.data()).ok());
  ExpectNear(dx_fused.data(), std::vector<double>(dx_plain.data(), dx_plain.data() + dx_plain.size()), 1e-5, 1e-4,
             "dx");
  ExpectNear(ds2.data(), std::vector<double>(ds1.begin(), ds1.end()), 1e-5, 1e-4, "dscale");
  ExpectNear(dsh2.data(), std::vector<double>(dsh1.begin(), dsh1.end()), 1e-5, 1e-4, "dshift");
  // Inference: relu(bn with running statistics).
  ASSERT_TRUE(plain.Forward(x, scale.data(), shift.data(), false, m1.data(), v1.data(), &bn_out).ok());
  ASSERT_TRUE(relu.Forward(bn_out, false, &relu_out).ok());
  ASSERT_TRUE(fused.Forward(x, scale.data(), shift.data(), false, m1.data(), v1.data(), &fused_out).ok());
  ExpectNear(fused_out.data(), std::vector<double>(relu_out.data(), relu_out.data() + relu_out.size()), 1e-6, 1e-6,
             "y(infer)");
}

double ActivationReference(ActivationKind kind, double x) {
  switch (kind) {
    case ActivationKind::kRelu: return std::max(x, 0.0);
    case ActivationKind::kRelu6: return std::min(std::max(x, 0.0), 6.0);
    case ActivationKind::kHardSwish: return x * std::min(std::max(x + 3, 0.0), 6.0) / 6;
    case ActivationKind::kGelu: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  }
  return 0;
}

class EltwiseOpTest : public ::testing::TestWithParam<ActivationKind> {};

TEST_P(EltwiseOpTest, ForwardAndGradient) {
  EltwiseOp op(GetParam());
  Tensor x = RandomTensor({2, 16, 3, 5}, 13, -8, 8);
  // Keep inputs away from the kinks at 0, 6, -3 and 3 so differences are smooth.
  for (int64_t i = 0; i < x.size(); ++i) {
    for (float kink : {0.f, 6.f, -3.f, 3.f}) {
      if (std::fabs(x.data()[i] - kink) < 0.05f) x.data()[i] = kink + 0.1f;
    }
  }
  Tensor y;
  ASSERT_TRUE(op.Forward(x, true, &y).ok());
  std::vector<double> ref(x.size());
  for (int64_t i = 0; i < x.size(); ++i) ref[i] = ActivationReference(GetParam(), x.data()[i]);
  ExpectNear(y.data(), ref, 1e-5, 1e-5, "y");
  const std::vector<float> r = RandomVector(y.size(), 14);
  Tensor dy(y.dims()), dx;
  std::copy(r.begin(), r.end(), dy.data());
  ASSERT_TRUE(op.Backward(x, dy, &dx).ok());
  auto loss = [&] {
    Tensor out;
    EXPECT_TRUE(op.Forward(x, true, &out).ok());
    return Dot(out.data(), r.data(), out.size());
  };
  CheckGradient(x.data(), x.size(), dx.data(), loss, "dx", 1e-3f, 2e-3, 2e-2);
}

INSTANTIATE_TEST_SUITE_P(Kinds, EltwiseOpTest,
                         ::testing::Values(ActivationKind::kRelu, ActivationKind::kRelu6,
                                           ActivationKind::kHardSwish, ActivationKind::kGelu));

TEST(AddOp, AddsAndRefusesMismatchedShapes) {
  AddOp op;
  Tensor a = RandomTensor({2, 3, 5, 5}, 15), b = RandomTensor({2, 3, 5, 5}, 16), y;
  ASSERT_TRUE(op.Forward(a, b, &y).ok());
  std::vector<double> ref(a.size());
  for (int64_t i = 0; i < a.size(); ++i) ref[i] = double{a.data()[i]} + b.data()[i];
  ExpectNear(y.data(), ref, 1e-6, 0, "y");
  Tensor c = RandomTensor({2, 4, 5, 5}, 17);
  absl::Status s = op.Forward(a, c, &y);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("add of 2x3x5x5 and 2x4x5x5"), std::string::npos) << s;
}

TEST(ScaleOp, ForwardAndGradients) {
  ScaleOp op;
  Tensor x = RandomTensor({2, 9, 3, 3}, 18), y;
  std::vector<float> s = RandomVector(9, 19);
  ASSERT_TRUE(op.Forward(x, s.data(), &y).ok());
  std::vector<double> ref(x.size());
  for (int64_t i = 0; i < x.size(); ++i) ref[i] = double{x.data()[i]} * s[i % 9];
  ExpectNear(y.data(), ref, 1e-6, 1e-6, "y");
  const std::vector<float> r = RandomVector(y.size(), 20);
  Tensor dy(y.dims()), dx;
  std::copy(r.begin(), r.end(), dy.data());
  std::vector<float> ds(9);
  ASSERT_TRUE(op.Backward(x, s.data(), dy, &dx, ds.data()).ok());
  auto loss = [&] {
    Tensor out;
    EXPECT_TRUE(op.Forward(x, s.data(), &out).ok());
    return Dot(out.data(), r.data(), out.size());
  };
  CheckGradient(x.data(), x.size(), dx.data(), loss, "dx");
  CheckGradient(s.data(), 9, ds.data(), loss, "ds");
}

// PyTorch's channel shuffle, x.view(n, g, c / g, h, w).transpose(1, 2):
// output channel j * g + i is input channel i * (c / g) + j. Channel counts
// other than g * g tell g from c / g apart.
TEST(ChannelShuffleOp, MatchesShuffleNetOrderAndBackwardInverts) {
  for (auto [c, g] : {std::pair<int64_t, int>{12, 2}, {12, 3}, {20, 4}, {6, 1}}) {
    SCOPED_TRACE(absl::StrCat("c=", c, " g=", g));
    ChannelShuffleOp op;
    Tensor x = RandomTensor({2, c, 3, 5}, 23), y, dx;
    ASSERT_TRUE(op.Forward(x, g, &y).ok());
    ASSERT_EQ(y.dims(), x.dims());
    std::vector<double> ref(x.size());
    const int64_t per = c / g;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t h = 0; h < 3; ++h)
        for (int64_t w = 0; w < 5; ++w)
          for (int64_t i = 0; i < g; ++i)
            for (int64_t j = 0; j < per; ++j)
              ref[At(x.dims(), n, j * g + i, h, w)] = x.data()[At(x.dims(), n, i * per + j, h, w)];
    ExpectNear(y.data(), ref, 0, 0, "y");
    // The backward of a permutation is its inverse: it gives x back.
    ASSERT_TRUE(op.Backward(y, g, &dx).ok());
    ExpectNear(dx.data(), std::vector<double>(x.data(), x.data() + x.size()), 0, 0, "dx");
  }
}

TEST(ChannelShuffleOp, RefusesGroupsThatDoNotDivideTheChannels) {
  ChannelShuffleOp op;
  Tensor x = RandomTensor({1, 10, 2, 2}, 24), y;
  absl::Status s = op.Forward(x, 4, &y);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "channel shuffle: 4 groups do not divide 10 channels");
}

TEST(GlobalPoolOp, ForwardAndGradient) {
  GlobalPoolOp op;
  Tensor x = RandomTensor({3, 11, 5, 3}, 21), y;
  ASSERT_TRUE(op.Forward(x, true, &y).ok());
  ASSERT_EQ(y.dims(), (Dims4{3, 11, 1, 1}));
  std::vector<double> ref(33, 0.0);
  for (int64_t n = 0; n < 3; ++n)
    for (int64_t c = 0; c < 11; ++c)
      for (int64_t h = 0; h < 5; ++h)
        for (int64_t w = 0; w < 3; ++w) ref[n * 11 + c] += x.data()[At(x.dims(), n, c, h, w)] / 15.0;
  ExpectNear(y.data(), ref, 1e-6, 1e-6, "y");
  const std::vector<float> r = RandomVector(y.size(), 22);
  Tensor dy(y.dims()), dx;
  std::copy(r.begin(), r.end(), dy.data());
  ASSERT_TRUE(op.Backward(x.dims(), dy, &dx).ok());
  auto loss = [&] {
    Tensor out;
    EXPECT_TRUE(op.Forward(x, true, &out).ok());
    return Dot(out.data(), r.data(), out.size());
  };
  CheckGradient(x.data(), x.size(), dx.data(), loss, "dx");
}

TEST(LinearOp, ForwardAndGradients) {
  LinearOp op;
  Tensor x = RandomTensor({4, 13, 1, 1}, 23), y;
  std::vector<float> w = RandomVector(7 * 13, 24), b = RandomVector(7, 25);
  ASSERT_TRUE(op.Forward(x, w.data(), b.data(), 7, true, &y).ok());
  std::vector<double> ref(28);
  for (int n = 0; n < 4; ++n)
    for (int o = 0; o < 7; ++o) {
      double s = b[o];
      for (int i = 0; i < 13; ++i) s += double{x.data()[n * 13 + i]} * w[o * 13 + i];
      ref[n * 7 + o] = s;
    }
  ExpectNear(y.data(), ref, 1e-5, 1e-5, "y");
  const std::vector<float> r = RandomVector(y.size(), 26);
  Tensor dy(y.dims()), dx;
  std::copy(r.begin(), r.end(), dy.data());
  std::vector<float> dw(w.size()), db(7);
  ASSERT_TRUE(op.Backward(x, w.data(), dy, &dx, dw.data(), db.data()).ok());
  auto loss = [&] {
    Tensor out;
    EXPECT_TRUE(op.Forward(x, w.data(), b.data(), 7, true, &out).ok());
    return Dot(out.data(), r.data(), out.size());
  };
  CheckGradient(x.data(), x.size(), dx.data(), loss, "dx");
  CheckGradient(w.data(), w.size(), dw.data(), loss, "dw");
  CheckGradient(b.data(), b.size(), db.data(), loss, "db");
}

TEST(MatMulOp, AllTranspositionsMatchReference) {
  MatMulOp op;
  const int64_t batch = 2, m = 5, k = 3, n = 7;
  std::vector<float> a = RandomVector(batch * m * k, 27), b = RandomVector(batch * k * n, 28);
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      std::vector<float> c(batch * m * n);
      ASSERT_TRUE(op.Run(a.data(), b.data(), c.data(), batch, m, k, n, ta, tb, 0.5f).ok());
      std::vector<double> ref(c.size());
      for (int64_t bi = 0; bi < batch; ++bi)
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double s = 0;
            for (int64_t p = 0; p < k; ++p) {
              double av = ta ? a[bi * k * m + p * m + i] : a[bi * m * k + i * k + p];
              double bv = tb ? b[bi * n * k + j * k + p] : b[bi * k * n + p * n + j];
              s += av * bv;
            }
            ref[(bi * m + i) * n + j] = 0.5 * s;
          }
      ExpectNear(c.data(), ref, 1e-5, 1e-5, absl::StrCat("c ta=", ta, " tb=", tb));
    }
  }
}

// The attention views against naive loops over NHWC channels: scores of
// query head h of token t against key token j, then the attended output
// written back into the head's channels (MHSA: key head h; Mobile MQA: the
// one shared key head). Odd sizes keep the strides apart.
TEST(MatMulOp, AttentionViewsMatchReference) {
  const int64_t n = 2, heads = 3, tokens = 5, m = 4, dim = 6;
  for (bool multi : {false, true}) {
    SCOPED_TRACE(absl::StrCat("multi_head=", multi));
    const int64_t kv_heads = multi ? heads : 1;
    const std::vector<float> q = RandomVector(n * tokens * heads * dim, 40);
    const std::vector<float> k = RandomVector(n * m * kv_heads * dim, 41), v = RandomVector(k.size(), 42);
    const AttentionViews views = MakeAttentionViews(n, heads, tokens, m, dim, multi);
    MatMulOp op;
    std::vector<float> scores(n * heads * tokens * m), out(q.size());
    ASSERT_TRUE(op.Run(views.q, q.data(), Transposed(views.kv), k.data(), views.scores, scores.data(), 0.5f).ok());
    // probs stand-in: the scores themselves, so the second product is checked on its own.
    ASSERT_TRUE(op.Run(views.scores, scores.data(), views.kv, v.data(), views.q, out.data(), 1.0f).ok());
    // Row of (image b, head h, token t) in the plain scores: MHSA head-major, MQA token-major.
    auto row = [&](int64_t b, int64_t h, int64_t t) {
      return multi ? (b * heads + h) * tokens + t : (b * tokens + t) * heads + h;
    };
    std::vector<double> want_scores(scores.size()), want_out(out.size());
    for (int64_t b = 0; b < n; ++b)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t t = 0; t < tokens; ++t) {
          const int64_t kh = multi ? h : 0;
          const float* qi = &q[(b * tokens + t) * heads * dim + h * dim];
          for (int64_t j = 0; j < m; ++j) {
            double s = 0;
            for (int64_t p = 0; p < dim; ++p) s += double{qi[p]} * k[(b * m + j) * kv_heads * dim + kh * dim + p];
            want_scores[row(b, h, t) * m + j] = 0.5 * s;
          }
          for (int64_t p = 0; p < dim; ++p) {
            double s = 0;
            for (int64_t j = 0; j < m; ++j) {
              s += double{scores[row(b, h, t) * m + j]} * v[(b * m + j) * kv_heads * dim + kh * dim + p];
            }
            want_out[(b * tokens + t) * heads * dim + h * dim + p] = s;
          }
        }
    ExpectNear(scores.data(), want_scores, 1e-5, 1e-5, "scores");
    ExpectNear(out.data(), want_out, 1e-5, 1e-5, "out");
  }
}

TEST(SoftmaxOp, ForwardAndGradient) {
  SoftmaxOp op;
  const int64_t rows = 6, cols = 9;
  std::vector<float> x = RandomVector(rows * cols, 29, -3, 3), y(rows * cols);
  ASSERT_TRUE(op.Forward(x.data(), y.data(), rows, cols).ok());
  std::vector<double> ref(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int64_t c = 0; c < cols; ++c) s += std::exp(double{x[r * cols + c]});
    for (int64_t c = 0; c < cols; ++c) ref[r * cols + c] = std::exp(double{x[r * cols + c]}) / s;
  }
  ExpectNear(y.data(), ref, 1e-6, 1e-5, "y");
  const std::vector<float> r = RandomVector(rows * cols, 30);
  std::vector<float> dx(rows * cols);
  ASSERT_TRUE(op.Backward(y.data(), r.data(), dx.data(), rows, cols).ok());
  auto loss = [&] {
    std::vector<float> out(rows * cols);
    EXPECT_TRUE(op.Forward(x.data(), out.data(), rows, cols).ok());
    return Dot(out.data(), r.data(), out.size());
  };
  CheckGradient(x.data(), x.size(), dx.data(), loss, "dx", 1e-2f, 2e-3, 2e-2);
}

TEST(SoftmaxCrossEntropy, LossAndGradientWithLabelSmoothing) {
  Tensor logits = RandomTensor({4, 10, 1, 1}, 31, -2, 2), dlogits;
  const int labels[] = {3, 0, 9, 5};
  const float smoothing = 0.1f;
  float loss = SoftmaxCrossEntropy(logits, labels, smoothing, &dlogits);
  double want = 0;
  for (int n = 0; n < 4; ++n) {
    double s = 0;
    for (int j = 0; j < 10; ++j) s += std::exp(double{logits.data()[n * 10 + j]});
    for (int j = 0; j < 10; ++j) {
      double target = (j == labels[n] ? 0.9 : 0.0) + 0.01;
      want -= target * (logits.data()[n * 10 + j] - std::log(s));
    }
  }
  EXPECT_NEAR(loss, want / 4, 1e-5);
  Tensor scratch;
  CheckGradient(logits.data(), logits.size(), dlogits.data(),
                [&] { return double{SoftmaxCrossEntropy(logits, labels, smoothing, &scratch)}; }, "dlogits",
                1e-2f, 1e-4, 2e-2);
}

}  // namespace
}  // namespace ridge::nn
