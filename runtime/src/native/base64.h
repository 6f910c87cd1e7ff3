// Base64 (RFC 4648, padded, no line breaks) decoded by OpenSSL: the weights a bundle carries, and
// the byte strings of a graph model's attributes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tfjs_run::native {

// The bytes `text` encodes; nullopt unless it is padded base64 (its length a multiple of 4).
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace tfjs_run::native
