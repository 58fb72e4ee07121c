#include "supernet/modules.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace ridge::nn {

void GatherPrefix(const float* full, int64_t max_cols, int64_t rows, int64_t cols, int64_t inner,
                  float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(out + r * cols * inner, full + r * max_cols * inner, sizeof(float) * cols * inner);
  }
}

void ScatterAddPrefix(const float* part, int64_t max_cols, int64_t rows, int64_t cols, int64_t inner,
                      float* full) {
  for (int64_t r = 0; r < rows; ++r) {
    float* dst = full + r * max_cols * inner;
    const float* src = part + r * cols * inner;
    for (int64_t i = 0; i < cols * inner; ++i) dst[i] += src[i];
  }
}

void ZeroOffDiagonalBlocks(float* w, int64_t rows, int64_t cols, int64_t inner, int groups) {
  const int64_t rows_per = rows / groups, cols_per = cols / groups;
  for (int64_t r = 0; r < rows; ++r) {
    float* row = w + r * cols * inner;
    const int64_t begin = (r / rows_per) * cols_per * inner, end = begin + cols_per * inner;
    std::fill(row, row + begin, 0.0f);
    std::fill(row + end, row + cols * inner, 0.0f);
  }
}

std::vector<float> DiagonalBlocks(const float* dense, int64_t rows, int64_t cols, int64_t inner, int groups) {
  const int64_t rows_per = rows / groups, cols_per = cols / groups;
  std::vector<float> out(rows * cols_per * inner);
  for (int64_t r = 0; r < rows; ++r) {
    const float* block = dense + (r * cols + (r / rows_per) * cols_per) * inner;
    std::copy(block, block + cols_per * inner, out.begin() + r * cols_per * inner);
  }
  return out;
}

void AddInto(Tensor* acc, const Tensor& t) {
  float* a = acc->data();
  const float* b = t.data();
  for (int64_t i = 0, n = t.size(); i < n; ++i) a[i] += b[i];
}

namespace {

// BN parameters and running statistics over `c` channels.
struct BnParams {
  Param *scale, *shift, *running_mean, *running_var;
};

BnParams AddBn(ParamStore* store, const std::string& name, int64_t c) {
  BnParams p;
  p.scale = store->Add(name + ".scale", {c}, 1.0f, false);
  p.shift = store->Add(name + ".shift", {c}, 0.0f, false);
  p.running_mean = store->Add(name + ".running_mean", {c}, 0.0f, false);
  p.running_var = store->Add(name + ".running_var", {c}, 1.0f, false);
  p.running_mean->trainable = p.running_var->trainable = false;
  return p;
}

// running = (1 - m) running + m batch, with the unbiased batch variance.
void UpdateRunning(const ForwardContext& ctx, const Dims4& d, const std::vector<float>& mean,
                   const std::vector<float>& var, Param* running_mean, Param* running_var) {
  if (!ctx.training || ctx.bn_momentum <= 0) return;
  const double count = static_cast<double>(d.n) * d.h * d.w;
  const float unbias = count > 1 ? static_cast<float>(count / (count - 1)) : 1.0f;
  const float m = ctx.bn_momentum;
  for (int64_t c = 0; c < d.c; ++c) {
    running_mean->value[c] = (1 - m) * running_mean->value[c] + m * mean[c];
    running_var->value[c] = (1 - m) * running_var->value[c] + m * var[c] * unbias;
  }
}

}  // namespace

ConvBn::ConvBn(ParamStore* store, const std::string& name, int kernel, int stride, bool depthwise,
               int64_t max_in, int64_t max_out, bool batch_norm, bool activation, ActivationKind act,
               std::mt19937& rng)
    : kernel_(kernel),
      depthwise_(depthwise),
      batch_norm_(batch_norm),
      activation_(activation),
      fused_relu_(batch_norm && activation && act == ActivationKind::kRelu),
      max_in_(max_in),
      max_out_(max_out),
      conv_(kernel, stride, depthwise),
      bn_(fused_relu_),
      act_(act) {
  const int64_t k2 = int64_t{kernel} * kernel;
  std::vector<int64_t> shape = {max_out, depthwise ? 1 : max_in, kernel, kernel};
  weight_ = store->AddConvWeight(name + ".weight", shape, depthwise ? k2 : k2 * max_out, rng);
  if (batch_norm) {
    BnParams bn = AddBn(store, name + ".bn", max_out);
    scale_ = bn.scale, shift_ = bn.shift, running_mean_ = bn.running_mean, running_var_ = bn.running_var;
  }
}

absl::Status ConvBn::CheckActive(int64_t in_c, int64_t out_c, int groups) const {
  if (in_c > max_in_ || out_c > max_out_ || (depthwise_ && in_c != out_c)) {
    return absl::InvalidArgumentError(absl::StrCat(weight_->name, ": active ", in_c, " -> ", out_c,
                                                   " exceeds ", max_in_, " -> ", max_out_));
  }
  if (groups < 1 || (groups > 1 && (depthwise_ || in_c % groups != 0 || out_c % groups != 0))) {
    return absl::InvalidArgumentError(absl::StrCat(weight_->name, ": groups ", groups, " do not fit a ",
                                                   depthwise_ ? "depthwise " : "", "conv ", in_c, " -> ", out_c));
  }
  return absl::OkStatus();
}

const float* ConvBn::ActiveWeights(int64_t in_c, int64_t out_c) {
  const int64_t inner = int64_t{kernel_} * kernel_;
  const int64_t cols = depthwise_ ? 1 : in_c, max_cols = depthwise_ ? 1 : max_in_;
  if (out_c == max_out_ && cols == max_cols && groups_ == 1) return weight_->value.data();
  w_active_.resize(out_c * cols * inner);
  GatherPrefix(weight_->value.data(), max_cols, out_c, cols, inner, w_active_.data());
  if (groups_ > 1) ZeroOffDiagonalBlocks(w_active_.data(), out_c, cols, inner, groups_);
  return w_active_.data();
}

absl::Status ConvBn::Forward(const Tensor& x, int64_t out_c, const ForwardContext& ctx, const Tensor** y,
                             int groups) {
  const int64_t in_c = x.dims().c;
  RETURN_IF_ERROR(CheckActive(in_c, out_c, groups));
  x_ = &x;
  out_c_ = out_c;
  groups_ = groups;
  RETURN_IF_ERROR(conv_.Forward(x, ActiveWeights(in_c, out_c), out_c, ctx.training, &conv_out_));
  const Tensor* pre_act = &conv_out_;
  if (batch_norm_) {
    batch_mean_.resize(out_c);
    batch_var_.resize(out_c);
    float* mean = ctx.training ? batch_mean_.data() : running_mean_->value.data();
    float* var = ctx.training ? batch_var_.data() : running_var_->value.data();
    RETURN_IF_ERROR(bn_.Forward(conv_out_, scale_->value.data(), shift_->value.data(), ctx.training, mean,
                                var, &bn_out_));
    UpdateRunning(ctx, conv_out_.dims(), batch_mean_, batch_var_, running_mean_, running_var_);
    pre_act = &bn_out_;
  }
  if (!activation_ || fused_relu_) {
    *y = pre_act;
    return absl::OkStatus();
  }
  pre_act_ = pre_act;
  RETURN_IF_ERROR(act_.Forward(*pre_act, ctx.training, &act_out_));
  *y = &act_out_;
  return absl::OkStatus();
}

absl::Status ConvBn::Backward(const Tensor& dy, bool want_dx, const Tensor** dx) {
  const Tensor* d = &dy;
  if (activation_ && !fused_relu_) {
    RETURN_IF_ERROR(act_.Backward(*pre_act_, dy, &d_bn_out_));
    d = &d_bn_out_;
  }
  if (batch_norm_) {
    dscale_.resize(out_c_);
    dshift_.resize(out_c_);
    RETURN_IF_ERROR(bn_.Backward(conv_out_, *d, scale_->value.data(), shift_->value.data(),
                                 batch_mean_.data(), batch_var_.data(), &d_conv_out_, dscale_.data(),
                                 dshift_.data()));
    for (int64_t c = 0; c < out_c_; ++c) {
      scale_->grad[c] += dscale_[c];
      shift_->grad[c] += dshift_[c];
    }
    d = &d_conv_out_;
  }
  const int64_t in_c = x_->dims().c, inner = int64_t{kernel_} * kernel_;
  const int64_t cols = depthwise_ ? 1 : in_c, max_cols = depthwise_ ? 1 : max_in_;
  dw_active_.resize(out_c_ * cols * inner);
  RETURN_IF_ERROR(conv_.Backward(*x_, ActiveWeights(in_c, out_c_), *d, want_dx ? &dx_ : nullptr,
                                 dw_active_.data()));
  // The dense conv's gradient outside the blocks belongs to weights a grouped op does not use.
  if (groups_ > 1) ZeroOffDiagonalBlocks(dw_active_.data(), out_c_, cols, inner, groups_);
  ScatterAddPrefix(dw_active_.data(), max_cols, out_c_, cols, inner, weight_->grad.data());
  if (dx != nullptr) *dx = want_dx ? &dx_ : nullptr;
  return absl::OkStatus();
}

Norm::Norm(ParamStore* store, const std::string& name, int64_t max_c) : max_c_(max_c) {
  BnParams bn = AddBn(store, name, max_c);
  scale_ = bn.scale, shift_ = bn.shift, running_mean_ = bn.running_mean, running_var_ = bn.running_var;
}

absl::Status Norm::Forward(const Tensor& x, const ForwardContext& ctx, const Tensor** y) {
  const int64_t c = x.dims().c;
  if (c > max_c_) {
    return absl::InvalidArgumentError(absl::StrCat(scale_->name, ": ", c, " channels exceed ", max_c_));
  }
  x_ = &x;
  batch_mean_.resize(c);
  batch_var_.resize(c);
  float* mean = ctx.training ? batch_mean_.data() : running_mean_->value.data();
  float* var = ctx.training ? batch_var_.data() : running_var_->value.data();
  RETURN_IF_ERROR(bn_.Forward(x, scale_->value.data(), shift_->value.data(), ctx.training, mean, var, &y_));
  UpdateRunning(ctx, x.dims(), batch_mean_, batch_var_, running_mean_, running_var_);
  *y = &y_;
  return absl::OkStatus();
}

absl::Status Norm::Backward(const Tensor& dy, const Tensor** dx) {
  const int64_t c = x_->dims().c;
  dscale_.resize(c);
  dshift_.resize(c);
  RETURN_IF_ERROR(bn_.Backward(*x_, dy, scale_->value.data(), shift_->value.data(), batch_mean_.data(),
                               batch_var_.data(), &dx_, dscale_.data(), dshift_.data()));
  for (int64_t k = 0; k < c; ++k) {
    scale_->grad[k] += dscale_[k];
    shift_->grad[k] += dshift_[k];
  }
  if (dx != nullptr) *dx = &dx_;
  return absl::OkStatus();
}

Linear::Linear(ParamStore* store, const std::string& name, int64_t max_in, int64_t out, std::mt19937& rng)
    : max_in_(max_in), out_(out) {
  weight_ = store->AddLinearWeight(name + ".weight", out, max_in, rng);
  bias_ = store->Add(name + ".bias", {out}, 0.0f, false);
}

absl::Status Linear::Forward(const Tensor& x, const ForwardContext& ctx, const Tensor** y) {
  const int64_t in = x.dims().c;
  if (in > max_in_ || x.dims().h != 1 || x.dims().w != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(weight_->name, ": input ", x.dims().ToString(), " does not fit ", max_in_, " x 1 x 1"));
  }
  x_ = &x;
  const float* w = weight_->value.data();
  if (in != max_in_) {
    w_active_.resize(out_ * in);
    GatherPrefix(weight_->value.data(), max_in_, out_, in, 1, w_active_.data());
    w = w_active_.data();
  }
  RETURN_IF_ERROR(op_.Forward(x, w, bias_->value.data(), out_, ctx.training, &y_));
  *y = &y_;
  return absl::OkStatus();
}

absl::Status Linear::Backward(const Tensor& dy, const Tensor** dx) {
  const int64_t in = x_->dims().c;
  const float* w = in == max_in_ ? weight_->value.data() : w_active_.data();
  dw_active_.resize(out_ * in);
  std::vector<float> db(out_);
  RETURN_IF_ERROR(op_.Backward(*x_, w, dy, &dx_, dw_active_.data(), db.data()));
  ScatterAddPrefix(dw_active_.data(), max_in_, out_, in, 1, weight_->grad.data());
  for (int64_t o = 0; o < out_; ++o) bias_->grad[o] += db[o];
  if (dx != nullptr) *dx = &dx_;
  return absl::OkStatus();
}

}  // namespace ridge::nn
