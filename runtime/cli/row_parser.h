// How one input record becomes a row of features: numeric CSV (RFC 4180 quoting) or JSON lines,
// --columns, the header, and the bundle's feature names. The first records set the parser up, in
// order (Settle); after that Parse is const and may run on many threads at once, each with its
// own copy or a shared const one.
//
// What a record means is never guessed from its order: when the bundle declares feature names,
// a CSV header and JSON objects are matched to them by name (a missing one is a bad row, an extra
// one is ignored); without them, JSON objects are refused unless --columns lists their keys in the
// model's order. NaN and infinity are bad rows unless allowed, and a number outside float32's
// range always is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tfjs_run::cli {

enum class InputFormat { kCsv, kJsonLines };
enum class HeaderMode { kAuto, kYes, kNo };

struct RowParserOptions {
  InputFormat format = InputFormat::kCsv;
  char delimiter = ',';
  HeaderMode header = HeaderMode::kAuto;
  // Which fields are features: comma-separated 0-based indices, inclusive ranges "1-13", or
  // header names (CSV with a header, or JSON-lines object keys). Empty: every field, or with
  // feature names and a header, the header's columns of those names.
  std::string columns;
  // The bundle's feature names (BundleInfo::feature_names), in the model's order; empty if it
  // declares none.
  std::vector<std::string> feature_names;
  // NaN and infinity pass as features; otherwise they are bad rows.
  bool allow_nonfinite = false;
  // A header column or JSON key that is expected and not a feature (--model-column's): never
  // reported as ignored. Empty: none.
  std::string not_a_feature;
};

// Limits on what the parser accepts, so no input can exhaust memory or the stack.
inline constexpr size_t kMaxColumnIndex = 1u << 20;  // --columns indices and ranges
inline constexpr int kMaxJsonDepth = 64;            // JSON-lines nesting

// Why a row was rejected. line is 1-based; column is the 1-based field index (0: whole row).
struct RowError {
  uint64_t line = 0;
  size_t column = 0;
  std::string message;
  std::string ToString() const;  // "line 7, column 3: why"
  // The same with `where` in place of "line 7" ("b.csv line 7": InputFiles::Where).
  std::string ToString(const std::string& where) const;
};

class RowParser {
 public:
  // Throws std::invalid_argument for a bad --columns spec, or one whose names contradict the
  // declared feature names.
  explicit RowParser(RowParserOptions options);

  enum class LineKind { kHeader, kData };
  // Call with each non-blank record, in order, while !settled(): the first CSV record decides
  // the header and the field count; the first JSON array decides the count.
  LineKind Settle(std::string_view line, uint64_t line_no);
  bool settled() const { return settled_; }

  // Appends the record's features to `out`. A bad row leaves `out` as it was and fills `error`.
  // `ignored`, if given and empty, receives the keys of a JSON object that are not features (they
  // are ignored; the caller warns once).
  bool Parse(std::string_view line, uint64_t line_no, std::vector<float>& out, RowError& error,
             std::string* ignored = nullptr) const;

  const std::vector<std::string>& header() const { return header_; }  // empty if none
  // Header columns that are not feature names, when the header was matched to them (they are
  // ignored), quoted for a message ("'id', 'note'"); empty if none.
  const std::string& ignored_columns() const { return ignored_columns_; }
  bool header_guessed() const { return header_guessed_; }  // line 1 taken as a header by guessing

 private:
  void ResolveColumns(const std::vector<std::string>& names);
  void MatchFeatureNames();
  void CheckSelected();
  bool ParseCsv(std::string_view line, uint64_t line_no, std::vector<float>& out, RowError& error) const;
  bool ParseCsvFast(std::string_view line, std::vector<float>& out) const;
  bool ParseJson(std::string_view line, uint64_t line_no, std::vector<float>& out, RowError& error,
                 std::string* ignored) const;

  RowParserOptions options_;
  bool settled_ = false;
  bool header_guessed_ = false;
  bool names_ = false;            // --columns names fields: resolved when settling
  std::vector<std::string> header_;
  std::string ignored_columns_;
  // The keys JSON objects are read by, in the model's order: the --columns names, else the
  // feature names. Empty: objects are refused.
  std::vector<std::string> keys_;
  std::vector<size_t> selected_;  // field indices; empty = all
  // Per field of a CSV line, 1 if no selected index reads it (ParseCsvFast skips it unparsed);
  // empty when every field is read.
  std::vector<uint8_t> unused_;
  // Set when --columns cannot apply to this input (a name it lacks, an index past its fields):
  // every row is then a bad row with this message, never read with the wrong columns.
  std::string columns_error_;
  size_t expected_fields_ = 0;    // fields per line, fixed when settling
};

// Parses one number the way the CSV reader does (surrounding spaces and a leading '+' allowed;
// NaN and infinity too). Empty for text that is not a number, or one outside float32's range.
std::optional<float> ParseFloat(std::string_view text);

}  // namespace tfjs_run::cli
