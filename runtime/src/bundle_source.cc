// BundleSource: a bundle's text and where it came from, read from a file with its size bounded.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "tfjs_run/model.h"

namespace tfjs_run {

void BundleSource::CheckSize(size_t bytes, const std::string& origin) {
  if (bytes <= kMaxBytes) return;
  throw Error(ErrorKind::kBundleRead, "bundle '" + origin + "' is " + std::to_string(bytes) +
                                          " bytes; the longest bundle tfjs-run loads is " + std::to_string(kMaxBytes) +
                                          " bytes (V8's longest string)");
}

BundleSource BundleSource::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::kBundleRead, "cannot open bundle file '" + path + "': " + std::strerror(errno));
  // A regular file is refused by its size, unread; anything else (a pipe) as it is read.
  std::error_code size_error;
  const auto size = std::filesystem::file_size(path, size_error);
  if (!size_error) CheckSize(size, path);
  std::string code;
  std::vector<char> chunk(1 << 16);
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
    code.append(chunk.data(), static_cast<size_t>(in.gcount()));
    CheckSize(code.size(), path);
  }
  if (in.bad()) throw Error(ErrorKind::kBundleRead, "cannot read bundle file '" + path + "'");
  return BundleSource{std::move(code), path};
}

}  // namespace tfjs_run
