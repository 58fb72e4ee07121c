#include "proto/layers.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proto/validate.h"

namespace ridge {
namespace {

// Output size of a "same"-padded conv: padding (k - 1) / 2, as in MobileNetV4's
// PyTorch and TF reference code; for odd k this is ceil(in / stride).
int64_t ConvOut(int64_t in, int kernel, int stride) {
  int64_t pad = (kernel - 1) / 2;
  return (in + 2 * pad - kernel) / stride + 1;
}

// Builds the layers of one block at a time, checking shape rules as it goes.
class Expander {
 public:
  Expander(const Architecture& arch, absl::string_view path) : arch_(arch), path_(path) {}

  absl::Status Run(NetworkLayers* net) {
    net_ = net;
    cur_ = Dims{arch_.input().height(), arch_.input().width(), arch_.input().channels()};
    const int n = arch_.blocks_size();
    for (block_ = 0; block_ < n; ++block_) {
      const Block& b = arch_.blocks(block_);
      block_path_ = absl::StrCat(path_, ".blocks[", block_, "]");
      if (classified_) return Error("", "comes after the classifier, which must be the last block");
      switch (b.kind_case()) {
        case Block::kConv: RETURN_IF_ERROR(Conv(b.conv())); break;
        case Block::kFusedIb: RETURN_IF_ERROR(Fused(b.fused_ib())); break;
        case Block::kUib: RETURN_IF_ERROR(Uib(b.uib())); break;
        case Block::kMqa: RETURN_IF_ERROR(Mqa(b.mqa())); break;
        case Block::kGlobalPool: RETURN_IF_ERROR(Pool()); break;
        case Block::kClassifier: RETURN_IF_ERROR(Classifier()); break;
        case Block::KIND_NOT_SET: return Error("", "no block kind is set");
      }
      net_->block_outputs.push_back(cur_);
    }
    if (!classified_) {
      return absl::InvalidArgumentError(
          absl::StrCat(path_, ".blocks: must end with global_pool then classifier"));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Error(absl::string_view field, absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(block_path_, field, ": ", message));
  }

  absl::Status CheckSpatial(absl::string_view kind) const {
    if (pooled_) return Error(kind, "is a spatial block and cannot come after global_pool");
    return absl::OkStatus();
  }

  absl::Status CheckStride(absl::string_view field, int stride) const {
    if (stride > 1 && cur_.h == 1 && cur_.w == 1) {
      return Error(field, absl::StrCat(stride, " cannot downsample a 1x1 feature map (the input ",
                                        arch_.input().height(), "x", arch_.input().width(),
                                        " is too small for this network)"));
    }
    return absl::OkStatus();
  }

  absl::Status CheckHidden(absl::string_view field, int64_t hidden) const {
    if (hidden > kMaxChannels) {
      return Error(field, absl::StrCat("expands to ", hidden, " channels, over the limit of ",
                                       kMaxChannels));
    }
    return absl::OkStatus();
  }

  // Grouped 1x1 convs need an expand conv to group, and groups that divide
  // every width they split (input, hidden, output).
  absl::Status CheckGroups(int groups, bool has_expand, std::initializer_list<int64_t> widths) const {
    if (groups == 1) return absl::OkStatus();
    if (!has_expand) {
      return Error(".uib.groups", absl::StrCat(groups, " needs an expand conv (expansion 1 without a start DW "
                                                       "has none unless expand_always is set)"));
    }
    for (int64_t w : widths) {
      if (w % groups != 0) {
        return Error(".uib.groups", absl::StrCat(groups, " does not divide a width of ", w, " channels"));
      }
    }
    return absl::OkStatus();
  }

  Layer& Add(absl::string_view part, LayerKind kind, int64_t out_c, int kernel, int stride) {
    Layer l;
    l.name = absl::StrCat("blocks.", block_, ".", part);
    l.block = block_;
    l.kind = kind;
    l.in = cur_;
    l.kernel = kernel;
    l.stride = stride;
    l.out = Dims{ConvOut(cur_.h, kernel, stride), ConvOut(cur_.w, kernel, stride), out_c};
    net_->layers.push_back(l);
    cur_ = l.out;
    return net_->layers.back();
  }

  absl::Status Conv(const ConvBlock& c) {
    RETURN_IF_ERROR(CheckStride(".conv.stride", c.stride()));
    if (pooled_ && c.kernel() != 1) {
      return Error(".conv.kernel", absl::StrCat(c.kernel(), " must be 1 after global_pool"));
    }
    if (pooled_ && c.stride() != 1) {
      return Error(".conv.stride", absl::StrCat(c.stride(), " must be 1 after global_pool"));
    }
    Layer& l = Add("conv", LayerKind::kConv, c.filters(), c.kernel(), c.stride());
    l.batch_norm = l.activation = true;
    return absl::OkStatus();
  }

  absl::Status Fused(const FusedIBBlock& f) {
    RETURN_IF_ERROR(CheckSpatial(".fused_ib"));
    RETURN_IF_ERROR(CheckStride(".fused_ib.stride", f.stride()));
    const Dims in = cur_;
    int64_t hidden = MakeDivisible(in.c * double{f.expansion()});
    RETURN_IF_ERROR(CheckHidden(".fused_ib.expansion", hidden));
    Layer& e = Add("fused_expand", LayerKind::kConv, hidden, f.kernel(), f.stride());
    e.batch_norm = e.activation = true;
    Layer& p = Add("project", LayerKind::kConv, f.filters(), 1, 1);
    p.batch_norm = true;
    p.residual = f.stride() == 1 && in.c == f.filters();
    return absl::OkStatus();
  }

  absl::Status Uib(const UIBBlock& u) {
    RETURN_IF_ERROR(CheckSpatial(".uib"));
    RETURN_IF_ERROR(CheckStride(".uib.stride", u.stride()));
    const Dims in = cur_;
    const int a = u.start_dw_kernel(), m = u.mid_dw_kernel();
    if (a > 0) {
      // The stride sits on the middle DW when there is one (MobileNetV4, Sec. 4).
      Layer& l = Add("start_dw", LayerKind::kDepthwise, in.c, a, m > 0 ? 1 : u.stride());
      l.batch_norm = true;
    }
    // MobileNetV2's t = 1 block has no expand conv; keep that so the zoo is exact.
    bool has_expand = u.expand_always() || !(u.expansion() == 1.0f && a == 0);
    int64_t hidden = has_expand ? MakeDivisible(in.c * double{u.expansion()}) : in.c;
    RETURN_IF_ERROR(CheckHidden(".uib.expansion", hidden));
    const int groups = std::max(1, u.groups());
    RETURN_IF_ERROR(CheckGroups(groups, has_expand, {in.c, hidden, int64_t{u.filters()}}));
    if (has_expand) {
      Layer& l = Add("expand", LayerKind::kConv, hidden, 1, 1);
      l.batch_norm = l.activation = true;
      l.groups = groups;
      if (groups > 1) l.shuffle_groups = groups;
    }
    if (m > 0) {
      Layer& l = Add("mid_dw", LayerKind::kDepthwise, hidden, m, u.stride());
      l.batch_norm = l.activation = true;
    }
    Layer& p = Add("project", LayerKind::kConv, u.filters(), 1, 1);
    p.batch_norm = true;
    p.groups = groups;
    p.layer_scale = arch_.layer_scale();
    p.residual = u.stride() == 1 && in.c == u.filters();
    return absl::OkStatus();
  }

  absl::Status Mqa(const MQABlock& q) {
    RETURN_IF_ERROR(CheckSpatial(".mqa"));
    RETURN_IF_ERROR(CheckStride(".mqa.kv_stride", q.kv_stride()));
    const Dims in = cur_;
    const int64_t hd = int64_t{q.heads()} * q.key_dim();
    const int64_t kv_heads = q.multi_head() ? q.heads() : 1;  // MHSA: a key and value per head.
    RETURN_IF_ERROR(CheckHidden(".mqa.heads", hd));
    Layer& query = Add("query", LayerKind::kConv, hd, 1, 1);
    query.input_norm_channels = in.c;
    const Dims q_out = cur_;
    // Keys and values: one shared head each, optionally downsampled by a
    // stride-kv 3x3 DW conv with BN (MobileNetV4, Sec. 4.2).
    Dims kv{};
    for (const char* which : {"key", "value"}) {
      cur_ = in;
      if (q.kv_stride() > 1) {
        Layer& dw = Add(absl::StrCat(which, "_dw"), LayerKind::kDepthwise, in.c, 3, q.kv_stride());
        dw.batch_norm = true;
      }
      Add(which, LayerKind::kConv, kv_heads * q.key_dim(), 1, 1);
      kv = cur_;
    }
    const int64_t m = kv.h * kv.w;
    cur_ = q_out;
    Layer& scores = Add("attn_scores", LayerKind::kAttentionScores, q.heads() * m, 1, 1);
    scores.extra_input_elements = m * kv_heads * q.key_dim();
    scores.heads = q.heads(), scores.key_dim = q.key_dim(), scores.kv_tokens = m, scores.kv_heads = kv_heads;
    Layer& values = Add("attn_values", LayerKind::kAttentionValues, hd, 1, 1);
    values.extra_input_elements = m * kv_heads * q.key_dim();
    values.heads = q.heads(), values.key_dim = q.key_dim(), values.kv_tokens = m, values.kv_heads = kv_heads;
    Layer& out = Add("output", LayerKind::kConv, in.c, 1, 1);
    out.layer_scale = arch_.layer_scale();
    out.residual = true;
    return absl::OkStatus();
  }

  absl::Status Pool() {
    if (pooled_) return Error(".global_pool", "appears twice");
    Layer& l = Add("pool", LayerKind::kGlobalPool, cur_.c, 1, 1);
    l.out.h = l.out.w = 1;
    cur_ = l.out;
    pooled_ = true;
    return absl::OkStatus();
  }

  absl::Status Classifier() {
    if (!pooled_) return Error(".classifier", "must come after global_pool");
    if (block_ != arch_.blocks_size() - 1) return Error(".classifier", "must be the last block");
    Layer& l = Add("fc", LayerKind::kFullyConnected, arch_.num_classes(), 1, 1);
    l.bias = true;
    classified_ = true;
    return absl::OkStatus();
  }

  const Architecture& arch_;
  std::string path_, block_path_;
  NetworkLayers* net_ = nullptr;
  Dims cur_;
  int block_ = 0;
  bool pooled_ = false, classified_ = false;
};

}  // namespace

const char* LayerKindName(LayerKind kind) {
  switch (kind) {
    case LayerKind::kConv: return "conv";
    case LayerKind::kDepthwise: return "depthwise";
    case LayerKind::kFullyConnected: return "fc";
    case LayerKind::kGlobalPool: return "pool";
    case LayerKind::kAttentionScores: return "attn_scores";
    case LayerKind::kAttentionValues: return "attn_values";
  }
  return "?";
}

int64_t MakeDivisible(double value, int64_t divisor) {
  int64_t rounded = static_cast<int64_t>(value + divisor / 2.0) / divisor * divisor;
  int64_t result = std::max(divisor, rounded);
  if (result < 0.9 * value) result += divisor;
  return result;
}

absl::StatusOr<NetworkLayers> InferLayers(const Architecture& arch, absl::string_view path) {
  RETURN_IF_ERROR(ValidateArchitecture(arch, path));
  NetworkLayers net;
  RETURN_IF_ERROR(Expander(arch, path).Run(&net));
  return net;
}

}  // namespace ridge
