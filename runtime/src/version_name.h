// Version names: what a bundle version (or a model) may be called, wherever the name comes from
// (the bundle's stamp, a manifest, a push, a model config). Only [A-Za-z0-9._-], 1 to 128
// characters, so a version printed beside predictions (--with-version) can never forge a row or a
// column; and never "." or "..", because a name is also a directory of a published layout
// (NAME/manifest.json, VERSION/FILE) and must not climb out of it.
#pragma once

#include <string>
#include <string_view>

namespace tfjs_run::internal {

inline constexpr size_t kMaxVersionLength = 128;
// The rule, as error messages state it.
inline constexpr const char* kVersionNameRule = "1-128 characters of [A-Za-z0-9._-], not '.' or '..'";

inline bool IsVersionNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

inline bool IsValidVersionName(std::string_view v) {
  if (v.empty() || v.size() > kMaxVersionLength || v == "." || v == "..") return false;
  for (char c : v) {
    if (!IsVersionNameChar(c)) return false;
  }
  return true;
}

// The name quoted for an error message: printable ASCII kept, anything else as \xNN, cut at 64.
inline std::string QuoteVersionName(std::string_view v) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < v.size() && i < 64; ++i) {
    const unsigned char c = static_cast<unsigned char>(v[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + (v.size() > 64 ? "...'" : "'");
}

}  // namespace tfjs_run::internal
