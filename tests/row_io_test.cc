// CSV / JSON-lines reading and float printing for the CLI.
#include "row_io.h"

#include "csv_record.h"
#include "line_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace tfjs_run::cli {
namespace {

struct Read {
  std::vector<std::vector<float>> rows;
  std::vector<uint64_t> lines;
  std::vector<RowError> errors;
  std::vector<std::string> header;
};

Read ReadAll(const std::string& text, RowReaderOptions options = {}) {
  // A real file: the reader uses read(2) on its descriptor, which fmemopen streams lack.
  std::FILE* f = std::tmpfile();
  std::fwrite(text.data(), 1, text.size(), f);
  std::rewind(f);
  Read out;
  {
    RowReader reader(f, options);
    std::vector<float> values;
    RowError error;
    for (;;) {
      auto st = reader.Next(values, error);
      if (st == RowReader::Status::kEnd) break;
      if (st == RowReader::Status::kBadRow) out.errors.push_back(error);
      else { out.rows.push_back(values); out.lines.push_back(reader.line()); }
    }
    out.header = reader.header();
  }
  std::fclose(f);
  return out;
}

TEST(RowReaderTest, DetectsAHeaderAndKeepsLineNumbers) {
  Read r = ReadAll("a,b\n1,2\n\n3.5,-4e2\n");
  EXPECT_EQ(r.header, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[1], (std::vector<float>{3.5f, -400.0f}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 4}));
}

TEST(RowReaderTest, NoHeaderWhenTheFirstLineIsNumeric) {
  Read r = ReadAll("1,2\n3,4");  // and no final newline
  EXPECT_TRUE(r.header.empty());
  EXPECT_EQ(r.rows.size(), 2u);
}

TEST(RowReaderTest, ForcedHeaderModes) {
  RowReaderOptions yes;
  yes.header = HeaderMode::kYes;
  EXPECT_EQ(ReadAll("1,2\n3,4\n", yes).rows.size(), 1u);
  RowReaderOptions no;
  no.header = HeaderMode::kNo;
  Read r = ReadAll("x,2\n3,4\n", no);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].ToString(), "line 1, column 1: 'x' is not a number");
}

TEST(RowReaderTest, TextInANumberNamesLineAndColumn) {
  Read r = ReadAll("1,2,3\n4,five,6\n7,8,9\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].ToString(), "line 2, column 2: 'five' is not a number");
  EXPECT_EQ(r.rows.size(), 2u);  // reading goes on after a bad row
}

// The grammar Java's FeatureText matches (FeatureTextTest): decimals with one sign, nothing of
// Java's or C's other spellings.
TEST(RowReaderTest, NumbersAreDecimalsWithOneSign) {
  Read r = ReadAll("0,+.5,5.,-3E-2\n1,+-1,--1,1\n1,1f,1,1\n1,0x1p3,1,1\n1,1e,1,1\n1,+,1,1\n");
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{0, 0.5f, 5, -0.03f}}));
  ASSERT_EQ(r.errors.size(), 5u);
  EXPECT_EQ(r.errors[0].ToString(), "line 2, column 2: '+-1' is not a number");
  EXPECT_EQ(r.errors[1].ToString(), "line 3, column 2: '1f' is not a number");
  EXPECT_EQ(r.errors[2].ToString(), "line 4, column 2: '0x1p3' is not a number");
  EXPECT_EQ(r.errors[3].ToString(), "line 5, column 2: '1e' is not a number");
  EXPECT_EQ(r.errors[4].ToString(), "line 6, column 2: '+' is not a number");
}

TEST(RowReaderTest, ShortAndLongRowsAreErrors) {
  Read r = ReadAll("1,2,3\n4,5\n6,7,8,9\n");
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].ToString(), "line 2: expected 3 fields, found 2 (short row)");
  EXPECT_EQ(r.errors[1].ToString(), "line 3: expected 3 fields, found 4 (long row)");
}

TEST(RowReaderTest, EmptyFieldIsAnError) {
  Read r = ReadAll("1,2\n3,\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].ToString(), "line 2, column 2: empty field");
}

TEST(RowReaderTest, ColumnsByIndexRangeAndName) {
  RowReaderOptions range;
  range.columns = "1-2";
  Read r = ReadAll("9,1,2\n8,3,4\n", range);
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{1, 2}, {3, 4}}));
  RowReaderOptions names;
  names.columns = "c,a";
  r = ReadAll("a,b,c\n1,2,3\n", names);
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{3, 1}}));
  RowReaderOptions missing;
  missing.columns = "zz";
  r = ReadAll("a,b\n1,2\n", missing);
  ASSERT_EQ(r.errors.size(), 2u);  // the header line, and every row after it
  EXPECT_NE(r.errors[0].message.find("'zz'"), std::string::npos);
}

// A field no selected column reads (--model-column's model name) is skipped unread, plain or
// quoted; the rows around it still get every check: a bad number, a short or a long row.
TEST(RowReaderTest, FieldsNotSelectedAreNeverReadAsNumbers) {
  RowReaderOptions o;
  o.header = HeaderMode::kNo;
  o.columns = "1-3";
  Read r = ReadAll("m1,1,2,3\n\"m,2\",4,5,6\nm3,7,8,9\r\n,10,11,12\nm5,1,x,3\nm6,1,2\nm7,1,2,3,4\n", o);
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10, 11, 12}}));
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].ToString(), "line 5, column 3: 'x' is not a number");
  EXPECT_NE(r.errors[1].message.find("short row"), std::string::npos) << r.errors[1].message;
  EXPECT_NE(r.errors[2].message.find("long row"), std::string::npos) << r.errors[2].message;
}

TEST(RowReaderTest, DelimiterAndCrLfAndQuotedNumbers) {
  RowReaderOptions tab;
  tab.delimiter = '\t';
  Read r = ReadAll("1\t\"2\"\r\n 3 \t+4\r\n", tab);
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{1, 2}, {3, 4}}));
}

TEST(RowReaderTest, LinesLongerThanTheReadBufferAreWhole) {
  std::string line;
  for (int i = 0; i < 300000; ++i) line += (i ? ",1" : "1");
  Read r = ReadAll(line + "\n" + line + "\n");
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[1].size(), 300000u);
}

TEST(RowReaderTest, JsonLinesArraysAndObjects) {
  RowReaderOptions json;
  json.format = InputFormat::kJsonLines;
  Read r = ReadAll("[1, 2.5]\n\n[3, 4]\n{\"x\": 1}\n[1, \"a\"]\nnot json\n", json);
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{1, 2.5f}, {3, 4}}));
  ASSERT_EQ(r.errors.size(), 3u);
  // Objects are matched by name, and without feature names or --columns there are none to match.
  EXPECT_EQ(r.errors[0].ToString(), "line 4: a JSON object, but the bundle declares no feature names to match its "
                                    "keys: build it with model-bundler --feature-names, or list the keys in the "
                                    "model's order with --columns");
  EXPECT_EQ(r.errors[1].ToString(), "line 5, column 2: 'a' is not a number");
  EXPECT_EQ(r.errors[2].ToString(), "line 6: not valid JSON");
  json.columns = "b,a";
  r = ReadAll("{\"a\": 1, \"b\": 2}\n{\"b\": 4, \"a\": 3}\n", json);
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{2, 1}, {4, 3}}));
}

// What the CLI's pipeline reads through: records on one thread, parsed later with the snapshot.
TEST(RowReaderTest, RecordsOfSeveralInputsKeepBlankLinesAndPassOverARepeatedHeader) {
  std::vector<std::FILE*> files;
  for (const std::string text : {"a,b\n1,2\n\n", "a,b\n3,4"}) {
    files.push_back(std::tmpfile());
    std::fwrite(text.data(), 1, text.size(), files.back());
    std::rewind(files.back());
  }
  std::vector<uint64_t> lines_before;
  RowReaderOptions o;
  o.next_input = [&](uint64_t before) {
    if (lines_before.size() == files.size()) return -1;
    lines_before.push_back(before);
    return fileno(files[lines_before.size() - 1]);
  };
  RowReader reader(-1, o);  // the first input comes from next_input too
  const std::shared_ptr<const RowParser> unsettled = reader.parser();
  EXPECT_FALSE(unsettled->settled());
  RowReader::Record record;
  std::vector<std::tuple<uint64_t, bool, std::vector<float>>> seen;
  while (reader.NextRecord(record)) {
    std::vector<float> values;
    RowError error;
    if (!record.blank) {
      std::string copy(record.text);  // the pipeline parses a copy, on another thread
      RowReader::Record copied = record;
      copied.text = copy;
      ASSERT_TRUE(RowReader::ParseRecord(*reader.parser(), reader.max_line_bytes(), copied, values, error))
          << error.ToString();
    }
    seen.emplace_back(record.line, record.blank, values);
  }
  for (std::FILE* f : files) std::fclose(f);
  EXPECT_EQ(seen, (std::vector<std::tuple<uint64_t, bool, std::vector<float>>>{
                      {2, false, {1, 2}}, {3, true, {}}, {5, false, {3, 4}}}));  // line 4 is the header again
  EXPECT_EQ(lines_before, (std::vector<uint64_t>{0, 3}));
  EXPECT_EQ(reader.lines_read(), 5u);
  EXPECT_NE(reader.parser(), unsettled);  // settled on line 1: a new snapshot, which never changes again
  EXPECT_EQ(reader.parser()->header(), (std::vector<std::string>{"a", "b"}));
}

TEST(RowReaderTest, AnOverlongRecordIsABadRowWhenParsed) {
  RowReaderOptions small;
  small.max_line_bytes = 64;
  std::FILE* f = std::tmpfile();
  const std::string text = "1,2\n" + std::string(100, '3') + "\n4,5\n";
  std::fwrite(text.data(), 1, text.size(), f);
  std::rewind(f);
  RowReader reader(f, small);
  RowReader::Record record;
  ASSERT_TRUE(reader.NextRecord(record));
  ASSERT_TRUE(reader.NextRecord(record));
  EXPECT_TRUE(record.overlong);
  std::vector<float> values;
  RowError error;
  EXPECT_FALSE(RowReader::ParseRecord(*reader.parser(), reader.max_line_bytes(), record, values, error));
  EXPECT_EQ(error.ToString(), "line 2: line longer than 64 bytes (--max-line-bytes)");
  EXPECT_TRUE(values.empty());
  ASSERT_TRUE(reader.NextRecord(record));  // reading goes on
  EXPECT_EQ(record.line, 3u);
  EXPECT_EQ(record.text, "4,5");
  std::fclose(f);
}

// Input that used to crash or mislead (issue 9, part 5).
TEST(HostileInputTest, AByteOrderMarkIsStrippedAndTheFirstRowIsData) {
  Read r = ReadAll("\xEF\xBB\xBF" "1,2\n3,4\n");
  EXPECT_TRUE(r.header.empty());
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{1, 2}, {3, 4}}));
  r = ReadAll("\xEF\xBB\xBF" "a,b\n3,4\n");
  EXPECT_EQ(r.header, (std::vector<std::string>{"a", "b"}));
}

TEST(HostileInputTest, ATypoInTheFirstRowIsABadRowNotAHeader) {
  Read r = ReadAll("1,2x,3\n4,5,6\n");
  EXPECT_TRUE(r.header.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].ToString(), "line 1, column 2: '2x' is not a number");
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{4, 5, 6}}));
}

TEST(HostileInputTest, DeeplyNestedJsonIsABadRowNotACrash) {
  RowReaderOptions json;
  json.format = InputFormat::kJsonLines;
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::string just_too_deep = "[" + std::string(64, '[') + "1" + std::string(64, ']') + "]";
  Read r = ReadAll("[1, 2]\n" + deep + "\n" + just_too_deep + "\n[[[1]], 2]\n[3, 4]\n", json);
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{1, 2}, {3, 4}}));
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].ToString(), "line 2: JSON nested deeper than 64 levels");
  EXPECT_EQ(r.errors[1].ToString(), "line 3: JSON nested deeper than 64 levels");
  EXPECT_EQ(r.errors[2].ToString(), "line 4, column 1: an array is not a number");
}

TEST(HostileInputTest, JsonObjectsAreReadByKeyNotByTheirOrderOnTheLine) {
  RowReaderOptions json;
  json.format = InputFormat::kJsonLines;
  json.feature_names = {"a", "b", "c"};
  // The first object's key order decides nothing: each is read by the declared names.
  Read r = ReadAll("{\"c\": 3, \"a\": 1, \"b\": 2}\n{\"a\": 10, \"b\": 20, \"c\": 30}\n"
                   "{\"a\": 1, \"b\": 2}\n{\"d\": 4, \"a\": 1, \"b\": 2, \"c\": 3}\n", json);
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{1, 2, 3}, {10, 20, 30}, {1, 2, 3}}));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].ToString(), "line 3, column 3: missing key 'c'");
}

TEST(HostileInputTest, ALineLongerThanTheLimitIsABadRowAndReadingGoesOn) {
  RowReaderOptions small;
  small.max_line_bytes = 1000;
  std::string long_line(5000, '1');
  std::string huge_line(3 << 20, '2');  // longer than the 1 MiB read buffer too
  Read r = ReadAll("1,2\n" + long_line + "\n3,4\n" + huge_line + "\n5,6\n" + huge_line, small);
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{1, 2}, {3, 4}, {5, 6}}));
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].ToString(), "line 2: line longer than 1000 bytes (--max-line-bytes)");
  EXPECT_EQ(r.errors[1].line, 4u);
  EXPECT_EQ(r.errors[2].line, 6u);  // the last line, with no newline
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{1, 3, 5}));
}

// Found by fuzz_row_reader: after line 1 reported that --columns selects a field it lacks, the
// next lines were read with that index, past the end of their fields.
TEST(HostileInputTest, ColumnsThatDoNotFitMakeEveryRowABadRowNotAnOverflow) {
  RowReaderOptions past;
  past.columns = "0-2,5";
  Read r = ReadAll("1,2,3\n4,5,6\n7,8,9\n", past);
  EXPECT_TRUE(r.rows.empty());
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[2].ToString(), "line 3: --columns selects field 5 (0-based) but the first line has only 3 fields");
  RowReaderOptions name;
  name.columns = "zz";
  r = ReadAll("1,2\n3,4\n", name);
  EXPECT_TRUE(r.rows.empty());
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_NE(r.errors[1].message.find("'zz'"), std::string::npos);
}

TEST(HostileInputTest, HugeColumnIndicesAreRefusedUpFront) {
  for (const char* spec : {"0-4000000000", "2000000"}) {
    RowReaderOptions o;
    o.columns = spec;
    std::FILE* f = std::fopen("/dev/null", "r");
    EXPECT_THROW(RowReader(f, o), std::invalid_argument) << spec;
    std::fclose(f);
  }
}

TEST(RowReaderTest, BadColumnSpecIsRefused) {
  RowReaderOptions o;
  o.columns = "5-2";
  std::FILE* f = std::fopen("/dev/null", "r");
  EXPECT_THROW(RowReader(f, o), std::invalid_argument);
  std::fclose(f);
}

TEST(FloatTextTest, ShortestFormRoundTripsFloat32) {
  for (float v : {0.1f, 1.0f / 3.0f, 1e-38f, 3.4028235e38f, -0.0f, 123456.789f, 1.17549435e-38f, 1.4e-45f}) {
    std::string s;
    AppendFloat(s, v);
    std::optional<float> back = ParseFloat(s);
    ASSERT_TRUE(back) << s;
    EXPECT_EQ(std::memcmp(&*back, &v, sizeof v), 0) << s;
  }
  std::string s;
  AppendFloat(s, 0.1f);
  EXPECT_EQ(s, "0.1");
}

// RFC 4180 quoting (issue 17, part 5).
TEST(CsvRecordTest, QuotedFieldsHoldDelimitersDoubledQuotesAndNewlines) {
  std::vector<std::string_view> fields;
  std::string scratch;
  CsvSplitError error;
  ASSERT_TRUE(SplitCsvRecord("\"Smith, John\",13.2, \"say \"\"hi\"\"\" ,\"a\nb\",,x\"y", ',', fields, scratch, error));
  EXPECT_EQ(fields, (std::vector<std::string_view>{"Smith, John", "13.2", "say \"hi\"", "a\nb", "", "x\"y"}));
  ASSERT_FALSE(SplitCsvRecord("1,\"open,2", ',', fields, scratch, error));
  EXPECT_EQ(error.field, 2u);
  EXPECT_EQ(error.message, "a quoted field that is never closed");
  ASSERT_FALSE(SplitCsvRecord("\"a\"b,1", ',', fields, scratch, error));
  EXPECT_EQ(error.field, 1u);
  EXPECT_EQ(error.message, "text after the closing quote of a quoted field");
  // A tab delimiter is not padding: empty fields stay empty fields.
  ASSERT_TRUE(SplitCsvRecord("\t\"1\"\t", '\t', fields, scratch, error));
  EXPECT_EQ(fields, (std::vector<std::string_view>{"", "1", ""}));
}

TEST(CsvRecordTest, TheQuoteStateFollowsARecordAcrossLines) {
  CsvQuoteState q(',');
  q.ScanLine("1,\"first");
  EXPECT_TRUE(q.in_quotes());
  q.ScanLine("still \"\" inside");
  EXPECT_TRUE(q.in_quotes());
  q.ScanLine("closed\",2");
  EXPECT_FALSE(q.in_quotes());
  q.ScanLine("ab\"c,1");  // a quote inside an unquoted field opens nothing
  EXPECT_FALSE(q.in_quotes());
  q.ScanLine("1,\"x\"\"");  // a doubled quote at the end of a line: still inside
  EXPECT_TRUE(q.in_quotes());
}

TEST(RowReaderTest, QuotedCsvIsReadAsRfc4180Says) {
  RowReaderOptions o;
  o.columns = "1-2";
  Read r = ReadAll("name,x,y\n\"Smith, John\",13.2,1\n\"two\nline \"\"name\"\"\",2,3\nplain,\"4\",5\n", o);
  EXPECT_EQ(r.header, (std::vector<std::string>{"name", "x", "y"}));
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{13.2f, 1}, {2, 3}, {4, 5}}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 3, 5}));  // a record is named by its first line
  EXPECT_TRUE(r.errors.empty());
}

TEST(RowReaderTest, QuotingErrorsNameTheRecordsFirstLine) {
  Read r = ReadAll("1,2\n\"3\"x,4\n5,6\n7,\"8\n9,10\n");
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{1, 2}, {5, 6}}));
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].ToString(), "line 2, column 1: text after the closing quote of a quoted field");
  EXPECT_EQ(r.errors[1].ToString(), "line 4, column 2: a quoted field that is never closed");
}

TEST(HostileInputTest, AStrayQuoteCostsOneBoundedBadRowNotTheRestOfTheInput) {
  RowReaderOptions small;
  small.max_line_bytes = 64;
  std::string rows;
  for (int i = 0; i < 40; ++i) rows += "1,2\n";
  Read r = ReadAll("1,2\n\"3,4\n" + rows, small);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 2u);
  EXPECT_NE(r.errors[0].message.find("does not close"), std::string::npos) << r.errors[0].ToString();
  // The record took 16 of the 40 lines after it ("3,4" and 15 joined make 64 bytes; the 16th is
  // one too many) and stopped there: the 24 rows after it are read again.
  EXPECT_EQ(r.rows.size(), 25u);
  EXPECT_EQ(r.lines.back(), 42u);
}

TEST(LineReaderTest, BlankLinesComeBackSoEachLineHasItsAnswer) {
  std::FILE* f = std::tmpfile();
  const std::string text = "1,2\n\n \t\r\n\"a\n\nb\",3\n4,5";
  std::fwrite(text.data(), 1, text.size(), f);
  std::rewind(f);
  LineReaderOptions o;
  o.csv_delimiter = ',';
  LineReader reader(f, o);
  LineReader::Line line;
  std::vector<std::pair<uint64_t, bool>> seen;
  std::vector<std::string> texts;
  while (reader.Next(line)) {
    seen.emplace_back(line.number, line.blank);
    texts.emplace_back(line.text);
  }
  std::fclose(f);
  EXPECT_EQ(seen, (std::vector<std::pair<uint64_t, bool>>{{1, false}, {2, true}, {3, true}, {4, false}, {7, false}}));
  EXPECT_EQ(texts[3], "\"a\n\nb\",3");  // the blank line inside quotes belongs to the field
}

// Non-finite values and float32's range (issue 17, part 5).
TEST(RowReaderTest, NanAndInfinityAreBadRowsNamingLineAndColumn) {
  Read r = ReadAll("1,2\nnan,2\n1,inf\n-Infinity,0\n3,4\n");
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{1, 2}, {3, 4}}));
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].ToString(),
            "line 2, column 1: 'nan' is not a finite number (--allow-nonfinite passes NaN and infinity on)");
  EXPECT_EQ(r.errors[1].line, 3u);
  EXPECT_EQ(r.errors[1].column, 2u);
  EXPECT_EQ(r.errors[2].line, 4u);
  RowReaderOptions allow;
  allow.allow_nonfinite = true;
  r = ReadAll("nan,-inf\n", allow);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_TRUE(std::isnan(r.rows[0][0]));
  EXPECT_EQ(r.rows[0][1], -std::numeric_limits<float>::infinity());
}

TEST(RowReaderTest, NumbersOutsideFloat32sRangeAreBadRowsEvenWhenNonFiniteIsAllowed) {
  for (bool allow : {false, true}) {
    RowReaderOptions o;
    o.allow_nonfinite = allow;
    o.header = HeaderMode::kNo;
    Read r = ReadAll("1e39,1\n-1e400,1\n3.4028235e38,1e-50\n", o);
    EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{std::numeric_limits<float>::max(), 0}})) << allow;
    ASSERT_EQ(r.errors.size(), 2u);
    EXPECT_EQ(r.errors[0].ToString(), "line 1, column 1: '1e39' is outside float32's range (about +-3.4e38)");
    EXPECT_EQ(r.errors[1].ToString(), "line 2, column 1: '-1e400' is outside float32's range (about +-3.4e38)");
  }
  // Numbers, even past float32, make line 1 data: a bad row, not a header that eats it.
  Read r = ReadAll("1e39,1e40\n1,2\n");
  EXPECT_TRUE(r.header.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 1u);
  RowReaderOptions json;
  json.format = InputFormat::kJsonLines;
  r = ReadAll("[1e39, 1]\n[1, 2]\n[1e400, 1]\n", json);
  EXPECT_EQ(r.rows, (std::vector<std::vector<float>>{{1, 2}}));
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[1].ToString(), "line 3: a number outside float32's range (about +-3.4e38)");
  EXPECT_EQ(r.errors[0].line, 1u);
  EXPECT_EQ(r.errors[0].column, 1u);
  EXPECT_NE(r.errors[0].message.find("outside float32's range"), std::string::npos) << r.errors[0].ToString();
}

// Feature names (issue 17, part 5).
TEST(FeatureNamesTest, ACsvHeaderIsMatchedByName) {
  RowReaderOptions o;
  o.feature_names = {"a", "b", "c"};
  std::FILE* f = std::tmpfile();
  const std::string text = "id,c,\"a\",extra,b\nx,3,1,9,2\ny,30,10,90,20\n";
  std::fwrite(text.data(), 1, text.size(), f);
  std::rewind(f);
  RowReader reader(f, o);
  std::vector<float> values;
  RowError error;
  std::vector<std::vector<float>> rows;
  while (reader.Next(values, error) == RowReader::Status::kRow) rows.push_back(values);
  std::fclose(f);
  EXPECT_EQ(rows, (std::vector<std::vector<float>>{{1, 2, 3}, {10, 20, 30}}));
}

TEST(FeatureNamesTest, AHeaderWithoutAFeatureMakesEveryRowABadRowNamingIt) {
  RowReaderOptions o;
  o.feature_names = {"a", "b", "c"};
  Read r = ReadAll("a,b,d\n1,2,3\n4,5,6\n", o);
  EXPECT_TRUE(r.rows.empty());
  ASSERT_EQ(r.errors.size(), 3u);  // the header line, and each row after it
  EXPECT_EQ(r.errors[1].ToString(), "line 2: the header has no column 'c', a feature of the bundle");
  EXPECT_EQ(r.errors[2].line, 3u);
  r = ReadAll("a,b,c,a\n1,2,3,4\n", o);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[1].ToString(), "line 2: the header names 'a' twice");
}

TEST(FeatureNamesTest, WithoutAHeaderColumnsArePositional) {
  RowReaderOptions o;
  o.feature_names = {"a", "b"};
  EXPECT_EQ(ReadAll("1,2\n3,4\n", o).rows, (std::vector<std::vector<float>>{{1, 2}, {3, 4}}));
}

TEST(FeatureNamesTest, JsonObjectsReportTheKeysTheyIgnore) {
  RowParserOptions o;
  o.format = InputFormat::kJsonLines;
  o.feature_names = {"a", "b"};
  RowParser parser(o);
  parser.Settle("{\"a\": 1, \"b\": 2}", 1);
  std::vector<float> out;
  RowError error;
  std::string ignored;
  ASSERT_TRUE(parser.Parse("{\"z\": 0, \"b\": 2, \"a\": 1, \"id\": 7}", 2, out, error, &ignored));
  EXPECT_EQ(out, (std::vector<float>{1, 2}));
  EXPECT_EQ(ignored, "'z', 'id'");
  ASSERT_FALSE(parser.Parse("{\"b\": 2}", 3, out, error, &ignored));
  EXPECT_EQ(error.ToString(), "line 3, column 1: missing key 'a'");
}

TEST(FeatureNamesTest, ColumnNamesInAnotherOrderThanTheModelsAreRefused) {
  RowParserOptions o;
  o.feature_names = {"a", "b"};
  o.columns = "b,a";
  EXPECT_THROW(RowParser{o}, std::invalid_argument);
  o.columns = "a,b";
  EXPECT_NO_THROW(RowParser{o});
  o.columns = "1-2";  // indices say where the features are, not what they are called
  EXPECT_NO_THROW(RowParser{o});
}

}  // namespace
}  // namespace tfjs_run::cli
