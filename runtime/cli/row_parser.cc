#include "row_parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "csv_record.h"
#include "json_limits.h"

namespace tfjs_run::cli {

using internal::JsonDepth;

namespace {
std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string Quote(std::string_view s) {
  std::string out = "'";
  out.append(s.substr(0, 40));
  if (s.size() > 40) out += "...";
  return out + "'";
}

// What a JSON value is, for an error message, without printing it (printing is recursive).
std::string Describe(const nlohmann::ordered_json& v) {
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  if (v.is_string()) return Quote(v.get_ref<const std::string&>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_null()) return "null";
  return "a value";
}

enum class NumberStatus { kOk, kEmpty, kNotANumber, kOutOfRange, kNonFinite };

// A double as a float32 feature: out of range when it rounds to infinity (1e39), or is already
// infinite (JSON's 1e400).
NumberStatus ToFloat(double d, bool allow_nonfinite, float& value) {
  if (std::isnan(d)) {
    value = static_cast<float>(d);
    return allow_nonfinite ? NumberStatus::kOk : NumberStatus::kNonFinite;
  }
  value = static_cast<float>(d);
  return std::isfinite(value) ? NumberStatus::kOk : NumberStatus::kOutOfRange;
}

// One field's number. NaN and infinity written as such ("nan", "inf", "-Infinity") are kNonFinite
// unless allowed; a finite number too large for float32 is kOutOfRange whatever is allowed.
NumberStatus ReadNumber(std::string_view text, bool allow_nonfinite, float& value) {
  text = Trim(text);
  if (text.empty()) return NumberStatus::kEmpty;
  // from_chars takes no '+'; one is dropped, but not before a '-' ("+-1" is no number).
  if (text.size() > 1 && text.front() == '+' && text[1] != '-') text.remove_prefix(1);
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range) {
    // from_chars rejects values that overflow or underflow float (and leaves `value` as it was):
    // read it wider to tell which. Underflow is a zero or a subnormal, as tfjs would read it.
    long double wide = 0;
    auto [p2, ec2] = std::from_chars(text.data(), end, wide);
    if (p2 != end) return NumberStatus::kNotANumber;
    if (ec2 != std::errc() || std::fabs(wide) >= 1) return NumberStatus::kOutOfRange;
    value = static_cast<float>(wide);
    return NumberStatus::kOk;
  }
  if (ec != std::errc() || ptr != end) return NumberStatus::kNotANumber;
  if (!std::isfinite(value) && !allow_nonfinite) return NumberStatus::kNonFinite;
  return NumberStatus::kOk;
}

std::string NumberMessage(NumberStatus status, std::string_view text) {
  switch (status) {
    case NumberStatus::kEmpty: return "empty field";
    case NumberStatus::kOutOfRange: return Quote(Trim(text)) + " is outside float32's range (about +-3.4e38)";
    case NumberStatus::kNonFinite:
      return Quote(Trim(text)) + " is not a finite number (--allow-nonfinite passes NaN and infinity on)";
    default: return Quote(Trim(text)) + " is not a number";
  }
}

// Why a line (nested no deeper than kMaxJsonDepth) is not JSON: nlohmann refuses numbers past
// double's range (1e400) as overflow, which is a number outside float32's range to the user.
std::string JsonProblem(std::string_view line) {
  try {
    [[maybe_unused]] const auto doc = nlohmann::ordered_json::parse(line.begin(), line.end());
  } catch (const nlohmann::json::out_of_range& e) {
    if (e.id == 406) return "a number outside float32's range (about +-3.4e38)";
  } catch (const std::exception&) {
  }
  return "not valid JSON";
}

// The names of a --columns spec that are not indices or ranges, in order.
std::vector<std::string> ColumnNames(std::string_view spec) {
  std::vector<std::string> names;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    names.emplace_back(Trim(spec.substr(0, comma)));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
  }
  return names;
}

std::string JoinQuoted(const std::vector<std::string>& names, size_t most) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < most; ++i) out += (i ? ", " : "") + Quote(names[i]);
  if (names.size() > most) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}
}  // namespace

std::string RowError::ToString() const { return ToString("line " + std::to_string(line)); }

std::string RowError::ToString(const std::string& where) const {
  std::string out = where;
  if (column > 0) out += ", column " + std::to_string(column);
  return out + ": " + message;
}

std::optional<float> ParseFloat(std::string_view text) {
  float value = 0;
  if (ReadNumber(text, /*allow_nonfinite=*/true, value) != NumberStatus::kOk) return std::nullopt;
  return value;
}

RowParser::RowParser(RowParserOptions options) : options_(std::move(options)) {
  // Indices and ranges can be checked now; names need the header.
  std::string_view spec = options_.columns;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    std::string_view item = Trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) throw std::invalid_argument("--columns: empty item in '" + options_.columns + "'");
    size_t a = 0, b = 0;
    const size_t dash = item.find('-', 1);
    auto num = [](std::string_view t, size_t& out) {
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
      return ec == std::errc() && p == t.data() + t.size();
    };
    auto limit = [&](size_t v) {
      if (v >= kMaxColumnIndex) {
        throw std::invalid_argument("--columns: index " + std::to_string(v) + " is past the limit of " +
                                    std::to_string(kMaxColumnIndex - 1));
      }
    };
    if (num(item, a)) {
      limit(a);
      selected_.push_back(a);
    } else if (dash != std::string_view::npos && num(item.substr(0, dash), a) && num(item.substr(dash + 1), b)) {
      if (b < a) throw std::invalid_argument("--columns: range " + std::string(item) + " runs backwards");
      limit(b);
      for (size_t i = a; i <= b; ++i) selected_.push_back(i);
    } else {
      names_ = true;
    }
  }
  if (!names_) {
    keys_ = options_.feature_names;
    return;
  }
  selected_.clear();  // resolved against the header when settling
  keys_ = ColumnNames(options_.columns);
  // Names in another order than the model's would feed it shuffled features: refuse them.
  const auto& declared = options_.feature_names;
  if (!declared.empty() && keys_ != declared) {
    throw std::invalid_argument("--columns lists " + JoinQuoted(keys_, 8) + "; the bundle declares its features as " +
                                JoinQuoted(declared, 8) + ": list them in that order, or leave --columns out");
  }
}

void RowParser::ResolveColumns(const std::vector<std::string>& names) {
  std::string_view spec = options_.columns;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    std::string_view item = Trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    size_t index = 0;
    auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), index);
    if (ec == std::errc() && p == item.data() + item.size()) {
      selected_.push_back(index);
      continue;
    }
    auto it = std::find(names.begin(), names.end(), item);
    if (it == names.end()) {
      columns_error_ = "--columns names " + Quote(item) + ", which is not a column of the " +
                       (names.empty() ? std::string("input (it has no header)") : std::string("header"));
      selected_.clear();
      return;
    }
    selected_.push_back(static_cast<size_t>(it - names.begin()));
  }
}

// A header, and feature names without --columns: each feature is the column of its name.
void RowParser::MatchFeatureNames() {
  for (const std::string& name : options_.feature_names) {
    auto it = std::find(header_.begin(), header_.end(), name);
    if (it == header_.end()) {
      columns_error_ = "the header has no column " + Quote(name) + ", a feature of the bundle";
    } else if (std::find(it + 1, header_.end(), name) != header_.end()) {
      columns_error_ = "the header names " + Quote(name) + " twice";
    }
    if (!columns_error_.empty()) {
      selected_.clear();
      return;
    }
    selected_.push_back(static_cast<size_t>(it - header_.begin()));
  }
  std::vector<std::string> ignored;
  for (const std::string& column : header_) {
    const auto& names = options_.feature_names;
    if (std::find(names.begin(), names.end(), column) == names.end() && column != options_.not_a_feature) {
      ignored.push_back(column);
    }
  }
  ignored_columns_ = JoinQuoted(ignored, 8);
}

void RowParser::CheckSelected() {
  for (size_t i : selected_) {
    if (columns_error_.empty() && i >= expected_fields_) {
      columns_error_ = "--columns selects field " + std::to_string(i) + " (0-based) but the first line has only " +
                       std::to_string(expected_fields_) + " fields";
    }
  }
  unused_.assign(selected_.empty() ? 0 : expected_fields_, 1);
  for (size_t i : selected_) {
    if (i < unused_.size()) unused_[i] = 0;
  }
}

RowParser::LineKind RowParser::Settle(std::string_view line, uint64_t /*line_no*/) {
  if (options_.format == InputFormat::kCsv) {
    std::vector<std::string_view> fields;
    std::string scratch;
    CsvSplitError split_error;
    // A record that cannot be split settles nothing: it is a bad row, and the next one settles.
    if (!SplitCsvRecord(line, options_.delimiter, fields, scratch, split_error)) return LineKind::kData;
    bool is_header = options_.header == HeaderMode::kYes;
    if (options_.header == HeaderMode::kAuto) {
      // A header only when no field of line 1 is a number: a typo in one field of a data row
      // must be a bad row, not silently eat the row as a header.
      // A number past float32's range is still a number here: such a row is a bad row, not a header.
      is_header = std::none_of(fields.begin(), fields.end(), [](std::string_view f) {
        float value = 0;
        const NumberStatus status = ReadNumber(f, /*allow_nonfinite=*/true, value);
        return status == NumberStatus::kOk || status == NumberStatus::kOutOfRange;
      });
      header_guessed_ = is_header;
    }
    expected_fields_ = fields.size();
    if (is_header) {
      for (auto f : fields) header_.emplace_back(Trim(f));
    }
    if (names_) {
      ResolveColumns(header_);
    } else if (is_header && selected_.empty() && !options_.feature_names.empty()) {
      MatchFeatureNames();
    }
    CheckSelected();
    settled_ = true;
    // A header line that --columns cannot apply to is reported as a bad row, like those after it.
    return is_header && columns_error_.empty() ? LineKind::kHeader : LineKind::kData;
  }
  // JSON lines: the first well-formed line settles; if it is an array, it sets the count of the
  // arrays after it (objects are read by keys_). Malformed lines before it are bad rows.
  if (JsonDepth(line) > kMaxJsonDepth) return LineKind::kData;
  const auto doc = nlohmann::ordered_json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !(doc.is_array() || doc.is_object())) return LineKind::kData;
  if (doc.is_array()) expected_fields_ = !selected_.empty() ? selected_.size() : doc.size();
  settled_ = true;
  return LineKind::kData;
}

bool RowParser::Parse(std::string_view line, uint64_t line_no, std::vector<float>& out, RowError& error,
                      std::string* ignored) const {
  if (!columns_error_.empty()) {
    error = {line_no, 0, columns_error_};
    return false;
  }
  if (options_.format == InputFormat::kJsonLines) return ParseJson(line, line_no, out, error, ignored);
  return ParseCsvFast(line, out) || ParseCsv(line, line_no, out, error);
}

// The common case in one pass with no allocation: plain finite numbers between delimiters, and
// fields no selected column reads (a model's name, say) skipped unread. Anything else (spaces,
// quotes, '+', NaN, a bad field, the wrong count) goes to ParseCsv for its exact reading or its
// error.
bool RowParser::ParseCsvFast(std::string_view line, std::vector<float>& out) const {
  const char* p = line.data();
  const char* end = p + line.size();
  if (end > p && end[-1] == '\r') --end;
  const size_t start = out.size();
  thread_local std::vector<float> all;
  std::vector<float>& target = selected_.empty() ? out : all;
  if (!selected_.empty()) all.clear();
  size_t n = 0;
  for (;;) {
    const char* q;
    if (n < unused_.size() && unused_[n]) {
      q = static_cast<const char*>(std::memchr(p, options_.delimiter, static_cast<size_t>(end - p)));
      if (!q) q = end;
      if (std::memchr(p, '"', static_cast<size_t>(q - p))) break;  // quoted: ParseCsv splits it
      target.push_back(0);
    } else {
      float v;
      const auto [at, ec] = std::from_chars(p, end, v);
      if (ec != std::errc() || n == expected_fields_ || (!std::isfinite(v) && !options_.allow_nonfinite)) break;
      target.push_back(v);
      q = at;
    }
    ++n;
    if (q == end) {
      if (n != expected_fields_) break;
      if (!selected_.empty()) {
        for (size_t i : selected_) out.push_back(all[i]);  // i < expected_fields_: CheckSelected
      }
      return true;
    }
    if (*q != options_.delimiter) break;
    p = q + 1;
  }
  out.resize(start);
  return false;
}

bool RowParser::ParseCsv(std::string_view line, uint64_t line_no, std::vector<float>& out, RowError& error) const {
  thread_local std::vector<std::string_view> fields;
  thread_local std::string scratch;
  CsvSplitError split_error;
  if (!SplitCsvRecord(line, options_.delimiter, fields, scratch, split_error)) {
    error = {line_no, split_error.field, split_error.message};
    return false;
  }
  if (fields.size() != expected_fields_) {
    error = {line_no, 0, "expected " + std::to_string(expected_fields_) + " fields, found " + std::to_string(fields.size()) +
                             (fields.size() < expected_fields_ ? " (short row)" : " (long row)")};
    return false;
  }
  const size_t start = out.size();
  auto take = [&](size_t i) {
    if (i >= fields.size()) {  // checked when settling; kept as the last line of defence
      error = {line_no, i + 1, "no field " + std::to_string(i)};
      return false;
    }
    float value = 0;
    const NumberStatus status = ReadNumber(fields[i], options_.allow_nonfinite, value);
    if (status != NumberStatus::kOk) {
      error = {line_no, i + 1, NumberMessage(status, fields[i])};
      return false;
    }
    out.push_back(value);
    return true;
  };
  bool ok = true;
  if (selected_.empty()) {
    for (size_t i = 0; ok && i < fields.size(); ++i) ok = take(i);
  } else {
    for (size_t j = 0; ok && j < selected_.size(); ++j) ok = take(selected_[j]);
  }
  if (!ok) out.resize(start);
  return ok;
}

bool RowParser::ParseJson(std::string_view line, uint64_t line_no, std::vector<float>& out, RowError& error,
                          std::string* ignored) const {
  using nlohmann::ordered_json;
  if (JsonDepth(line) > kMaxJsonDepth) {
    error = {line_no, 0, "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
    return false;
  }
  const ordered_json doc = ordered_json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    error = {line_no, 0, JsonProblem(line)};
    return false;
  }
  std::vector<const ordered_json*> picked;
  if (doc.is_array()) {
    if (names_) {
      error = {line_no, 0, "--columns names keys, but this line is a JSON array, which has none"};
      return false;
    }
    if (selected_.empty()) {
      for (const auto& v : doc) picked.push_back(&v);
    } else {
      for (size_t i : selected_) {
        if (i >= doc.size()) {
          error = {line_no, i + 1, "array has only " + std::to_string(doc.size()) + " elements"};
          return false;
        }
        picked.push_back(&doc[i]);
      }
    }
    if (expected_fields_ != 0 && picked.size() != expected_fields_) {
      error = {line_no, 0, "expected " + std::to_string(expected_fields_) + " values, found " + std::to_string(picked.size())};
      return false;
    }
  } else if (doc.is_object()) {
    // Objects are read by key, never by their order on the line (a JSON library may sort keys).
    if (keys_.empty()) {
      error = {line_no, 0, "a JSON object, but the bundle declares no feature names to match its keys: build it with "
                           "model-bundler --feature-names, or list the keys in the model's order with --columns"};
      return false;
    }
    for (size_t i = 0; i < keys_.size(); ++i) {
      auto it = doc.find(keys_[i]);
      if (it == doc.end()) {
        error = {line_no, i + 1, "missing key " + Quote(keys_[i])};
        return false;
      }
      picked.push_back(&it.value());
    }
    if (ignored && ignored->empty() && doc.size() > keys_.size()) {
      std::vector<std::string> extra;
      for (auto it = doc.begin(); it != doc.end(); ++it) {
        if (std::find(keys_.begin(), keys_.end(), it.key()) == keys_.end() && it.key() != options_.not_a_feature) {
          extra.push_back(it.key());
        }
      }
      *ignored = JoinQuoted(extra, 8);
    }
  } else {
    error = {line_no, 0, "a JSON line must be an array of numbers or an object"};
    return false;
  }
  const size_t start = out.size();
  for (size_t i = 0; i < picked.size(); ++i) {
    float value = 0;
    NumberStatus status = picked[i]->is_number() ? ToFloat(picked[i]->get<double>(), options_.allow_nonfinite, value)
                                                 : NumberStatus::kNotANumber;
    if (status != NumberStatus::kOk) {
      error = {line_no, i + 1, status == NumberStatus::kNotANumber ? Describe(*picked[i]) + " is not a number"
                                                                   : NumberMessage(status, picked[i]->dump())};
      out.resize(start);
      return false;
    }
    out.push_back(value);
  }
  return true;
}

}  // namespace tfjs_run::cli
