#include "row_io.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "version_name.h"

namespace tfjs_run::cli {

RowParserOptions ParserOptions(const RowReaderOptions& o) {
  return {o.format, o.delimiter, o.header, o.columns, o.feature_names, o.allow_nonfinite, {}};
}

LineReaderOptions RowReader::LineOptions(RowReaderOptions& o, RowReader* self) {
  LineReaderOptions options;
  options.max_line_bytes = o.max_line_bytes;
  options.csv_delimiter = o.format == InputFormat::kCsv ? o.delimiter : 0;
  options.before_blocking_read = std::move(o.before_blocking_read);
  options.stop_reading = std::move(o.stop_reading);
  if (o.next_input) {
    options.next_input = [self, next = std::move(o.next_input)] { return next(self->lines_.line()); };
  }
  return options;
}

RowReader::RowReader(int fd, RowReaderOptions options)
    : lines_(fd, LineOptions(options, this)),
      parser_(ParserOptions(options)),
      snapshot_(std::make_shared<const RowParser>(parser_)) {}

bool RowReader::NextRecord(Record& record) {
  LineReader::Line line;
  for (;;) {
    if (!lines_.Next(line)) return false;
    if (!line.blank) line_ = line.number;
    if (!line.overlong && !line.blank && !parser_.settled()) {
      const RowParser::LineKind kind = parser_.Settle(line.text, line.number);
      if (parser_.settled()) snapshot_ = std::make_shared<const RowParser>(parser_);
      if (kind == RowParser::LineKind::kHeader) {
        header_text_ = line.text;
        continue;
      }
    }
    if (line.starts_later_input && header_text_ && line.text == *header_text_) continue;
    record = Record{line.text, line.number, line.blank, line.overlong, line.open_quote};
    return true;
  }
}

bool RowReader::ParseRecord(const RowParser& parser, size_t max_line_bytes, const Record& record,
                            std::vector<float>& values, RowError& error, std::string* ignored) {
  if (record.overlong) {
    error = {record.line, 0, OverlongMessage(max_line_bytes, record.open_quote)};
    return false;
  }
  return parser.Parse(record.text, record.line, values, error, ignored);
}

RowReader::Status RowReader::Next(std::vector<float>& values, RowError& error) {
  Record record;
  do {
    if (!NextRecord(record)) return Status::kEnd;
  } while (record.blank);
  values.clear();
  return ParseRecord(parser_, max_line_bytes(), record, values, error) ? Status::kRow : Status::kBadRow;
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

void AppendRow(std::string& out, OutputFormat format, char delimiter, const float* values, size_t count,
               const std::string* version) {
  const bool json = format == OutputFormat::kJsonLines;
  if (json) out += version ? "{\"prediction\":[" : "[";
  for (size_t i = 0; i < count; ++i) {
    if (i) out += json ? ',' : delimiter;
    if (json && !std::isfinite(values[i])) {
      out += "null";  // JSON has no NaN or infinity
    } else {
      AppendFloat(out, values[i]);
    }
  }
  if (json) out += ']';
  if (version) {
    if (json) {
      out += ",\"version\":" + nlohmann::json(*version).dump() + "}";
    } else {
      out += delimiter;
      // Versions are validated where they enter ([A-Za-z0-9._-]); never let one carry a
      // delimiter, quote or line break into the output regardless.
      for (char c : *version) out += internal::IsVersionNameChar(c) ? c : '_';
    }
  }
  out += '\n';
}

}  // namespace tfjs_run::cli
