#include "row_io.h"

#include <poll.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "version_name.h"

namespace tfjs_run::cli {

namespace {
constexpr size_t kReadChunk = 1 << 20;

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

RowReader::RowReader(std::FILE* in, RowReaderOptions options)
    : in_(in), options_(std::move(options)), buffer_(kReadChunk) {
  // Indices and ranges can be resolved now; names need the header.
  if (options_.columns.empty()) return;
  bool names = false;
  std::string_view spec = options_.columns;
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = Trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) throw std::invalid_argument("--columns: empty item in '" + options_.columns + "'");
    size_t a = 0, b = 0;
    size_t dash = item.find('-', 1);
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
      names = true;
    }
  }
  if (names) {
    selected_.clear();  // resolved against the header (or JSON keys) on the first row
  } else {
    columns_resolved_ = true;
  }
}

bool RowReader::ReadLine(std::string_view& line, bool& overlong) {
  if (carry_used_) {  // the previous line lived in carry_
    carry_.clear();
    carry_used_ = false;
  }
  overlong = false;
  for (;;) {
    const char* start = buffer_.data() + begin_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    if (nl) {
      size_t len = static_cast<size_t>(nl - start);
      begin_ += len + 1;
      ++line_;
      if (overlong_ || carry_.size() + len > options_.max_line_bytes) {
        overlong_ = false;
        carry_.clear();
        line = std::string_view();
        overlong = true;
        return true;
      }
      if (carry_.empty()) {
        line = std::string_view(start, len);
      } else {
        carry_.append(start, len);
        line = carry_;
        carry_used_ = true;
      }
      return true;
    }
    // A line split across reads; past the limit, keep only the fact that it is too long.
    if (!overlong_ && carry_.size() + (end_ - begin_) > options_.max_line_bytes) {
      overlong_ = true;
      std::string().swap(carry_);
    }
    if (!overlong_) carry_.append(start, end_ - begin_);
    begin_ = end_ = 0;
    if (eof_) {
      if (overlong_) {
        overlong_ = false;
        ++line_;
        line = std::string_view();
        overlong = true;
        return true;
      }
      if (carry_.empty()) return false;
      line = carry_;  // last line without a newline
      carry_used_ = true;
      ++line_;
      return true;
    }
    // read(2), not fread: fread waits to fill the whole buffer, which would hold back rows that
    // arrive slowly on a pipe (a stream that runs for days, or --watch).
    if (options_.before_blocking_read) {
      pollfd ready{fileno(in_), POLLIN, 0};
      if (::poll(&ready, 1, 0) == 0) options_.before_blocking_read();
    }
    ssize_t n;
    do {
      n = ::read(fileno(in_), buffer_.data(), buffer_.size());
    } while (n < 0 && errno == EINTR);
    end_ = n > 0 ? static_cast<size_t>(n) : 0;
    if (n <= 0) eof_ = true;
  }
}

RowReader::Status RowReader::Next(std::vector<float>& values, RowError& error) {
  std::string_view line;
  for (;;) {
    bool overlong = false;
    if (!ReadLine(line, overlong)) return Status::kEnd;
    if (overlong) {
      error = {line_, 0, "line longer than " + std::to_string(options_.max_line_bytes) + " bytes (--max-line-bytes)"};
      return Status::kBadRow;
    }
    if (line_ == 1 && line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // UTF-8 BOM
    if (Trim(line).empty()) continue;  // blank lines carry no row
    if (options_.format == InputFormat::kJsonLines) return ParseJson(line, values, error);
    Status st = ParseCsv(line, values, error);
    if (st == Status::kEnd) continue;  // that was the header
    return st;
  }
}

bool RowReader::ResolveColumns(RowError& error) {
  const std::vector<std::string>& names = options_.format == InputFormat::kCsv ? header_ : json_keys_;
  std::string_view spec = options_.columns;
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = Trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    size_t index = 0;
    auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), index);
    if (ec == std::errc() && p == item.data() + item.size()) {
      selected_.push_back(index);
      continue;
    }
    bool found = false;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == item) { selected_.push_back(i); found = true; break; }
    }
    if (!found) {
      columns_error_ = "--columns names " + Quote(item) + ", which is not a column of the " +
                       (names.empty() ? std::string("input (it has no header)") : std::string("header"));
      error = {line_, 0, columns_error_};
      return false;
    }
  }
  columns_resolved_ = true;
  return true;
}

RowReader::Status RowReader::ParseCsv(std::string_view line, std::vector<float>& values, RowError& error) {
  fields_.clear();
  size_t pos = 0;
  for (;;) {
    size_t d = line.find(options_.delimiter, pos);
    fields_.push_back(line.substr(pos, d == std::string_view::npos ? std::string_view::npos : d - pos));
    if (d == std::string_view::npos) break;
    pos = d + 1;
  }
  if (first_line_) {
    first_line_ = false;
    bool is_header = options_.header == HeaderMode::kYes;
    if (options_.header == HeaderMode::kAuto) {
      // A header only when no field of line 1 is a number: a typo in one field of a data row
      // must be a bad row, not silently eat the row as a header.
      is_header = true;
      for (auto f : fields_) {
        if (ParseFloat(f)) { is_header = false; break; }
      }
      header_guessed_ = is_header;
    }
    expected_fields_ = fields_.size();
    if (is_header) {
      for (auto f : fields_) {
        std::string_view name = Trim(f);
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
        header_.emplace_back(name);
      }
    }
    if (!columns_resolved_ && !options_.columns.empty() && !ResolveColumns(error)) return Status::kBadRow;
    for (size_t i : selected_) {
      if (i >= expected_fields_) {
        columns_error_ = "--columns selects field " + std::to_string(i) + " (0-based) but the first line has only " +
                         std::to_string(expected_fields_) + " fields";
        error = {line_, 0, columns_error_};
        return Status::kBadRow;
      }
    }
    if (is_header) return Status::kEnd;
  }
  if (!columns_error_.empty()) {
    error = {line_, 0, columns_error_};
    return Status::kBadRow;
  }
  if (fields_.size() != expected_fields_) {
    error = {line_, 0, "expected " + std::to_string(expected_fields_) + " fields, found " + std::to_string(fields_.size()) +
                           (fields_.size() < expected_fields_ ? " (short row)" : " (long row)")};
    return Status::kBadRow;
  }
  values.clear();
  auto take = [&](size_t i) {
    if (i >= fields_.size()) {  // checked above; kept as the last line of defence
      error = {line_, i + 1, "no field " + std::to_string(i)};
      return false;
    }
    std::optional<float> v = ParseFloat(fields_[i]);
    if (!v) {
      error = {line_, i + 1, Trim(fields_[i]).empty() ? std::string("empty field") : Quote(Trim(fields_[i])) + " is not a number"};
      return false;
    }
    values.push_back(*v);
    return true;
  };
  if (selected_.empty()) {
    for (size_t i = 0; i < fields_.size(); ++i) if (!take(i)) return Status::kBadRow;
  } else {
    for (size_t i : selected_) if (!take(i)) return Status::kBadRow;
  }
  return Status::kRow;
}

namespace {
// The deepest nesting of arrays and objects in `text` (outside strings), without parsing it: a
// line nested 100,000 levels deep must be refused before a recursive parser or printer sees it.
int JsonDepth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
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

RowReader::Status RowReader::ParseJson(std::string_view line, std::vector<float>& values, RowError& error) {
  using nlohmann::ordered_json;
  if (JsonDepth(line) > kMaxJsonDepth) {
    error = {line_, 0, "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
    return Status::kBadRow;
  }
  ordered_json doc = ordered_json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    error = {line_, 0, "not valid JSON"};
    return Status::kBadRow;
  }
  std::vector<const ordered_json*> picked;
  if (doc.is_array()) {
    if (selected_.empty()) {
      for (const auto& v : doc) picked.push_back(&v);
    } else {
      for (size_t i : selected_) {
        if (i >= doc.size()) {
          error = {line_, i + 1, "array has only " + std::to_string(doc.size()) + " elements"};
          return Status::kBadRow;
        }
        picked.push_back(&doc[i]);
      }
    }
  } else if (doc.is_object()) {
    // Objects are read by key, never by their order on the line: the keys are the --columns
    // names, or the keys of the first object (in its order), and every line must have them.
    if (json_keys_.empty()) {
      for (auto it = doc.begin(); it != doc.end(); ++it) json_keys_.push_back(it.key());
    }
    if (!columns_resolved_ && !options_.columns.empty() && !ResolveColumns(error)) return Status::kBadRow;
    if (!columns_error_.empty()) {
      error = {line_, 0, columns_error_};
      return Status::kBadRow;
    }
    auto need = [&](size_t i) -> const ordered_json* {
      if (i >= json_keys_.size()) {
        error = {line_, i + 1, "no key for column " + std::to_string(i) + " (the first object has " +
                                   std::to_string(json_keys_.size()) + " keys)"};
        return nullptr;
      }
      auto it = doc.find(json_keys_[i]);
      if (it == doc.end()) {
        error = {line_, i + 1, "missing key " + Quote(json_keys_[i])};
        return nullptr;
      }
      return &it.value();
    };
    if (selected_.empty()) {
      for (size_t i = 0; i < json_keys_.size(); ++i) {
        const ordered_json* v = need(i);
        if (!v) return Status::kBadRow;
        picked.push_back(v);
      }
      if (doc.size() != json_keys_.size()) {
        for (auto it = doc.begin(); it != doc.end(); ++it) {
          if (std::find(json_keys_.begin(), json_keys_.end(), it.key()) == json_keys_.end()) {
            error = {line_, 0, "unexpected key " + Quote(it.key()) + " (not in the first object; --columns picks keys)"};
            return Status::kBadRow;
          }
        }
      }
    } else {
      for (size_t i : selected_) {
        const ordered_json* v = need(i);
        if (!v) return Status::kBadRow;
        picked.push_back(v);
      }
    }
  } else {
    error = {line_, 0, "a JSON line must be an array of numbers or an object"};
    return Status::kBadRow;
  }
  if (expected_fields_ == 0) expected_fields_ = picked.size();
  if (picked.size() != expected_fields_) {
    error = {line_, 0, "expected " + std::to_string(expected_fields_) + " values, found " + std::to_string(picked.size())};
    return Status::kBadRow;
  }
  values.clear();
  for (size_t i = 0; i < picked.size(); ++i) {
    if (!picked[i]->is_number()) {
      error = {line_, i + 1, Describe(*picked[i]) + " is not a number"};
      return Status::kBadRow;
    }
    values.push_back(picked[i]->get<float>());
  }
  return Status::kRow;
}

DenseMatrix ReadCsvFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  RowReaderOptions options;
  options.header = HeaderMode::kNo;
  RowReader reader(f, options);
  std::vector<float> values, row;
  size_t rows = 0;
  RowError error;
  RowReader::Status st;
  while ((st = reader.Next(row, error)) == RowReader::Status::kRow) {
    values.insert(values.end(), row.begin(), row.end());
    ++rows;
  }
  std::fclose(f);
  if (st == RowReader::Status::kBadRow) throw std::runtime_error(path + ": " + error.ToString());
  const size_t cols = rows ? values.size() / rows : 0;  // before values is moved from
  return DenseMatrix(rows, cols, std::move(values));
}

void AppendFloat(std::string& out, float v) {
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, ptr);
}

RowWriter::RowWriter(std::FILE* out, OutputFormat format, char delimiter)
    : out_(out), format_(format), delimiter_(delimiter) {
  pending_.reserve(1 << 16);
}

RowWriter::~RowWriter() { Flush(); }

void RowWriter::Write(const float* values, size_t count, const std::string* version) {
  if (format_ == OutputFormat::kJsonLines) pending_ += version ? "{\"prediction\":[" : "[";
  for (size_t i = 0; i < count; ++i) {
    if (i) pending_ += format_ == OutputFormat::kJsonLines ? ',' : delimiter_;
    if (format_ == OutputFormat::kJsonLines && !std::isfinite(values[i])) {
      pending_ += "null";  // JSON has no NaN or infinity
    } else {
      AppendFloat(pending_, values[i]);
    }
  }
  if (format_ == OutputFormat::kJsonLines) pending_ += ']';
  if (version) {
    if (format_ == OutputFormat::kJsonLines) {
      pending_ += ",\"version\":" + nlohmann::json(*version).dump() + "}";
    } else {
      pending_ += delimiter_;
      // Versions are validated where they enter ([A-Za-z0-9._-]); never let one carry a
      // delimiter, quote or line break into the output regardless.
      for (char c : *version) pending_ += internal::IsVersionNameChar(c) ? c : '_';
    }
  }
  pending_ += '\n';
  if (pending_.size() > (1 << 16)) Flush();
}

bool RowWriter::Flush() {
  if (pending_.empty()) return std::fflush(out_) == 0;
  bool ok = std::fwrite(pending_.data(), 1, pending_.size(), out_) == pending_.size();
  pending_.clear();
  return ok && std::fflush(out_) == 0;
}

}  // namespace tfjs_run::cli
