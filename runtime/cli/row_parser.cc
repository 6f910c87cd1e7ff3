#include "row_parser.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include <nlohmann/json.hpp>

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

void SplitFields(std::string_view line, char delimiter, std::vector<std::string_view>& fields) {
  fields.clear();
  size_t pos = 0;
  for (;;) {
    const size_t d = line.find(delimiter, pos);
    fields.push_back(line.substr(pos, d == std::string_view::npos ? std::string_view::npos : d - pos));
    if (d == std::string_view::npos) break;
    pos = d + 1;
  }
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
}  // namespace

std::string RowError::ToString() const {
  std::string out = "line " + std::to_string(line);
  if (column > 0) out += ", column " + std::to_string(column);
  return out + ": " + message;
}

std::optional<float> ParseFloat(std::string_view text) {
  text = Trim(text);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = Trim(text.substr(1, text.size() - 2));
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  float value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    // from_chars rejects values that overflow or underflow float; be exact about which.
    double d = 0;
    auto [p2, ec2] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec2 != std::errc() || p2 != text.data() + text.size()) return std::nullopt;
    return static_cast<float>(d);
  }
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
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
  if (names_) selected_.clear();  // resolved against the header (or JSON keys) when settling
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

void RowParser::CheckSelected() {
  for (size_t i : selected_) {
    if (columns_error_.empty() && i >= expected_fields_) {
      columns_error_ = "--columns selects field " + std::to_string(i) + " (0-based) but the first line has only " +
                       std::to_string(expected_fields_) + " fields";
    }
  }
}

RowParser::LineKind RowParser::Settle(std::string_view line, uint64_t /*line_no*/) {
  if (options_.format == InputFormat::kCsv) {
    std::vector<std::string_view> fields;
    SplitFields(line, options_.delimiter, fields);
    bool is_header = options_.header == HeaderMode::kYes;
    if (options_.header == HeaderMode::kAuto) {
      // A header only when no field of line 1 is a number: a typo in one field of a data row
      // must be a bad row, not silently eat the row as a header.
      is_header = std::none_of(fields.begin(), fields.end(), [](std::string_view f) { return ParseFloat(f).has_value(); });
      header_guessed_ = is_header;
    }
    expected_fields_ = fields.size();
    if (is_header) {
      for (auto f : fields) {
        std::string_view name = Trim(f);
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
        header_.emplace_back(name);
      }
    }
    if (names_) ResolveColumns(header_);
    CheckSelected();
    settled_ = true;
    // A header line that --columns cannot apply to is reported as a bad row, like those after it.
    return is_header && columns_error_.empty() ? LineKind::kHeader : LineKind::kData;
  }
  // JSON lines: the first line that is an array or an object settles the keys and the count;
  // malformed lines before it are bad rows and settle nothing.
  if (JsonDepth(line) > kMaxJsonDepth) return LineKind::kData;
  const auto doc = nlohmann::ordered_json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !(doc.is_array() || doc.is_object())) return LineKind::kData;
  if (doc.is_object()) {
    for (auto it = doc.begin(); it != doc.end(); ++it) json_keys_.push_back(it.key());
  }
  if (names_) ResolveColumns(json_keys_);
  expected_fields_ = !selected_.empty() ? selected_.size() : doc.is_object() ? json_keys_.size() : doc.size();
  settled_ = true;
  return LineKind::kData;
}

bool RowParser::Parse(std::string_view line, uint64_t line_no, std::vector<float>& out, RowError& error) const {
  if (!columns_error_.empty()) {
    error = {line_no, 0, columns_error_};
    return false;
  }
  if (options_.format == InputFormat::kJsonLines) return ParseJson(line, line_no, out, error);
  return ParseCsvFast(line, out) || ParseCsv(line, line_no, out, error);
}

// The common case in one pass with no allocation: plain numbers between delimiters. Anything
// else (spaces, quotes, '+', a bad field, the wrong count) goes to ParseCsv for its exact reading
// or its error.
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
    float v;
    auto [q, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || n == expected_fields_) break;
    target.push_back(v);
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
  SplitFields(line, options_.delimiter, fields);
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
    std::optional<float> v = ParseFloat(fields[i]);
    if (!v) {
      error = {line_no, i + 1,
               Trim(fields[i]).empty() ? std::string("empty field") : Quote(Trim(fields[i])) + " is not a number"};
      return false;
    }
    out.push_back(*v);
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

bool RowParser::ParseJson(std::string_view line, uint64_t line_no, std::vector<float>& out, RowError& error) const {
  using nlohmann::ordered_json;
  if (JsonDepth(line) > kMaxJsonDepth) {
    error = {line_no, 0, "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
    return false;
  }
  const ordered_json doc = ordered_json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    error = {line_no, 0, "not valid JSON"};
    return false;
  }
  std::vector<const ordered_json*> picked;
  if (doc.is_array()) {
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
  } else if (doc.is_object()) {
    // Objects are read by key, never by their order on the line: the keys are the --columns
    // names, or the keys of the first object (in its order), and every line must have them.
    if (json_keys_.empty()) {
      error = {line_no, 0, "a JSON object, but the first row was an array: use one form throughout"};
      return false;
    }
    auto need = [&](size_t i) -> const ordered_json* {
      if (i >= json_keys_.size()) {
        error = {line_no, i + 1, "no key for column " + std::to_string(i) + " (the first object has " +
                                     std::to_string(json_keys_.size()) + " keys)"};
        return nullptr;
      }
      auto it = doc.find(json_keys_[i]);
      if (it == doc.end()) {
        error = {line_no, i + 1, "missing key " + Quote(json_keys_[i])};
        return nullptr;
      }
      return &it.value();
    };
    if (selected_.empty()) {
      for (size_t i = 0; i < json_keys_.size(); ++i) {
        const ordered_json* v = need(i);
        if (!v) return false;
        picked.push_back(v);
      }
      if (doc.size() != json_keys_.size()) {
        for (auto it = doc.begin(); it != doc.end(); ++it) {
          if (std::find(json_keys_.begin(), json_keys_.end(), it.key()) == json_keys_.end()) {
            error = {line_no, 0, "unexpected key " + Quote(it.key()) + " (not in the first object; --columns picks keys)"};
            return false;
          }
        }
      }
    } else {
      for (size_t i : selected_) {
        const ordered_json* v = need(i);
        if (!v) return false;
        picked.push_back(v);
      }
    }
  } else {
    error = {line_no, 0, "a JSON line must be an array of numbers or an object"};
    return false;
  }
  if (expected_fields_ != 0 && picked.size() != expected_fields_) {
    error = {line_no, 0, "expected " + std::to_string(expected_fields_) + " values, found " + std::to_string(picked.size())};
    return false;
  }
  for (size_t i = 0; i < picked.size(); ++i) {
    if (!picked[i]->is_number()) {
      error = {line_no, i + 1, Describe(*picked[i]) + " is not a number"};
      return false;
    }
  }
  for (const ordered_json* v : picked) out.push_back(v->get<float>());
  return true;
}

}  // namespace tfjs_run::cli
