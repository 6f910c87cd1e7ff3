#include "code_cache_store.h"

#include <unistd.h>
#include <v8.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>

namespace tfjs_run::internal {
namespace {
uint64_t Fnv1a(std::string_view text, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}
}  // namespace

std::string CodeCacheStore::FileFor(const std::string& code) const {
  if (dir_.empty()) return {};
  const uint64_t h = Fnv1a(code, Fnv1a(v8::V8::GetVersion()));
  char name[64];
  std::snprintf(name, sizeof(name), "%016llx.v8cache", static_cast<unsigned long long>(h));
  return (std::filesystem::path(dir_) / name).string();
}

CodeCacheStore::Bytes CodeCacheStore::Load(const std::string& code) const {
  const std::string file = FileFor(code);
  if (file.empty()) return nullptr;
  std::ifstream in(file, std::ios::binary);
  if (!in) return nullptr;
  auto bytes = std::make_shared<std::vector<uint8_t>>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes->empty()) return nullptr;
  return bytes;
}

void CodeCacheStore::Save(const std::string& code, const std::vector<uint8_t>& bytes) const {
  const std::string file = FileFor(code);
  if (file.empty() || bytes.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  const std::string tmp = file + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) return;
  }
  std::filesystem::rename(tmp, file, ec);
}

}  // namespace tfjs_run::internal
