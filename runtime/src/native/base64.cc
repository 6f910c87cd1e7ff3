#include "native/base64.h"

#include <openssl/evp.h>

#include <climits>

namespace tfjs_run::native {

std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.size() % 4 != 0 || text.size() > static_cast<size_t>(INT_MAX)) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock writes the padding's zero bytes too.
  for (size_t i = text.size(); i > 0 && i + 2 > text.size() && text[i - 1] == '='; --i) --len;
  out.resize(len);
  return out;
}

}  // namespace tfjs_run::native
