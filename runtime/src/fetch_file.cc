// Fetch from a local path or file:// URL.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fetch.h"

namespace tfjs_run::internal {

FetchResult FetchFile(const std::string& url, size_t max_bytes, const std::string& etag) {
  FetchResult result;
  const std::string path = url.rfind("file://", 0) == 0 ? url.substr(7) : url;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    result.reason = "missing";
    result.error = path + ": " + std::strerror(errno);
    return result;
  }
  result.etag = std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "-" +
                std::to_string(st.st_size) + "-" + std::to_string(st.st_ino);
  if (!etag.empty() && etag == result.etag) {
    result.ok = true;
    result.not_modified = true;
    return result;
  }
  if (!S_ISREG(st.st_mode)) {
    // A device (/dev/zero), a FIFO or a socket would read forever or block: only regular files.
    result.reason = "not-a-file";
    result.error = path + " is not a regular file";
    return result;
  }
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    result.reason = "too-large";
    result.error = path + " is larger than the limit of " + std::to_string(max_bytes) + " bytes";
    return result;
  }
  // O_NONBLOCK: if the path was swapped for a FIFO since stat, open does not wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat opened {};
  if (fd < 0 || ::fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode)) {
    if (fd >= 0) ::close(fd);
    result.reason = fd < 0 ? "read" : "not-a-file";
    result.error = path + (fd < 0 ? ": " + std::string(std::strerror(errno)) : std::string(" is not a regular file"));
    return result;
  }
  // Stop at the size cap while reading, not after: the file may grow as it is read.
  std::string body;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      result.reason = "read";
      result.error = path + ": read failed: " + std::strerror(errno);
      return result;
    }
    if (n == 0) break;
    if (body.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      result.reason = "too-large";
      result.error = path + " is larger than the limit of " + std::to_string(max_bytes) + " bytes";
      return result;
    }
    body.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  result.body = std::move(body);
  result.ok = true;
  return result;
}

}  // namespace tfjs_run::internal
