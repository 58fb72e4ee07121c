// `ridge latency predict|explain|sweep`: the roofline model on an architecture.
#include <algorithm>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "cli/plot_output.h"
#include "common/status_macros.h"
#include "latency/costing.h"
#include "latency/hardware_profiles.h"
#include "latency/roofline.h"
#include "proto/architecture.h"
#include "zoo/zoo.h"

ABSL_DECLARE_FLAG(std::string, out);

namespace ridge::cli {
namespace {

// The architecture and profile named by the flags, costed at the profile's width.
struct Priced {
  Architecture arch;
  HardwareProfile profile;
  NetworkCost cost;
};

absl::StatusOr<Priced> Price(const std::string& arch, bool hardware_required) {
  Priced p;
  ASSIGN_OR_RETURN(ModelOptions options, ModelOptionsFlags());
  ASSIGN_OR_RETURN(p.arch, ResolveArchitecture(arch, options, "--arch"));
  std::string hardware = absl::GetFlag(FLAGS_hardware);
  if (hardware.empty() && !hardware_required) {
    // A nominal accelerator for sweeps: 1 TMAC/s at int8, as the paper's targets run int8.
    p.profile.set_name("nominal");
    p.profile.set_source("nominal 1 TMAC/s int8 profile for ridge sweeps");
    p.profile.set_peak_macs_per_sec(1e12);
    p.profile.set_peak_bytes_per_sec(1e12 / 100);
    p.profile.set_bytes_per_element(1);
  } else {
    ASSIGN_OR_RETURN(p.profile, ResolveHardware(hardware, "--hardware"));
  }
  ASSIGN_OR_RETURN(ElementType type, ElementTypeOfBytes(p.profile.bytes_per_element()));
  ASSIGN_OR_RETURN(p.cost, CostArchitecture(p.arch, type));
  return p;
}

void WriteHeader(const Priced& p, double latency_ms, JsonWriter& json) {
  json.Key("arch").String(p.arch.name());
  json.Key("arch_id").String(ArchitectureId(p.arch));
  json.Key("resolution").Int(p.arch.input().height());
  json.Key("hardware").String(p.profile.name());
  json.Key("model").String(RooflineModelName(p.profile));
  json.Key("latency_ms").Double(latency_ms);
  json.Key("macs").Int(p.cost.macs);
  json.Key("params").Int(p.cost.params);
  json.Key("bytes").Int(p.cost.weight_bytes + p.cost.activation_bytes);
  json.Key("dtype").String(ElementTypeName(p.cost.element_type));
  json.Key("ridge_point").Double(RidgePoint(p.profile));
}

absl::Status Predict(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  ASSIGN_OR_RETURN(Priced p, Price(absl::GetFlag(FLAGS_arch), true));
  ASSIGN_OR_RETURN(RooflineResult r, PredictRoofline(p.cost, p.profile));
  if (format == "json") {
    JsonWriter json;
    json.BeginObject();
    WriteHeader(p, r.latency_ms(), json);
    json.EndObject();
    *out = json.str();
    return absl::OkStatus();
  }
  int compute_bound = 0;
  for (const LayerRoofline& t : r.layers) compute_bound += t.compute_bound;
  Table table({"arch", "hardware", "latency_ms", "macs", "bytes", "ridge_point", "compute_bound_layers"},
              {true, true});
  table.AddRow({p.arch.name().empty() ? ArchitectureId(p.arch) : p.arch.name(), p.profile.name(),
                FormatDouble(r.latency_ms()), absl::StrCat(p.cost.macs),
                absl::StrCat(p.cost.weight_bytes + p.cost.activation_bytes),
                FormatDouble(RidgePoint(p.profile)),
                absl::StrCat(compute_bound, "/", r.layers.size())});
  *out = table.Render();
  return absl::OkStatus();
}

absl::Status Explain(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json", "csv"}));
  ASSIGN_OR_RETURN(Priced p, Price(absl::GetFlag(FLAGS_arch), true));
  ASSIGN_OR_RETURN(RooflineResult r, PredictRoofline(p.cost, p.profile));
  if (format == "json") {
    JsonWriter json;
    json.BeginObject();
    WriteHeader(p, r.latency_ms(), json);
    json.Key("layers").BeginArray();
    for (const LayerRoofline& t : r.layers) {
      json.BeginObject();
      json.Key("layer").String(t.cost->layer.name);
      json.Key("op_class").String(OpClass_Name(OpClassOf(t.cost->layer)));
      json.Key("macs").Int(t.cost->macs);
      json.Key("bytes").Int(t.cost->bytes());
      json.Key("arithmetic_intensity").Double(t.arithmetic_intensity);
      json.Key("bound").String(t.compute_bound ? "compute" : "memory");
      json.Key("time_ms").Double(t.time_sec * 1e3);
      json.Key("share").Double(t.share);
      json.EndObject();
    }
    json.EndArray();
    json.EndObject();
    *out = json.str();
    return absl::OkStatus();
  }
  Table table({"layer", "op_class", "macs", "bytes", "intensity", "bound", "time_ms", "share_pct"},
              {true, true, false, false, false, true});
  for (const LayerRoofline& t : r.layers) {
    table.AddRow({t.cost->layer.name, OpClass_Name(OpClassOf(t.cost->layer)),
                  absl::StrCat(t.cost->macs), absl::StrCat(t.cost->bytes()),
                  FormatDouble(t.arithmetic_intensity), t.compute_bound ? "compute" : "memory",
                  FormatDouble(t.time_sec * 1e3), FormatDouble(t.share * 100, 3)});
  }
  if (format == "csv") {
    *out = table.RenderCsv();
    return absl::OkStatus();
  }
  *out = absl::StrCat(table.Render(), "\n", p.arch.name(), " on ", p.profile.name(), " (ridge point ",
                      FormatDouble(RidgePoint(p.profile)), " MACs/byte, ",
                      ElementTypeName(p.cost.element_type), "): ", FormatDouble(r.latency_ms()),
                      " ms\n");
  return absl::OkStatus();
}

// --format=svg: --arch, or else every zoo model, over the same ridge points
// at one peak, with the MobileNetV4 paper's four hardware marked (and
// --hardware, if it is none of them).
absl::Status SweepSvg(const std::vector<double>& ridges, std::string* out) {
  const std::string path = absl::GetFlag(FLAGS_out);
  RETURN_IF_ERROR(CheckSvgOut(path));
  const std::string arch = absl::GetFlag(FLAGS_arch);
  std::vector<SweepCurve> curves;
  Priced p;
  for (const std::string& name : arch.empty() ? ZooModelNames() : std::vector<std::string>{arch}) {
    ASSIGN_OR_RETURN(p, Price(name, false));
    ASSIGN_OR_RETURN(std::vector<SweepPoint> points, RidgeSweep(p.cost, p.profile, ridges));
    curves.push_back({p.arch.name().empty() ? ArchitectureId(p.arch) : p.arch.name(), std::move(points)});
  }
  std::vector<RidgeMark> marks;
  for (const char* name : {"pixel6_cpu", "s23_cpu", "pixel4_dsp", "pixel8_edgetpu"}) {
    ASSIGN_OR_RETURN(HardwareProfile h, ResolveHardware(name, "--hardware"));
    marks.push_back({name, RidgePoint(h)});
  }
  const std::string& hw = p.profile.name();
  const bool nominal = absl::GetFlag(FLAGS_hardware).empty();  // Its ridge point is the swept one.
  if (!nominal && std::none_of(marks.begin(), marks.end(), [&](const RidgeMark& m) { return m.hardware == hw; })) {
    marks.push_back({hw, RidgePoint(p.profile)});
  }
  const std::string subtitle = absl::StrCat(
      "Roofline at a fixed peak of ", FormatDouble(p.profile.peak_macs_per_sec() / 1e9), " GMAC/s (", hw,
      "), bandwidth = peak / ridge point, ", ElementTypeName(p.cost.element_type), "; dashed: hardware ridge points");
  RETURN_IF_ERROR(WriteSvgOut(path, SweepPlotSvg(curves, marks, "Ridge-point sweep (MobileNetV4 paper, Fig. 2/3)",
                                                 subtitle)));
  *out = absl::StrCat("wrote ", curves.size(), " models x ", ridges.size(), " ridge points to ", path, "\n");
  return absl::OkStatus();
}

absl::Status Sweep(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "csv", "json", "svg"}));
  ASSIGN_OR_RETURN(std::vector<double> ridges,
                   SweepRange(absl::GetFlag(FLAGS_min_ridge), absl::GetFlag(FLAGS_max_ridge),
                              absl::GetFlag(FLAGS_step)));
  if (format == "svg") return SweepSvg(ridges, out);
  ASSIGN_OR_RETURN(Priced p, Price(absl::GetFlag(FLAGS_arch), false));
  ASSIGN_OR_RETURN(std::vector<SweepPoint> points, RidgeSweep(p.cost, p.profile, ridges));
  // Latency with MACs alone, to show how far memory traffic moves each point.
  const double macs_only_ms = p.cost.macs / p.profile.peak_macs_per_sec() * 1e3;
  if (format == "json") {
    JsonWriter json;
    json.BeginObject();
    json.Key("arch").String(p.arch.name());
    json.Key("hardware").String(p.profile.name());
    json.Key("peak_macs_per_sec").Double(p.profile.peak_macs_per_sec());
    json.Key("points").BeginArray();
    for (const SweepPoint& s : points) {
      json.BeginObject();
      json.Key("ridge_point").Double(s.ridge_point);
      json.Key("latency_ms").Double(s.latency_ms);
      json.Key("compute_bound_share").Double(s.compute_bound_share);
      json.EndObject();
    }
    json.EndArray();
    json.EndObject();
    *out = json.str();
    return absl::OkStatus();
  }
  Table table({"ridge_point", "latency_ms", "vs_macs_only", "compute_bound_pct"});
  for (const SweepPoint& s : points) {
    table.AddRow({FormatDouble(s.ridge_point), FormatDouble(s.latency_ms),
                  FormatDouble(macs_only_ms > 0 ? s.latency_ms / macs_only_ms : 0),
                  FormatDouble(s.compute_bound_share * 100, 3)});
  }
  *out = format == "csv" ? table.RenderCsv()
                         : absl::StrCat(table.Render(), "\n", p.arch.name(), ", peak ",
                                        FormatDouble(p.profile.peak_macs_per_sec() / 1e9),
                                        " GMAC/s (", p.profile.name(), "), ",
                                        ElementTypeName(p.cost.element_type), "\n");
  return absl::OkStatus();
}

}  // namespace

void AddLatencyCommands(std::vector<Command>* commands) {
  const std::vector<std::string> common = {"arch", "hardware", "resolution", "classes", "format"};
  commands->push_back({"latency predict", "",
                       "Roofline latency of an architecture on a hardware profile.", common, 0, 0,
                       Predict});
  commands->push_back({"latency explain", "",
                       "Per-layer roofline: MACs, bytes, intensity, compute- or memory-bound, share of time.",
                       common, 0, 0, Explain});
  std::vector<std::string> sweep = common;
  sweep.insert(sweep.end(), {"min_ridge", "max_ridge", "step", "out"});
  commands->push_back({"latency sweep", "",
                       "Latency over ridge points (default 0..500 MACs/byte) at a fixed peak "
                       "(--hardware's, else a nominal 1 TMAC/s int8). --format=svg --out=FILE.svg plots it, for "
                       "every zoo model unless --arch is given.",
                       sweep, 0, 0, Sweep});
}

}  // namespace ridge::cli
