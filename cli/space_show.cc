// `ridge space list` and `ridge space show NAME`: what a search space holds,
// for a user choosing one: its shape, every stage's choices, how many distinct
// architectures it has, and its cost range (the smallest and the largest
// subnet at the space's input).
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "common/status_macros.h"
#include "latency/costing.h"
#include "proto/architecture.h"
#include "proto/space.h"
#include "zoo/zoo.h"

namespace ridge::cli {
namespace {

template <typename T>
std::string Choices(const google::protobuf::RepeatedField<T>& values) {
  return absl::StrCat("{", absl::StrJoin(values, ", "), "}");
}

// Distinct blocks one slot can be, skip included.
double SlotOptions(const SlotSpec& slot) {
  if (slot.ops_size() > 0) return slot.ops_size();
  double n = 0;
  for (int kind : slot.kind()) {
    if (kind == MQA) {
      n += slot.heads_size() * slot.key_dim_size() * std::max(1, slot.kv_stride_size()) *
           std::max(1, slot.multi_head_size());
    } else if (kind == FUSED_IB) {
      n += slot.mid_dw_kernel_size() * slot.expansion_size();
    } else {
      n += slot.start_dw_kernel_size() * slot.mid_dw_kernel_size() * slot.expansion_size();
    }
  }
  return n + (slot.optional() ? 1 : 0);
}

// An op as FBNet names its ops: "k3_e1_g2", with "s5_" for a start DW, or "skip".
std::string OpName(const SlotOp& op) {
  if (op.skip()) return "skip";
  std::string name;
  if (op.start_dw_kernel() > 0) absl::StrAppend(&name, "s", op.start_dw_kernel(), "_");
  absl::StrAppend(&name, "k", op.mid_dw_kernel(), "_e", op.expansion());
  if (op.groups() > 1) absl::StrAppend(&name, "_g", op.groups());
  return name;
}

std::string SlotText(const SlotSpec& slot) {
  std::vector<std::string> kinds;
  for (int k : slot.kind()) kinds.push_back(BlockKind_Name(static_cast<BlockKind>(k)));
  std::string s = absl::StrCat(absl::StrJoin(kinds, "|"), " stride ", slot.stride());
  if (slot.start_dw_kernel_size() > 0) absl::StrAppend(&s, " start_dw ", Choices(slot.start_dw_kernel()));
  if (slot.mid_dw_kernel_size() > 0) absl::StrAppend(&s, " mid_dw ", Choices(slot.mid_dw_kernel()));
  if (slot.expansion_size() > 0) absl::StrAppend(&s, " expansion ", Choices(slot.expansion()));
  if (slot.heads_size() > 0) absl::StrAppend(&s, " heads ", Choices(slot.heads()));
  if (slot.key_dim_size() > 0) absl::StrAppend(&s, " key_dim ", Choices(slot.key_dim()));
  if (slot.kv_stride_size() > 0) absl::StrAppend(&s, " kv_stride ", Choices(slot.kv_stride()));
  if (slot.multi_head_size() > 0) {
    std::vector<std::string> kinds;
    for (bool m : slot.multi_head()) kinds.push_back(m ? "MHSA" : "MQA");
    absl::StrAppend(&s, " attention {", absl::StrJoin(kinds, ", "), "}");
  }
  if (slot.optional()) absl::StrAppend(&s, " optional");
  if (slot.ops_size() > 0) {
    std::vector<std::string> ops;
    for (const SlotOp& op : slot.ops()) ops.push_back(OpName(op));
    absl::StrAppend(&s, " ops {", absl::StrJoin(ops, ", "), "}");
  }
  if (slot.expand_always()) absl::StrAppend(&s, " expand_always");
  return s;
}

struct Summary {
  double log10_size = 0;  // Distinct architectures, as log10 (spaces reach 10^20).
  NetworkCost smallest, largest;
};

absl::StatusOr<Summary> Summarize(const SearchSpace& space) {
  Summary s;
  for (const StageSpec& stage : space.stages()) {
    s.log10_size += std::log10(static_cast<double>(stage.filters_size()));
    for (const SlotSpec& slot : stage.slots()) s.log10_size += std::log10(SlotOptions(slot));
  }
  ASSIGN_OR_RETURN(Architecture small, BuildArchitecture(space, SmallestChoice(space)));
  ASSIGN_OR_RETURN(Architecture large, BuildArchitecture(space, LargestChoice(space)));
  ASSIGN_OR_RETURN(s.smallest, CostArchitecture(small, ElementType::kFp32));
  ASSIGN_OR_RETURN(s.largest, CostArchitecture(large, ElementType::kFp32));
  return s;
}

std::string Size(double log10_size) {
  if (log10_size < 9) return absl::StrCat(std::llround(std::pow(10, log10_size)));
  int exponent = static_cast<int>(std::floor(log10_size));
  double mantissa = std::round(std::pow(10, log10_size - exponent) * 10) / 10;
  if (mantissa >= 10) mantissa /= 10, ++exponent;  // 9.96 rounds to 10.0: print 1.0e(N+1).
  return absl::StrFormat("%.1fe%d", mantissa, exponent);
}

std::string MacsRange(const Summary& s) {
  return absl::StrFormat("%.1f-%.1f", s.smallest.macs / 1e6, s.largest.macs / 1e6);
}

std::string ShapeText(const SearchSpace& space) {
  return absl::StrCat(space.input().height(), "x", space.input().width(), "x", space.input().channels());
}

absl::Status SpaceList(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  Table table({"space", "input", "classes", "architectures", "mmacs", "params_m"}, {true, true});
  JsonWriter json;
  json.BeginArray();
  for (const std::string& name : ZooSpaceNames()) {
    ASSIGN_OR_RETURN(SearchSpace space, LoadZooSpace(name));
    ASSIGN_OR_RETURN(Summary s, Summarize(space));
    table.AddRow({name, ShapeText(space), absl::StrCat(space.num_classes()), Size(s.log10_size), MacsRange(s),
                  absl::StrFormat("%.2f-%.2f", s.smallest.params / 1e6, s.largest.params / 1e6)});
    json.BeginObject().Key("space").String(name).Key("input").String(ShapeText(space));
    json.Key("num_classes").Int(space.num_classes()).Key("log10_architectures").Double(s.log10_size);
    json.Key("min_macs").Int(s.smallest.macs).Key("max_macs").Int(s.largest.macs).EndObject();
  }
  json.EndArray();
  *out = format == "json" ? json.str() : table.Render();
  return absl::OkStatus();
}

absl::Status SpaceShow(const std::vector<std::string>& args, std::string* out) {
  ASSIGN_OR_RETURN(SearchSpace space, ResolveSearchSpace(args[0], "NAME"));
  ASSIGN_OR_RETURN(Summary s, Summarize(space));
  std::string text = absl::StrCat(space.name(), ": input ", ShapeText(space), ", ", space.num_classes(),
                                  " classes, ", Activation_Name(space.activation()), "\n");
  absl::StrAppend(&text, "architectures: ", Size(s.log10_size), "\n");
  absl::StrAppend(&text, absl::StrFormat("smallest: %.1f MMACs, %.2f M params\nlargest:  %.1f MMACs, %.2f M params\n",
                                         s.smallest.macs / 1e6, s.smallest.params / 1e6, s.largest.macs / 1e6,
                                         s.largest.params / 1e6));
  absl::StrAppend(&text, "stem: ", space.stem_size(), " fixed blocks; head: ", space.head_size(), " fixed blocks\n");
  for (int i = 0; i < space.stages_size(); ++i) {
    const StageSpec& stage = space.stages(i);
    absl::StrAppend(&text, "stage ", i, ": filters ", Choices(stage.filters()), "\n");
    for (int j = 0; j < stage.slots_size(); ++j) {
      absl::StrAppend(&text, "  slot ", j, ": ", SlotText(stage.slots(j)), "\n");
    }
  }
  for (const Architecture& r : space.references()) absl::StrAppend(&text, "reference: ", r.name(), "\n");
  *out = text;
  return absl::OkStatus();
}

}  // namespace

void AddSpaceShowCommands(std::vector<Command>* commands) {
  commands->push_back({"space list", "", "The built-in search spaces, with their size and MACs range.", {"format"}, 0,
                       0, SpaceList});
  commands->push_back({"space show", "NAME",
                       "A search space's choices, stage by stage, its number of architectures, and its smallest and "
                       "largest subnet (NAME: a built-in space or a space textproto file).",
                       {}, 1, 1, SpaceShow});
}

}  // namespace ridge::cli
