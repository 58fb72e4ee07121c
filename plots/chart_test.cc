#include "plots/chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/markup.h"
#include "plots/svg.h"

namespace ridge::plots {
namespace {

// A small XML well-formedness check: balanced and properly nested tags,
// quoted attributes, no stray '<' or '&' in text. Returns "" or the first
// problem. Enough for what SvgWriter emits; the CLI tests parse with Python.
std::string XmlProblem(const std::string& xml) {
  std::vector<std::string> open;
  size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] == '&') {
      const size_t semi = xml.find(';', i);
      const std::string entity = xml.substr(i, semi == std::string::npos ? 1 : semi - i + 1);
      const bool numeric = entity.size() > 3 && entity[1] == '#' &&
                           entity.find_first_not_of("0123456789", 2) == entity.size() - 1;
      if (!numeric && entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
          entity != "&apos;") {
        return "bad entity at " + std::to_string(i);
      }
    }
    if (xml[i] != '<') {
      if (xml[i] == '>') return "stray '>' at " + std::to_string(i);
      ++i;
      continue;
    }
    const size_t end = xml.find('>', i);
    if (end == std::string::npos) return "unclosed tag";
    std::string tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag[0] == '?') continue;
    int quotes = 0;
    for (char c : tag) quotes += c == '"';
    if (quotes % 2 != 0) return "unbalanced quotes in <" + tag + ">";
    if (absl::StrContains(tag, "<")) return "'<' inside <" + tag + ">";
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return "mismatched </" + tag.substr(1) + ">";
      open.pop_back();
      continue;
    }
    const bool empty = tag.back() == '/';
    const std::string name = tag.substr(0, tag.find_first_of(" /"));
    if (!empty) open.push_back(name);
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

Figure TwoPanels() {
  Figure f;
  f.title = "Front <pixel6_cpu> & \"friends\"";
  f.subtitle = "accuracy's view";
  f.columns = 2;
  for (int p = 0; p < 2; ++p) {
    Panel panel;
    panel.title = "panel " + std::to_string(p);
    panel.x.label = "latency (ms)";
    panel.y.label = "accuracy (%)";
    Series dots{"evaluated", "#999999", {{1, 0.5}, {2, 0.6}, {3, 0.55}}};
    dots.opacity = 0.4;
    Series front{"front", PaletteColor(0), {{1, 0.5}, {2, 0.6}, {4, 0.7}, {3, 0.65}}};
    front.join = Series::Join::kStep;
    front.marker = Marker::kDiamond;
    panel.series = {dots, front, Series{"argmax", "#d62728", {{2, 0.6}}, Marker::kTriangle}};
    panel.vlines = {{2.5, "budget 2.5 ms"}};
    panel.hlines = {{0.55, "target"}};
    panel.annotations = {{4, 0.7, "ref <a&b>"}, {4, 0.7, "another label"}};
    panel.note = "over RPC only the front's points";
    f.panels.push_back(panel);
  }
  return f;
}

TEST(XmlEscapeTest, EscapesMarkupAndDropsControlCharacters) {
  EXPECT_EQ(XmlEscape("a<b>&\"c'\x01\n"), "a&lt;b&gt;&amp;&quot;c&#39;\n");
  EXPECT_EQ(XmlEscape("µs ×"), "µs ×");
  EXPECT_EQ(XmlProblem(absl::StrCat("<a>", XmlEscape("<&'\">"), "</a>")), "");
  EXPECT_EQ(XmlProblem("<a><b x=\"1\"/>t&amp;</a>"), "");
  EXPECT_NE(XmlProblem("<a><b></a>"), "");  // The checker itself catches bad nesting.
  EXPECT_NE(XmlProblem("<a>x & y</a>"), "");
}

TEST(NumTest, ShortCoordinates) {
  EXPECT_EQ(Num(1.5), "1.5");
  EXPECT_EQ(Num(2.0), "2");
  EXPECT_EQ(Num(-0.001), "0");
  EXPECT_EQ(Num(1.0 / 3), "0.33");
}

TEST(RenderSvgTest, WellFormedWithEveryPointAndLabel) {
  const std::string svg = RenderSvg(TwoPanels());
  EXPECT_EQ(XmlProblem(svg), "") << svg;
  EXPECT_TRUE(absl::StartsWith(svg, "<?xml"));
  EXPECT_TRUE(absl::StrContains(svg, "Front &lt;pixel6_cpu&gt; &amp; &quot;friends&quot;"));
  EXPECT_TRUE(absl::StrContains(svg, "ref &lt;a&amp;b&gt;"));
  // 3 evaluated + 4 front + 1 argmax, in each of two panels.
  EXPECT_EQ(Count(svg, "class=\"point\""), 16);
  EXPECT_EQ(Count(svg, "data-points=\"4\""), 2);
  EXPECT_EQ(Count(svg, "class=\"legend-point\""), 6);
  EXPECT_EQ(Count(svg, "stroke-dasharray=\"5 4\""), 4);  // A budget and a target line per panel.
  EXPECT_TRUE(absl::StrContains(svg, ">latency (ms)</text>"));
  EXPECT_TRUE(absl::StrContains(svg, ">accuracy (%)</text>"));
  EXPECT_TRUE(absl::StrContains(svg, ">budget 2.5 ms</text>"));
}

TEST(RenderSvgTest, StepJoinHoldsEachValueUntilTheNextX) {
  Figure f;
  Panel p;
  Series s{"front", "#000000", {{3, 3}, {1, 1}, {2, 2}}, Marker::kNone};
  s.join = Series::Join::kStep;
  p.series = {s};
  f.panels = {p};
  const std::string svg = RenderSvg(f);
  // Sorted by x; each move is horizontal, then vertical.
  const size_t d = svg.find(" d=\"M");
  ASSERT_NE(d, std::string::npos);
  const std::string path = svg.substr(d, svg.find('"', d + 4) - d);
  EXPECT_EQ(Count(path, "H"), 3);  // The last holds to the right edge.
  EXPECT_EQ(Count(path, "V"), 2);
  EXPECT_EQ(Count(svg, "class=\"point\""), 0);
}

TEST(RenderSvgTest, LogAxisSkipsNonPositiveAndNonFinite) {
  Figure f;
  Panel p;
  p.y.log = true;
  p.series = {Series{"s", "#000000", {{0, 1}, {1, 10}, {2, 0}, {3, -1}, {4, NAN}, {5, 1000}}}};
  f.panels = {p};
  const std::string svg = RenderSvg(f);
  EXPECT_EQ(XmlProblem(svg), "");
  EXPECT_EQ(Count(svg, "class=\"point\""), 3);
  EXPECT_TRUE(absl::StrContains(svg, ">1000</text>"));
}

TEST(RenderSvgTest, LongNotesWrapUnderThePlot) {
  Figure f;
  Panel p;
  p.note = std::string(200, 'x') + " " + std::string(40, 'y') + " " + std::string(40, 'z');
  f.panels = {p};
  const std::string svg = RenderSvg(f);
  EXPECT_EQ(XmlProblem(svg), "");
  EXPECT_TRUE(absl::StrContains(svg, ">" + std::string(40, 'y') + " " + std::string(40, 'z') + "</text>"));
}

TEST(RenderSvgTest, EmptyFigureIsStillADocument) {
  const std::string svg = RenderSvg(Figure{});
  EXPECT_EQ(XmlProblem(svg), "");
  Figure f;
  f.panels = {Panel{}};
  EXPECT_EQ(XmlProblem(RenderSvg(f)), "");
}

}  // namespace
}  // namespace ridge::plots
