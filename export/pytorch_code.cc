#include "export/pytorch_code.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace ridge::exporter {
namespace {

// The block classes. Every choice here mirrors Ridge's engine:
// - convs have no bias and pad (k - 1) // 2 on every side, also at stride 2;
// - BN has epsilon 1e-5 and momentum 0.1 with the unbiased running variance,
//   as supernet/modules.cc updates it;
// - GELU is the exact (erf) form, hard-swish is x * relu6(x + 3) / 6, as
//   oneDNN's eltwise_gelu_erf and eltwise_hardswish;
// - a UIB with groups > 1 (FBNet's g2 ops) has grouped expand and project
//   convs, whose weights are the diagonal blocks of Ridge's dense ones, and
//   ShuffleNet's channel shuffle after the expand (BN and activation first);
// - Mobile MQA: BN on the input, 1x1 query to heads * key_dim, one shared key
//   and value head (each optionally a stride-2 3x3 DW conv with BN first),
//   softmax(q k^T / sqrt(key_dim)) v, 1x1 output, layer scale, residual;
//   the query's channels are head-major (head h owns channels
//   [h * key_dim, (h + 1) * key_dim)), as in supernet/blocks.cc;
// - MHSA (multi_head) is the same with a key and value head per query head,
//   their channels head-major like the query's.
constexpr char kClasses[] = R"PY(
import os

import torch
from torch import nn

BN_EPS = 1e-5
BN_MOMENTUM = 0.1


def make_activation(name):
    """The network's activation: relu, relu6, hard_swish or gelu (exact, erf)."""
    return {"relu": nn.ReLU, "relu6": nn.ReLU6, "hard_swish": nn.Hardswish, "gelu": nn.GELU}[name]()


class ConvBN(nn.Module):
    """k x k conv without bias (padding (k - 1) // 2, optionally grouped), then BN, then the activation."""

    def __init__(self, cin, cout, kernel, stride=1, depthwise=False, bn=True, act=None, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=cin if depthwise else groups,
                              bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM) if bn else None
        self.act = make_activation(act) if act else None

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.act is not None:
            x = self.act(x)
        return x


class ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle: channels as (groups, c // groups), transposed."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        return x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class LayerScale(nn.Module):
    """Per-channel scale of a branch (MobileNetV4 hybrid models)."""

    def __init__(self, channels):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((channels,), 1e-5))

    def forward(self, x):
        return x * self.gamma.view(1, -1, 1, 1)


class ConvBlock(nn.Module):
    """conv(k, s, c): conv, BN, activation."""

    def __init__(self, cin, cout, kernel, stride, act):
        super().__init__()
        self.conv = ConvBN(cin, cout, kernel, stride, act=act)

    def forward(self, x):
        return self.conv(x)


class FusedIB(nn.Module):
    """Fused inverted bottleneck: k x k conv to the hidden width (BN, act), 1x1 project (BN), residual."""

    def __init__(self, cin, hidden, cout, kernel, stride, act):
        super().__init__()
        self.expand = ConvBN(cin, hidden, kernel, stride, act=act)
        self.project = ConvBN(hidden, cout, 1)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.project(self.expand(x))
        return x + y if self.residual else y


class UIB(nn.Module):
    """Universal inverted bottleneck: [start DW (BN)] [1x1 expand (BN, act) [channel shuffle]]
    [middle DW (BN, act)] 1x1 project (BN) [layer scale] [+ x]. IB is (0, k), ConvNext (k, 0),
    ExtraDW (k, k'), FFN (0, 0); expand=False is MobileNetV2's t = 1 block. The stride sits on the
    middle DW, else on the start DW. groups > 1 (FBNet's g2 ops) groups both 1x1 convs and shuffles
    the channels after the expand."""

    def __init__(self, cin, hidden, cout, start_dw, mid_dw, stride, expand, layer_scale, act, groups=1):
        super().__init__()
        self.start_dw = ConvBN(cin, cin, start_dw, 1 if mid_dw else stride, depthwise=True) if start_dw else None
        self.expand = ConvBN(cin, hidden, 1, act=act, groups=groups) if expand else None
        self.shuffle = ChannelShuffle(groups) if groups > 1 else None
        self.mid_dw = ConvBN(hidden, hidden, mid_dw, stride, depthwise=True, act=act) if mid_dw else None
        self.project = ConvBN(hidden, cout, 1, groups=groups)
        self.layer_scale = LayerScale(cout) if layer_scale else None
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = x
        for part in (self.start_dw, self.expand, self.shuffle, self.mid_dw, self.project, self.layer_scale):
            if part is not None:
                y = part(y)
        return x + y if self.residual else y


class MobileMQA(nn.Module):
    """Mobile multi-query attention (MobileNetV4, Sec. 4.2) with a residual: one key and one value
    head shared by all query heads, or with multi_head (MHSA) a key and value head per query head,
    head-major like the queries. kv_stride 2 downsamples the keys and values with a stride-2 3x3 DW
    conv and BN each."""

    def __init__(self, channels, heads, key_dim, kv_stride, layer_scale, multi_head=False):
        super().__init__()
        self.heads, self.key_dim = heads, key_dim
        self.kv_heads = heads if multi_head else 1
        self.scale = key_dim ** -0.5
        self.norm = nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.query = ConvBN(channels, heads * key_dim, 1, bn=False)
        down = kv_stride > 1
        self.key_dw = ConvBN(channels, channels, 3, 2, depthwise=True) if down else None
        self.key = ConvBN(channels, self.kv_heads * key_dim, 1, bn=False)
        self.value_dw = ConvBN(channels, channels, 3, 2, depthwise=True) if down else None
        self.value = ConvBN(channels, self.kv_heads * key_dim, 1, bn=False)
        self.output = ConvBN(heads * key_dim, channels, 1, bn=False)
        self.layer_scale = LayerScale(channels) if layer_scale else None

    def forward(self, x):
        n, _, h, w = x.shape
        xn = self.norm(x)
        q = self.query(xn).reshape(n, self.heads, self.key_dim, h * w).transpose(2, 3)  # n, heads, hw, d
        k = self.key(self.key_dw(xn) if self.key_dw is not None else xn)
        k = k.reshape(n, self.kv_heads, self.key_dim, -1)  # n, kv_heads, d, m
        v = self.value(self.value_dw(xn) if self.value_dw is not None else xn)
        v = v.reshape(n, self.kv_heads, self.key_dim, -1).transpose(2, 3)  # n, kv_heads, m, d
        # MQA's single key and value head broadcasts over the query heads.
        attention = torch.softmax(torch.matmul(q, k) * self.scale, dim=-1)  # n, heads, hw, m
        o = torch.matmul(attention, v)  # n, heads, hw, d
        o = self.output(o.transpose(2, 3).reshape(n, self.heads * self.key_dim, h, w))
        if self.layer_scale is not None:
            o = self.layer_scale(o)
        return x + o


class GlobalPool(nn.Module):
    """Global average pooling to n x c x 1 x 1 (MobileNetV4's head runs a 1x1 conv after it)."""

    def forward(self, x):
        return x.mean(dim=(2, 3), keepdim=True)


class Classifier(nn.Module):
    """The fully connected classifier, with bias."""

    def __init__(self, cin, classes):
        super().__init__()
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(x.flatten(1))


class RidgeModel(nn.Module):
    """The blocks in order; `configs` is a list of (class name, keyword arguments)."""

    def __init__(self, configs):
        super().__init__()
        self.blocks = nn.ModuleList(globals()[kind](**kwargs) for kind, kwargs in configs)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x
)PY";

constexpr char kLoad[] = R"PY(

def build():
    """The model with freshly initialized (PyTorch default) weights, in training mode."""
    return RidgeModel(BLOCKS)


def load(weights=None):
    """The model with the exported weights, in eval mode (BN uses its running statistics).
    `weights` is a path; by default the .pt file beside this one. Call .train() to fine-tune."""
    if weights is None:
        weights = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS)
    model = build()
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model.eval()
)PY";

const char* ActivationName(Activation a) {
  switch (a) {
    case RELU6: return "relu6";
    case HARD_SWISH: return "hard_swish";
    case GELU: return "gelu";
    default: return "relu";
  }
}

const char* Bool(bool b) { return b ? "True" : "False"; }

// One entry of BLOCKS: ("Class", dict(...)).
std::string BlockConfig(const BlockSpec& b, const std::string& act) {
  switch (b.kind) {
    case Block::kConv:
      return absl::StrCat("(\"ConvBlock\", dict(cin=", b.in, ", cout=", b.out, ", kernel=", b.kernel,
                          ", stride=", b.stride, ", act=", act, "))");
    case Block::kFusedIb:
      return absl::StrCat("(\"FusedIB\", dict(cin=", b.in, ", hidden=", b.hidden, ", cout=", b.out,
                          ", kernel=", b.kernel, ", stride=", b.stride, ", act=", act, "))");
    case Block::kUib:
      return absl::StrCat("(\"UIB\", dict(cin=", b.in, ", hidden=", b.hidden, ", cout=", b.out,
                          ", start_dw=", b.start_dw, ", mid_dw=", b.mid_dw, ", stride=", b.stride,
                          ", expand=", Bool(b.expand), ", layer_scale=", Bool(b.layer_scale), ", act=", act,
                          // Only where it departs from the module's default, so
                          // that ungrouped networks read as they always did.
                          b.groups != 1 ? absl::StrCat(", groups=", b.groups) : "", "))");
    case Block::kMqa:
      return absl::StrCat("(\"MobileMQA\", dict(channels=", b.in, ", heads=", b.heads, ", key_dim=", b.key_dim,
                          ", kv_stride=", b.kv_stride, ", layer_scale=", Bool(b.layer_scale),
                          b.multi_head ? ", multi_head=True" : "", "))");
    case Block::kGlobalPool: return "(\"GlobalPool\", dict())";
    case Block::kClassifier:
      return absl::StrCat("(\"Classifier\", dict(cin=", b.in, ", classes=", b.out, "))");
    case Block::KIND_NOT_SET: break;
  }
  return "";
}

}  // namespace

std::string PyTorchModule(const ModelSpec& spec, const std::string& weights_note) {
  std::string out = absl::StrCat(
      "\"\"\"", spec.name, ": a PyTorch model exported by `ridge export` (generated; do not edit).\n\n",
      "Ridge architecture: ", absl::StrReplaceAll(spec.encoding, {{"\\", "\\\\"}}), "\n", "Input: n x ",
      spec.channels, " x ", spec.height, " x ", spec.width, " (NCHW), float32. Weights: ", weights_note, "\n",
      "Usage: model = ", spec.name, ".load()  # eval mode; model(images) -> logits\n\"\"\"\n", kClasses);
  absl::StrAppend(&out, "\n\nARCHITECTURE = \"", spec.encoding, "\"\nACTIVATION = \"",
                  ActivationName(spec.activation), "\"\nINPUT_SHAPE = (", spec.channels, ", ", spec.height, ", ",
                  spec.width, ")\nWEIGHTS = \"", spec.name, ".pt\"\n\nBLOCKS = [\n");
  for (const BlockSpec& b : spec.blocks) absl::StrAppend(&out, "    ", BlockConfig(b, "ACTIVATION"), ",\n");
  absl::StrAppend(&out, "]\n", kLoad);
  return out;
}

}  // namespace ridge::exporter
