// A minimal SVG writer: elements with escaped attributes and text, so any
// label (an architecture ID, a user's hardware name) yields well-formed XML.
#ifndef RIDGE_PLOTS_SVG_H_
#define RIDGE_PLOTS_SVG_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace ridge::plots {

// (Escaping is common/markup.h's XmlEscape.)

// A coordinate or length for an attribute: two decimals at most, no
// trailing zeros.
std::string Num(double value);

using Attributes = std::vector<std::pair<std::string, std::string>>;

// Builds an SVG document element by element. REQUIRES: Open and Close are
// balanced before str().
class SvgWriter {
 public:
  SvgWriter(double width, double height);
  // <name attrs/>.
  void Empty(const std::string& name, const Attributes& attributes);
  // <name attrs>text</name>.
  void Text(const std::string& name, const Attributes& attributes, absl::string_view text);
  void Open(const std::string& name, const Attributes& attributes);
  void Close(const std::string& name);
  // The document: an XML declaration and the <svg> root.
  std::string str() const;

 private:
  void Start(const std::string& name, const Attributes& attributes);

  std::string body_;
  double width_, height_;
};

}  // namespace ridge::plots

#endif  // RIDGE_PLOTS_SVG_H_
