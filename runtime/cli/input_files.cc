#include "input_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tfjs_run::cli {

namespace {
std::string Display(const std::string& name) { return name == "-" ? "stdin" : name; }

std::runtime_error CannotRead(const std::string& name, int error) {
  return std::runtime_error("cannot read input " + Display(name) + ": " + std::strerror(error));
}
}  // namespace

InputFiles::InputFiles(std::vector<std::string> names) : names_(std::move(names)) {
  if (names_.empty()) names_.push_back("-");
  for (const std::string& name : names_) {
    if (name == "-") continue;
    struct stat st {};
    if (::stat(name.c_str(), &st) != 0) throw CannotRead(name, errno);
    if (S_ISDIR(st.st_mode)) throw CannotRead(name, EISDIR);
    if (::access(name.c_str(), R_OK) != 0) throw CannotRead(name, errno);
  }
}

InputFiles::~InputFiles() {
  if (fd_ >= 0) ::close(fd_);
}

int InputFiles::Next(uint64_t lines_before) {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (next_ >= names_.size()) return -1;
  const size_t index = next_++;
  const std::string& name = names_[index];
  int fd = STDIN_FILENO;
  if (name != "-") {
    fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error_ = CannotRead(name, errno).what();
      next_ = names_.size();
      return -1;
    }
    fd_ = fd;
  }
  std::lock_guard lock(mu_);
  opened_.push_back({lines_before, index});
  return fd;
}

std::pair<const std::string*, uint64_t> InputFiles::Locate(uint64_t line) const {
  if (names_.size() == 1) return {nullptr, line};
  for (size_t i = opened_.size(); i-- > 0;) {
    if (line > opened_[i].lines_before) return {&names_[opened_[i].index], line - opened_[i].lines_before};
  }
  return {nullptr, line};
}

std::string InputFiles::Where(uint64_t line) const {
  std::lock_guard lock(mu_);
  auto [name, n] = Locate(line);
  return (name ? Display(*name) + " " : std::string()) + "line " + std::to_string(n);
}

std::string InputFiles::Range(uint64_t first, uint64_t last) const {
  if (first == last) return Where(first);
  std::lock_guard lock(mu_);
  auto [first_name, a] = Locate(first);
  auto [last_name, b] = Locate(last);
  if (first_name == last_name) {
    return (first_name ? Display(*first_name) + " " : std::string()) + "lines " + std::to_string(a) + "-" +
           std::to_string(b);
  }
  return "lines from " + Display(*first_name) + " line " + std::to_string(a) + " to " + Display(*last_name) +
         " line " + std::to_string(b);
}

}  // namespace tfjs_run::cli
