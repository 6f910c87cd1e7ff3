#include "check_verdicts.h"

#include <elf.h>
#include <link.h>
#include <unistd.h>
#include <v8.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "native/xnn.h"
#include "published_bundle.h"

namespace tfjs_run::internal {
namespace {

// Whether one of the object's loaded segments holds `address`.
bool Holds(const dl_phdr_info& info, uintptr_t address) {
  for (int i = 0; i < info.dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info.dlpi_phdr[i];
    const uintptr_t start = info.dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD && address >= start && address - start < ph.p_memsz) return true;
  }
  return false;
}

// The object's GNU build ID note, in hex; empty if it has none.
std::string BuildIdOf(const dl_phdr_info& info) {
  static const char* kHex = "0123456789abcdef";
  for (int i = 0; i < info.dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info.dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const size_t align = ph.p_align > 4 ? 8 : 4;
    auto up = [align](size_t n) { return (n + align - 1) & ~(align - 1); };
    const auto* base = reinterpret_cast<const unsigned char*>(info.dlpi_addr + ph.p_vaddr);
    for (size_t at = 0; at + sizeof(ElfW(Nhdr)) <= ph.p_memsz;) {
      const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(base + at);
      const size_t name_at = at + sizeof(ElfW(Nhdr));
      const size_t desc_at = name_at + up(note->n_namesz);
      if (desc_at + note->n_descsz > ph.p_memsz) break;
      if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 &&
          std::string_view(reinterpret_cast<const char*>(base + name_at), 4) == std::string_view("GNU", 4)) {
        std::string id;
        for (size_t k = 0; k < note->n_descsz; ++k) {
          id += kHex[base[desc_at + k] >> 4];
          id += kHex[base[desc_at + k] & 15];
        }
        return id;
      }
      at = desc_at + up(note->n_descsz);
    }
  }
  return {};
}

// The GNU build ID (hex) of the loaded object that holds `address`; empty if none does or it has
// no build ID.
std::string BuildIdAt(const void* address) {
  struct Search {
    uintptr_t address;
    std::string id;
  } search{reinterpret_cast<uintptr_t>(address), {}};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) -> int {
        auto* s = static_cast<Search*>(data);
        if (!Holds(*info, s->address)) return 0;
        s->id = BuildIdOf(*info);
        return 1;
      },
      &search);
  return search.id;
}

// What XNNPACK chooses its kernels by: the first CPU's vendor, model and feature flags.
std::string CpuIdentity() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, out;
  int found = 0;
  static constexpr std::string_view kKeys[] = {"vendor_id", "cpu family", "model", "model name", "flags",
                                               "CPU implementer", "CPU architecture", "CPU variant", "CPU part",
                                               "Features"};
  while (std::getline(in, line)) {
    if (line.empty() && found > 0) break;  // the first processor's block ends
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string_view key(line.data(), colon);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
    for (std::string_view k : kKeys) {
      if (key == k) {
        out += line + "\n";
        ++found;
      }
    }
  }
  return out;
}

std::string Identity() {
  const std::string self = BuildIdAt(reinterpret_cast<const void*>(&BuildIdAt));
  const std::string xnnpack = BuildIdAt(native::xnn::LibraryAddress());
  const std::string v8 = BuildIdAt(reinterpret_cast<const void*>(&v8::V8::GetVersion));
  const std::string cpu = CpuIdentity();
  if (self.empty() || xnnpack.empty() || v8.empty() || cpu.empty()) return {};
  return "tfjs-run check verdicts 1\nruntime " + self + "\nxnnpack " + xnnpack + "\nv8 " + v8 + " " +
         v8::V8::GetVersion() + "\n" + cpu;
}

}  // namespace

const std::string& VerdictIdentity() {
  static const std::string identity = Identity();
  return identity;
}

CheckVerdict::CheckVerdict(const std::string& dir, std::string_view code, const std::string& context)
    : dir_(dir), context_(context) {
  if (dir_.empty() || VerdictIdentity().empty()) return;
  const std::string key = Sha256Hex(VerdictIdentity() + "\ncontext " + context + "\ncode " + Sha256Hex(code));
  file_ = (std::filesystem::path(dir_) / (key + ".check-passed")).string();
}

bool CheckVerdict::Passed() const {
  std::error_code ec;
  return !file_.empty() && std::filesystem::is_regular_file(file_, ec);
}

void CheckVerdict::RememberPass() const {
  if (file_.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  const std::string tmp = file_ + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << VerdictIdentity() << "context " << context_ << "\n";
    if (!out) return;
  }
  std::filesystem::rename(tmp, file_, ec);
}

}  // namespace tfjs_run::internal
