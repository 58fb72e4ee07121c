// `ridge hardware list|show`: the built-in profiles and local_cpu.
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "common/status_macros.h"
#include "latency/hardware_profiles.h"
#include "proto/textproto.h"

namespace ridge::cli {
namespace {

void WriteProfile(const HardwareProfile& p, JsonWriter& json) {
  json.BeginObject();
  json.Key("name").String(p.name());
  json.Key("ridge_point").Double(RidgePoint(p));
  json.Key("peak_macs_per_sec").Double(p.peak_macs_per_sec());
  json.Key("peak_bytes_per_sec").Double(p.peak_bytes_per_sec());
  json.Key("bytes_per_element").Int(p.bytes_per_element());
  json.Key("per_layer_overhead_sec").Double(p.per_layer_overhead_sec());
  json.Key("ceilings").BeginObject();
  for (const OpClassCeiling& c : p.ceilings()) json.Key(OpClass_Name(c.op_class())).Double(c.efficiency());
  json.EndObject();
  json.Key("source").String(p.source());
  json.EndObject();
}

Table ProfileTable() {
  return Table({"name", "ridge_point", "peak_gmacs", "peak_gbps", "bytes_per_elem", "overhead_us", "source"},
               {true, false, false, false, false, false, true});
}

void AddProfileRow(const HardwareProfile& p, Table& table) {
  table.AddRow({p.name(), FormatDouble(RidgePoint(p)), FormatDouble(p.peak_macs_per_sec() / 1e9),
                FormatDouble(p.peak_bytes_per_sec() / 1e9), absl::StrCat(p.bytes_per_element()),
                FormatDouble(p.per_layer_overhead_sec() * 1e6), p.source()});
}

absl::Status HardwareList(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  ASSIGN_OR_RETURN(std::vector<HardwareProfile> profiles, BuiltinHardwareProfiles(true));
  JsonWriter json;
  json.BeginArray();
  Table table = ProfileTable();
  for (const HardwareProfile& p : profiles) {
    WriteProfile(p, json);
    AddProfileRow(p, table);
  }
  json.EndArray();
  *out = format == "json" ? json.str() : table.Render();
  return absl::OkStatus();
}

absl::Status HardwareShow(const std::vector<std::string>& args, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json", "textproto"}));
  ASSIGN_OR_RETURN(HardwareProfile p, ResolveHardware(args[0], "NAME"));
  if (format == "textproto") {
    *out = ToTextProto(p);
  } else if (format == "json") {
    JsonWriter json;
    WriteProfile(p, json);
    *out = json.str();
  } else {
    Table table = ProfileTable();
    AddProfileRow(p, table);
    *out = table.Render();
    for (const OpClassCeiling& c : p.ceilings()) {
      absl::StrAppend(out, "ceiling ", OpClass_Name(c.op_class()), ": ", FormatDouble(c.efficiency()),
                      " of peak\n");
    }
  }
  return absl::OkStatus();
}

}  // namespace

void AddHardwareCommands(std::vector<Command>* commands) {
  commands->push_back({"hardware list", "", "Built-in hardware profiles and this machine (local_cpu).",
                       {"format"}, 0, 0, HardwareList});
  commands->push_back({"hardware show", "NAME",
                       "One profile; --format=textproto gives a file to edit and pass as --hardware.",
                       {"format"}, 1, 1, HardwareShow});
}

}  // namespace ridge::cli
