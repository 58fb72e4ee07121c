#include "common/csv.h"

#include "gtest/gtest.h"

namespace ridge {
namespace {

TEST(CsvTest, ReadsQuotedFieldsWithCommasQuotesAndNewlines) {
  absl::StatusOr<CsvTable> t = ParseCsv(
      "arch, latency_ms\r\n"
      "\"v1 28x28x1 : conv(3,2,24) fc\",1.5\r\n"
      "\n"
      "\"say \"\"hi\"\"\",2\n"
      "\"two\nlines\",3",
      "t.csv");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->header, (std::vector<std::string>{"arch", "latency_ms"}));
  ASSERT_EQ(t->rows.size(), 3u);
  EXPECT_EQ(t->rows[0].fields[0], "v1 28x28x1 : conv(3,2,24) fc");
  EXPECT_EQ(t->rows[0].line, 2);
  EXPECT_EQ(t->rows[1].fields[0], "say \"hi\"");
  EXPECT_EQ(t->rows[1].line, 4);
  EXPECT_EQ(t->rows[2].fields[0], "two\nlines");
  EXPECT_EQ(t->rows[2].fields[1], "3");
  EXPECT_EQ(t->rows[2].line, 5);
}

TEST(CsvTest, SkipsAByteOrderMarkAndCountsEveryKindOfLineEnd) {
  absl::StatusOr<CsvTable> t = ParseCsv("\xEF\xBB\xBF\n\r\na,b\r1,2\r\r\n3,4\n", "t.csv");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t->header_line, 3);
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0].line, 4);
  EXPECT_EQ(t->rows[1].line, 6);
  EXPECT_EQ(ParseCsv("\n\na,b\n1\n", "t.csv").status().message(), "t.csv:4: 1 fields; the header has 2");
}

TEST(CsvTest, EmptyFieldsAreKept) {
  absl::StatusOr<CsvTable> t = ParseCsv("a,b,c\n1,,\n", "t.csv");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->rows[0].fields, (std::vector<std::string>{"1", "", ""}));
}

TEST(CsvTest, RefusesMalformedFilesNamingTheLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "t.csv:1: empty; the first line must name the columns"},
      {"a,,b\n", "t.csv:1: an empty column name in the header"},
      {"a,a\n", "t.csv:1: column 'a' named twice"},
      {"a,b\n1,2\n3\n", "t.csv:3: 1 fields; the header has 2"},
      {"a,b\n1,\"2\n", "t.csv:2: a quoted field never closes"},
      {"a,b\n1,x\"y\n", "t.csv:2: a quote inside an unquoted field (quote the whole field)"},
      {"a,b\n\"1\"x,2\n", "t.csv:2: text after a closing quote (a field is either all quoted or not at all)"},
  };
  for (const auto& [text, message] : cases) {
    absl::StatusOr<CsvTable> t = ParseCsv(text, "t.csv");
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(t.status().message(), message) << text;
  }
}

TEST(CsvTest, EnforcesItsLimits) {
  CsvLimits small;
  small.max_rows = 2;
  small.max_columns = 3;
  small.max_field_bytes = 4;
  EXPECT_EQ(ParseCsv("a\n1\n2\n3\n", "t.csv", small).status().message(), "t.csv:4: more than 2 rows");
  EXPECT_EQ(ParseCsv("a,b,c,d\n", "t.csv", small).status().message(), "t.csv:1: more than 3 fields");
  EXPECT_EQ(ParseCsv("a\n12345\n", "t.csv", small).status().message(), "t.csv:2: a field longer than 4 bytes");
}

}  // namespace
}  // namespace ridge
