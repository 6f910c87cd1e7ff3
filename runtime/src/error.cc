#include "tfjs_run/error.h"

#include <algorithm>
#include <cstdio>

namespace tfjs_run {

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBundleRead: return "bundle-read";
    case ErrorKind::kBundleCompile: return "bundle-compile";
    case ErrorKind::kBundleLoad: return "bundle-load";
    case ErrorKind::kLoadTimeout: return "load-timeout";
    case ErrorKind::kContract: return "contract";
    case ErrorKind::kBackend: return "backend";
    case ErrorKind::kShape: return "shape";
    case ErrorKind::kPredict: return "predict";
    case ErrorKind::kOutput: return "output";
    case ErrorKind::kOverloaded: return "overloaded";
    case ErrorKind::kShutdown: return "shutdown";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kMemory: return "memory";
    case ErrorKind::kInternal: return "internal";
  }
  return "unknown";
}

namespace {
std::string Compose(ErrorKind kind, const std::string& message, const std::string& name, const std::string& version) {
  std::string out;
  if (!name.empty()) {
    out += "bundle '" + name + "'";
    if (!version.empty()) out += " version " + version;
    out += ": ";
  }
  out += ErrorKindName(kind);
  out += " error: ";
  out += message;
  return out;
}
}  // namespace

namespace {
// The length of the valid UTF-8 sequence at text[i], or 0 if there is none (overlong forms,
// surrogates and code points past U+10FFFF are not valid).
size_t Utf8Length(std::string_view text, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char c = b(0);
  size_t n;
  unsigned min;
  unsigned cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) { n = 2; min = 0x80; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; min = 0x800; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; min = 0x10000; cp = c & 0x07; }
  else return 0;
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// Messages are cut well below what a terminal or a log line can take.
constexpr size_t kMaxMessageBytes = 64 << 10;
}  // namespace

std::string Printable(std::string_view text, size_t max_bytes, bool keep_newlines) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 16);
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t n = Utf8Length(text, i);
    std::string piece;
    if (n == 1 && c >= 0x20 && c != 0x7f) {
      piece.assign(1, static_cast<char>(c));
    } else if (n == 1 && c == '\t') {
      piece = "\t";
    } else if (n == 1 && c == '\n') {
      piece = keep_newlines ? "\n" : "\\n";
    } else if (n == 1 && c == '\r') {
      piece = "\\r";
    } else if (n == 1 && c == 0) {
      piece = "\\0";
    } else if (n > 1) {
      piece.assign(text.substr(i, n));
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      piece = hex;
    }
    if (out.size() + piece.size() > max_bytes) {
      out += "... (" + std::to_string(text.size()) + " bytes in all)";
      return out;
    }
    out += piece;
    i += n ? n : 1;
  }
  return out;
}

Error::Error(ErrorKind kind, std::string message, std::string js_stack, std::string bundle_name,
             std::string bundle_version)
    : Error(kind, Printable(message, kMaxMessageBytes), Printable(js_stack, kMaxMessageBytes, true),
            Printable(bundle_name, 256), Printable(bundle_version, 256), nullptr) {}

Error::Error(ErrorKind kind, std::string message, std::string js_stack, std::string bundle_name,
             std::string bundle_version, std::nullptr_t)
    : std::runtime_error(Compose(kind, message, bundle_name, bundle_version)),
      kind_(kind),
      message_(std::move(message)),
      js_stack_(std::move(js_stack)),
      bundle_name_(std::move(bundle_name)),
      bundle_version_(std::move(bundle_version)) {}

}  // namespace tfjs_run
