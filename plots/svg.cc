#include "plots/svg.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/markup.h"

namespace ridge::plots {

std::string Num(double value) {
  if (!std::isfinite(value)) return "0";
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), "%.2f", value);
  std::string s = buffer;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

SvgWriter::SvgWriter(double width, double height) : width_(width), height_(height) {}

void SvgWriter::Start(const std::string& name, const Attributes& attributes) {
  absl::StrAppend(&body_, "<", name);
  for (const auto& [key, value] : attributes) absl::StrAppend(&body_, " ", key, "=\"", XmlEscape(value), "\"");
}

void SvgWriter::Empty(const std::string& name, const Attributes& attributes) {
  Start(name, attributes);
  body_ += "/>\n";
}

void SvgWriter::Text(const std::string& name, const Attributes& attributes, absl::string_view text) {
  Start(name, attributes);
  absl::StrAppend(&body_, ">", XmlEscape(text), "</", name, ">\n");
}

void SvgWriter::Open(const std::string& name, const Attributes& attributes) {
  Start(name, attributes);
  body_ += ">\n";
}

void SvgWriter::Close(const std::string& name) { absl::StrAppend(&body_, "</", name, ">\n"); }

std::string SvgWriter::str() const {
  return absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"", Num(width_), "\" height=\"",
                      Num(height_), "\" viewBox=\"0 0 ", Num(width_), " ", Num(height_),
                      "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n", body_, "</svg>\n");
}

}  // namespace ridge::plots
