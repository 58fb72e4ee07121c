// `ridge model list|show`: the zoo and per-layer costing.
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "common/status_macros.h"
#include "latency/costing.h"
#include "proto/architecture.h"
#include "zoo/zoo.h"

namespace ridge::cli {
namespace {

std::string ShapeText(const Dims& d) { return absl::StrCat(d.h, "x", d.w, "x", d.c); }

void WriteTotals(const Architecture& arch, const NetworkCost& cost, JsonWriter& json) {
  json.Key("name").String(arch.name());
  json.Key("resolution").Int(arch.input().height());
  json.Key("classes").Int(arch.num_classes());
  json.Key("params").Int(cost.params);
  json.Key("macs").Int(cost.macs);
  json.Key("activations").Int(cost.activations);
}

absl::Status ModelList(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  Table table({"name", "resolution", "classes", "params", "macs", "activations"}, {true});
  JsonWriter json;
  json.BeginArray();
  for (const std::string& name : ZooModelNames()) {
    ASSIGN_OR_RETURN(Architecture arch, LoadZooModel(name));
    ASSIGN_OR_RETURN(NetworkCost cost, CostArchitecture(arch));
    json.BeginObject();
    WriteTotals(arch, cost, json);
    json.EndObject();
    table.AddRow({name, absl::StrCat(arch.input().height()), absl::StrCat(arch.num_classes()),
                  absl::StrCat(cost.params), absl::StrCat(cost.macs), absl::StrCat(cost.activations)});
  }
  json.EndArray();
  *out = format == "json" ? json.str() : table.Render();
  return absl::OkStatus();
}

absl::Status ModelShow(const std::vector<std::string>& args, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  ASSIGN_OR_RETURN(ModelOptions options, ModelOptionsFlags());
  ASSIGN_OR_RETURN(ElementType dtype, DtypeFlag());
  ASSIGN_OR_RETURN(Architecture arch, ResolveArchitecture(args[0], options, "NAME"));
  ASSIGN_OR_RETURN(NetworkCost cost, CostArchitecture(arch, dtype));
  const std::string id = ArchitectureId(arch);
  if (format == "json") {
    JsonWriter json;
    json.BeginObject();
    WriteTotals(arch, cost, json);
    json.Key("arch_id").String(id);
    json.Key("canonical").String(CanonicalEncoding(arch));
    json.Key("dtype").String(ElementTypeName(dtype));
    json.Key("weight_bytes").Int(cost.weight_bytes);
    json.Key("activation_bytes").Int(cost.activation_bytes);
    json.Key("layers").BeginArray();
    for (const LayerCost& c : cost.layers) {
      const Layer& l = c.layer;
      json.BeginObject();
      json.Key("name").String(l.name);
      json.Key("block").Int(l.block);
      json.Key("kind").String(LayerKindName(l.kind));
      json.Key("input").BeginArray().Int(l.in.h).Int(l.in.w).Int(l.in.c).EndArray();
      json.Key("output").BeginArray().Int(l.out.h).Int(l.out.w).Int(l.out.c).EndArray();
      json.Key("kernel").Int(l.kernel);
      json.Key("stride").Int(l.stride);
      json.Key("macs").Int(c.macs);
      json.Key("params").Int(c.params);
      json.Key("weight_bytes").Int(c.weight_bytes);
      json.Key("activation_bytes").Int(c.activation_bytes);
      json.EndObject();
    }
    json.EndArray();
    json.EndObject();
    *out = json.str();
    return absl::OkStatus();
  }
  Table table({"layer", "block", "kind", "k", "s", "input", "output", "macs", "params",
               "weight_bytes", "act_bytes"},
              {true, true, true});
  for (const LayerCost& c : cost.layers) {
    const Layer& l = c.layer;
    table.AddRow({l.name, BlockToken(arch.blocks(l.block)), LayerKindName(l.kind),
                  absl::StrCat(l.kernel), absl::StrCat(l.stride), ShapeText(l.in), ShapeText(l.out),
                  absl::StrCat(c.macs), absl::StrCat(c.params), absl::StrCat(c.weight_bytes),
                  absl::StrCat(c.activation_bytes)});
  }
  Table totals({"name", "resolution", "classes", "params", "macs", "activations", "dtype",
                "weight_bytes", "act_bytes", "arch_id"},
               {true});
  totals.AddRow({arch.name(), absl::StrCat(arch.input().height()), absl::StrCat(arch.num_classes()),
                 absl::StrCat(cost.params), absl::StrCat(cost.macs), absl::StrCat(cost.activations),
                 ElementTypeName(dtype), absl::StrCat(cost.weight_bytes),
                 absl::StrCat(cost.activation_bytes), id});
  *out = absl::StrCat(table.Render(), "\n", totals.Render(), "\ncanonical: ",
                      CanonicalEncoding(arch), "\n");
  return absl::OkStatus();
}

}  // namespace

void AddModelCommands(std::vector<Command>* commands) {
  commands->push_back({"model list", "", "List the model zoo with params, MACs and activations.",
                       {"format"}, 0, 0, ModelList});
  commands->push_back({"model show", "NAME",
                       "Per-layer shapes and costs of a zoo model (or encoding, or file), then totals.",
                       {"resolution", "classes", "dtype", "format"}, 1, 1, ModelShow});
}

}  // namespace ridge::cli
