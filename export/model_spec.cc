#include "export/model_spec.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proto/architecture.h"
#include "proto/layers.h"
#include "supernet/modules.h"

namespace ridge::exporter {
namespace {

ConvSpec Conv(const std::string& role, const std::string& param, int64_t in, int64_t out, int kernel, int stride,
              bool depthwise, bool batch_norm, bool activation) {
  return ConvSpec{role, param, in, out, kernel, stride, depthwise, batch_norm, activation};
}

// Mirrors supernet/blocks.cc: which ConvBn ops a block runs, under which
// names. A standalone network's UIB start DW carries the stride only when
// there is no middle DW, and is named by kernel and stride.
void AddConvs(const Block& b, const std::string& p, BlockSpec* s) {
  switch (b.kind_case()) {
    case Block::kConv:
      s->convs = {Conv("conv", p + ".conv", s->in, s->out, s->kernel, s->stride, false, true, true)};
      break;
    case Block::kFusedIb:
      s->convs = {Conv("expand", absl::StrCat(p, ".expand_k", s->kernel), s->in, s->hidden, s->kernel, s->stride,
                       false, true, true),
                  Conv("project", p + ".project", s->hidden, s->out, 1, 1, false, true, false)};
      break;
    case Block::kUib: {
      const int start_stride = s->mid_dw > 0 ? 1 : s->stride;
      if (s->start_dw > 0) {
        s->convs.push_back(Conv("start_dw", absl::StrCat(p, ".start_dw_k", s->start_dw, "_s", start_stride), s->in,
                                s->in, s->start_dw, start_stride, true, true, false));
      }
      if (s->expand) s->convs.push_back(Conv("expand", p + ".expand", s->in, s->hidden, 1, 1, false, true, true));
      if (s->mid_dw > 0) {
        s->convs.push_back(Conv("mid_dw", absl::StrCat(p, ".mid_dw_k", s->mid_dw), s->hidden, s->hidden, s->mid_dw,
                                s->stride, true, true, true));
      }
      s->convs.push_back(Conv("project", p + ".project", s->hidden, s->out, 1, 1, false, true, false));
      break;
    }
    case Block::kMqa: {
      const int64_t c = s->in, qk = int64_t{s->heads} * s->key_dim;
      const int64_t kv = s->multi_head ? qk : s->key_dim;  // MHSA: a key and value head per query head.
      s->convs.push_back(Conv("query", p + ".query", c, qk, 1, 1, false, false, false));
      for (const char* path : {"key", "value"}) {
        if (s->kv_stride > 1) {
          s->convs.push_back(Conv(absl::StrCat(path, "_dw"), absl::StrCat(p, ".", path, "_dw"), c, c, 3, 2, true,
                                  true, false));
        }
        s->convs.push_back(Conv(path, absl::StrCat(p, ".", path), c, kv, 1, 1, false, false, false));
      }
      s->convs.push_back(Conv("output", p + ".output", qk, c, 1, 1, false, false, false));
      break;
    }
    default:
      break;
  }
}

BlockSpec DescribeBlock(const Block& b, int index, int64_t in, const Dims& out, bool layer_scale) {
  BlockSpec s;
  s.kind = b.kind_case();
  s.prefix = absl::StrCat("blocks.", index);
  s.in = in, s.out = out.c, s.out_h = out.h, s.out_w = out.w;
  if (b.has_conv()) s.kernel = b.conv().kernel(), s.stride = b.conv().stride();
  if (b.has_fused_ib()) {
    s.kernel = b.fused_ib().kernel(), s.stride = b.fused_ib().stride();
    s.hidden = MakeDivisible(in * double{b.fused_ib().expansion()});
    s.residual = s.stride == 1 && in == s.out;
  }
  if (b.has_uib()) {
    const UIBBlock& u = b.uib();
    s.start_dw = u.start_dw_kernel(), s.mid_dw = u.mid_dw_kernel(), s.stride = u.stride();
    s.expand = u.expand_always() || !(u.expansion() == 1.0f && s.start_dw == 0);
    s.groups = std::max(1, u.groups());
    s.hidden = s.expand ? MakeDivisible(in * double{u.expansion()}) : in;
    s.residual = s.stride == 1 && in == s.out;
    s.layer_scale = layer_scale;
  }
  if (b.has_mqa()) {
    s.heads = b.mqa().heads(), s.key_dim = b.mqa().key_dim(), s.kv_stride = b.mqa().kv_stride();
    s.multi_head = b.mqa().multi_head();
    s.residual = true;
    s.layer_scale = layer_scale;
  }
  AddConvs(b, s.prefix, &s);
  return s;
}

// Each conv's groups, shuffle and output size, from shape inference, whose
// layers are named "<prefix>.<role>" for the convs of conv and UIB blocks.
void AddLayerFacts(const NetworkLayers& layers, BlockSpec* s) {
  for (ConvSpec& c : s->convs) {
    for (const Layer& l : layers.layers) {
      if (l.name != absl::StrCat(s->prefix, ".", c.role)) continue;
      c.groups = l.groups, c.shuffle = l.shuffle_groups, c.out_h = l.out.h, c.out_w = l.out.w;
    }
  }
}

// A Python identifier from the architecture's name.
std::string PythonName(const Architecture& arch) {
  std::string name = arch.name().empty() ? "ridge_" + ArchitectureId(arch) : arch.name();
  for (char& c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  if (absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) name = "m_" + name;
  return name;
}

}  // namespace

absl::StatusOr<ModelSpec> DescribeModel(const Architecture& arch) {
  ASSIGN_OR_RETURN(NetworkLayers layers, InferLayers(arch));
  ModelSpec spec;
  spec.name = PythonName(arch);
  spec.encoding = CanonicalEncoding(arch);
  spec.height = arch.input().height(), spec.width = arch.input().width();
  spec.channels = arch.input().channels(), spec.classes = arch.num_classes();
  spec.activation = arch.activation();
  int64_t in = spec.channels;
  for (int i = 0; i < arch.blocks_size(); ++i) {
    spec.blocks.push_back(DescribeBlock(arch.blocks(i), i, in, layers.block_outputs[i], arch.layer_scale()));
    AddLayerFacts(layers, &spec.blocks.back());
    in = layers.block_outputs[i].c;
  }
  return spec;
}

int64_t NamedTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

// Adds state_dict entry `name` from Ridge parameter `param`, checking its size.
class StateDictBuilder {
 public:
  explicit StateDictBuilder(const nn::ParamStore& params) : params_(params) {}

  absl::Status Float(const std::string& name, const std::string& param, std::vector<int64_t> shape) {
    NamedTensor t{name, std::move(shape), DType::kFloat32, ""};
    ASSIGN_OR_RETURN(const nn::Param* p, Find(param, t.numel()));
    t.bytes.assign(reinterpret_cast<const char*>(p->value.data()), p->value.size() * sizeof(float));
    out_.push_back(std::move(t));
    return absl::OkStatus();
  }

  // A grouped conv's weight [out, in / groups, k, k]: the diagonal blocks of
  // Ridge's dense [out, in, k, k] one, which are all a grouped op uses
  // (supernet/modules.h).
  absl::Status GroupedWeight(const std::string& name, const ConvSpec& c) {
    const int64_t inner = int64_t{c.kernel} * c.kernel;
    ASSIGN_OR_RETURN(const nn::Param* p, Find(c.param + ".weight", c.out * c.in * inner));
    const std::vector<float> blocks = nn::DiagonalBlocks(p->value.data(), c.out, c.in, inner, c.groups);
    NamedTensor t{name, {c.out, c.in / c.groups, c.kernel, c.kernel}, DType::kFloat32, ""};
    t.bytes.assign(reinterpret_cast<const char*>(blocks.data()), blocks.size() * sizeof(float));
    out_.push_back(std::move(t));
    return absl::OkStatus();
  }

  // A BatchNorm2d's five entries from Ridge's BN parameters `param`.{scale, ...}.
  absl::Status BatchNorm(const std::string& name, const std::string& param, int64_t c) {
    RETURN_IF_ERROR(Float(name + ".weight", param + ".scale", {c}));
    RETURN_IF_ERROR(Float(name + ".bias", param + ".shift", {c}));
    RETURN_IF_ERROR(Float(name + ".running_mean", param + ".running_mean", {c}));
    RETURN_IF_ERROR(Float(name + ".running_var", param + ".running_var", {c}));
    out_.push_back(NamedTensor{name + ".num_batches_tracked", {}, DType::kInt64, std::string(8, '\0')});
    return absl::OkStatus();
  }

  absl::Status Conv(const std::string& block, const ConvSpec& c) {
    const std::string name = absl::StrCat(block, ".", c.role);
    if (c.groups > 1) {
      RETURN_IF_ERROR(GroupedWeight(name + ".conv.weight", c));
    } else {
      RETURN_IF_ERROR(Float(name + ".conv.weight", c.param + ".weight",
                            {c.out, c.depthwise ? 1 : c.in, c.kernel, c.kernel}));
    }
    if (c.batch_norm) RETURN_IF_ERROR(BatchNorm(name + ".bn", c.param + ".bn", c.out));
    return absl::OkStatus();
  }

  // Every parameter of the network must have been exported exactly once;
  // anything else means this file and supernet/blocks.cc disagree.
  absl::StatusOr<std::vector<NamedTensor>> Take() {
    if (used_ != params_.params().size()) {
      return absl::InternalError(absl::StrCat("the export covers ", used_, " parameters; the network has ",
                                              params_.params().size()));
    }
    return std::move(out_);
  }

 private:
  // Parameter `param`, which must hold `size` floats; counted as exported.
  absl::StatusOr<const nn::Param*> Find(const std::string& param, int64_t size) {
    const nn::Param* p = params_.Find(param);
    if (p == nullptr) return absl::InvalidArgumentError(absl::StrCat("the network has no parameter '", param, "'"));
    if (static_cast<int64_t>(p->value.size()) != size) {
      return absl::InvalidArgumentError(absl::StrCat("parameter '", param, "' has ", p->value.size(),
                                                     " values; the export expects ", size));
    }
    ++used_;
    return p;
  }

  const nn::ParamStore& params_;
  std::vector<NamedTensor> out_;
  size_t used_ = 0;
};

}  // namespace

absl::StatusOr<std::vector<NamedTensor>> StateDict(const ModelSpec& spec, const nn::ParamStore& params) {
  StateDictBuilder sd(params);
  for (const BlockSpec& b : spec.blocks) {
    if (b.kind == Block::kMqa) RETURN_IF_ERROR(sd.BatchNorm(b.prefix + ".norm", b.prefix + ".norm", b.in));
    for (const ConvSpec& c : b.convs) RETURN_IF_ERROR(sd.Conv(b.prefix, c));
    if (b.layer_scale) RETURN_IF_ERROR(sd.Float(b.prefix + ".layer_scale.gamma", b.prefix + ".layer_scale", {b.out}));
    if (b.kind == Block::kClassifier) {
      RETURN_IF_ERROR(sd.Float(b.prefix + ".fc.weight", b.prefix + ".fc.weight", {spec.classes, b.in}));
      RETURN_IF_ERROR(sd.Float(b.prefix + ".fc.bias", b.prefix + ".fc.bias", {spec.classes}));
    }
  }
  return sd.Take();
}

}  // namespace ridge::exporter
