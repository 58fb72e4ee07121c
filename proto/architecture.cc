#include "proto/architecture.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "proto/validate.h"

namespace ridge {
namespace {

constexpr absl::string_view kVersion = "v1";

// Shortest text that reads back as the same float ("4", "2.5").
std::string FloatText(float v) { return absl::StrFormat("%.9g", v); }

absl::Status TokenError(absl::string_view token, absl::string_view rule) {
  return absl::InvalidArgumentError(
      absl::StrCat("canonical encoding: token '", token, "' ", rule));
}

// Parses "name(a,b,...)" with exactly `arity` numeric arguments.
absl::StatusOr<std::vector<double>> Args(absl::string_view token, absl::string_view name,
                                         size_t arity) {
  absl::string_view rest = token;
  if (!absl::ConsumePrefix(&rest, name) || !absl::ConsumePrefix(&rest, "(") ||
      !absl::ConsumeSuffix(&rest, ")")) {
    return TokenError(token, absl::StrCat("is not of the form ", name, "(...)"));
  }
  std::vector<double> out;
  for (absl::string_view part : absl::StrSplit(rest, ',')) {
    double v;
    if (!absl::SimpleAtod(part, &v)) return TokenError(token, absl::StrCat("has a non-number '", part, "'"));
    out.push_back(v);
  }
  if (out.size() != arity) {
    return TokenError(token, absl::StrCat("has ", out.size(), " arguments; ", name, " takes ", arity));
  }
  return out;
}

// Arguments of a block token, checked one by one as they are read.
class TokenArgs {
 public:
  TokenArgs(absl::string_view token, std::vector<double> values)
      : token_(token), values_(std::move(values)) {}
  // The i-th argument as an int32; an error if fractional or out of range.
  absl::StatusOr<int32_t> Int(size_t i) const {
    double v = values_[i];
    if (v != std::floor(v) || std::fabs(v) > 2147483647.0) {
      return TokenError(token_, absl::StrCat("argument ", i + 1, " (", v, ") must be an integer"));
    }
    return static_cast<int32_t>(v);
  }
  float Float(size_t i) const { return static_cast<float>(values_[i]); }

 private:
  absl::string_view token_;
  std::vector<double> values_;
};

// ",groups,expand_always" when either differs from the default, else
// nothing, so the IDs of every UIB without them stay as they were.
std::string UibExtraText(const UIBBlock& u) {
  if (u.groups() <= 1 && !u.expand_always()) return "";
  return absl::StrCat(",", std::max(1, u.groups()), ",", u.expand_always() ? 1 : 0);
}

// "uib(a,m,s,f,e)", or with ",groups,expand_always" (FBNet's ops).
absl::StatusOr<UIBBlock> ParseUib(absl::string_view token) {
  const bool grouped = std::count(token.begin(), token.end(), ',') == 6;
  ASSIGN_OR_RETURN(std::vector<double> values, Args(token, "uib", grouped ? 7 : 5));
  TokenArgs a(token, values);
  UIBBlock c;
  ASSIGN_OR_RETURN(int32_t start, a.Int(0));
  ASSIGN_OR_RETURN(int32_t mid, a.Int(1));
  ASSIGN_OR_RETURN(int32_t s, a.Int(2));
  ASSIGN_OR_RETURN(int32_t f, a.Int(3));
  c.set_start_dw_kernel(start), c.set_mid_dw_kernel(mid), c.set_stride(s);
  c.set_filters(f), c.set_expansion(a.Float(4));
  if (grouped) {
    ASSIGN_OR_RETURN(int32_t g, a.Int(5));
    ASSIGN_OR_RETURN(int32_t x, a.Int(6));
    if (x != 0 && x != 1) return TokenError(token, "expand_always (the 7th value) must be 0 or 1");
    c.set_groups(g), c.set_expand_always(x == 1);
  }
  return c;
}

absl::StatusOr<Block> ParseBlock(absl::string_view token) {
  Block b;
  std::vector<double> values;
  auto parse = [&](absl::string_view name, size_t arity) -> absl::StatusOr<TokenArgs> {
    ASSIGN_OR_RETURN(values, Args(token, name, arity));
    return TokenArgs(token, values);
  };
  if (absl::StartsWith(token, "conv(")) {
    ASSIGN_OR_RETURN(TokenArgs a, parse("conv", 3));
    ConvBlock* c = b.mutable_conv();
    ASSIGN_OR_RETURN(int32_t k, a.Int(0));
    ASSIGN_OR_RETURN(int32_t s, a.Int(1));
    ASSIGN_OR_RETURN(int32_t f, a.Int(2));
    c->set_kernel(k), c->set_stride(s), c->set_filters(f);
  } else if (absl::StartsWith(token, "fused(")) {
    ASSIGN_OR_RETURN(TokenArgs a, parse("fused", 4));
    FusedIBBlock* c = b.mutable_fused_ib();
    ASSIGN_OR_RETURN(int32_t k, a.Int(0));
    ASSIGN_OR_RETURN(int32_t s, a.Int(1));
    ASSIGN_OR_RETURN(int32_t f, a.Int(2));
    c->set_kernel(k), c->set_stride(s), c->set_filters(f), c->set_expansion(a.Float(3));
  } else if (absl::StartsWith(token, "uib(")) {
    ASSIGN_OR_RETURN(*b.mutable_uib(), ParseUib(token));
  } else if (absl::StartsWith(token, "mqa(")) {
    // A fourth argument of 1 is MHSA; three are Mobile MQA.
    const bool multi = std::count(token.begin(), token.end(), ',') == 3;
    ASSIGN_OR_RETURN(TokenArgs a, parse("mqa", multi ? 4 : 3));
    MQABlock* c = b.mutable_mqa();
    ASSIGN_OR_RETURN(int32_t h, a.Int(0));
    ASSIGN_OR_RETURN(int32_t d, a.Int(1));
    ASSIGN_OR_RETURN(int32_t kv, a.Int(2));
    c->set_heads(h), c->set_key_dim(d), c->set_kv_stride(kv);
    if (multi) {
      ASSIGN_OR_RETURN(int32_t m, a.Int(3));
      if (m != 0 && m != 1) return TokenError(token, "multi_head (the 4th value) must be 0 or 1");
      c->set_multi_head(m == 1);
    }
  } else if (token == "pool") {
    b.mutable_global_pool();
  } else if (token == "fc") {
    b.mutable_classifier();
  } else {
    return TokenError(token, "is not a block (conv, fused, uib, mqa, pool, fc)");
  }
  return b;
}

}  // namespace

std::string ActivationName(Activation activation) {
  return absl::AsciiStrToLower(Activation_Name(activation));
}

std::string BlockToken(const Block& b) {
  switch (b.kind_case()) {
    case Block::kConv:
      return absl::StrCat("conv(", b.conv().kernel(), ",", b.conv().stride(), ",",
                          b.conv().filters(), ")");
    case Block::kFusedIb:
      return absl::StrCat("fused(", b.fused_ib().kernel(), ",", b.fused_ib().stride(), ",",
                          b.fused_ib().filters(), ",", FloatText(b.fused_ib().expansion()), ")");
    case Block::kUib:
      return absl::StrCat("uib(", b.uib().start_dw_kernel(), ",", b.uib().mid_dw_kernel(), ",",
                          b.uib().stride(), ",", b.uib().filters(), ",",
                          FloatText(b.uib().expansion()), UibExtraText(b.uib()), ")");
    case Block::kMqa:
      return absl::StrCat("mqa(", b.mqa().heads(), ",", b.mqa().key_dim(), ",",
                          b.mqa().kv_stride(), b.mqa().multi_head() ? ",1" : "", ")");
    case Block::kGlobalPool:
      return "pool";
    case Block::kClassifier:
      return "fc";
    case Block::KIND_NOT_SET:
      break;
  }
  return "?";
}

std::string CanonicalEncoding(const Architecture& arch) {
  std::string out = absl::StrCat(kVersion, " ", arch.input().height(), "x", arch.input().width(),
                                 "x", arch.input().channels(), " classes=", arch.num_classes(),
                                 " act=", ActivationName(arch.activation()),
                                 " ls=", arch.layer_scale() ? 1 : 0, " :");
  for (const Block& b : arch.blocks()) absl::StrAppend(&out, " ", BlockToken(b));
  return out;
}

absl::StatusOr<Architecture> ParseCanonicalEncoding(absl::string_view text) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::StripAsciiWhitespace(text), ' ', absl::SkipEmpty());
  if (parts.size() < 6 || parts[0] != kVersion || parts[5] != ":") {
    return absl::InvalidArgumentError(absl::StrCat(
        "canonical encoding: must start with '", kVersion,
        " HxWxC classes=N act=NAME ls=0|1 :', got '", text.substr(0, 60), "'"));
  }
  Architecture arch;
  std::vector<absl::string_view> hwc = absl::StrSplit(parts[1], 'x');
  int32_t dims[3];
  if (hwc.size() != 3 || !absl::SimpleAtoi(hwc[0], &dims[0]) ||
      !absl::SimpleAtoi(hwc[1], &dims[1]) || !absl::SimpleAtoi(hwc[2], &dims[2])) {
    return TokenError(parts[1], "is not HxWxC");
  }
  arch.mutable_input()->set_height(dims[0]);
  arch.mutable_input()->set_width(dims[1]);
  arch.mutable_input()->set_channels(dims[2]);
  absl::string_view v = parts[2];
  int32_t classes;
  if (!absl::ConsumePrefix(&v, "classes=") || !absl::SimpleAtoi(v, &classes)) {
    return TokenError(parts[2], "is not classes=N");
  }
  arch.set_num_classes(classes);
  v = parts[3];
  Activation act;
  if (!absl::ConsumePrefix(&v, "act=") || !Activation_Parse(absl::AsciiStrToUpper(v), &act)) {
    return TokenError(parts[3], "is not act=relu|relu6|hard_swish|gelu");
  }
  arch.set_activation(act);
  if (parts[4] != "ls=0" && parts[4] != "ls=1") return TokenError(parts[4], "is not ls=0 or ls=1");
  arch.set_layer_scale(parts[4] == "ls=1");
  for (size_t i = 6; i < parts.size(); ++i) {
    ASSIGN_OR_RETURN(*arch.add_blocks(), ParseBlock(parts[i]));
  }
  RETURN_IF_ERROR(ValidateArchitecture(arch));
  return arch;
}

uint64_t Fnv1a64(absl::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV offset basis.
  for (unsigned char ch : bytes) {
    hash ^= ch;
    hash *= 0x100000001b3ULL;  // FNV prime.
  }
  return hash;
}

std::string ArchitectureId(const Architecture& arch) {
  return absl::StrFormat("%016x", Fnv1a64(CanonicalEncoding(arch)));
}

}  // namespace ridge
