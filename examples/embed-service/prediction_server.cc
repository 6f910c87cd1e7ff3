// A C++ service that embeds tfjs-run and serves predictions to concurrent clients over TCP,
// using only the public header <tfjs_run/tfjs_run.h>.
//
// Protocol: a client sends one CSV row per line; the server answers each line with one line:
// the prediction as CSV, or "error: <message>". One thread per connection calls
// Runtime::Predict, and the runtime batches the rows of all connections together. A connection
// whose first line is "GET /metrics HTTP/1.x" gets the runtime's stats in the Prometheus text
// format (tfjs_run::PrometheusText) as an HTTP response instead, so Prometheus can scrape the
// same port.
//
//   prediction_server BUNDLE [--port 7070] [--threads 0]
//   prediction_server BUNDLE --self-test CLIENTS ROWS_PER_CLIENT ROWS.csv
//       starts the server on an ephemeral loopback port, runs CLIENTS client threads that each
//       send ROWS_PER_CLIENT rows (from ROWS.csv, cycled), checks every answer against a
//       Model computing the same row alone, and prints throughput and the runtime's stats.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <tfjs_run/tfjs_run.h>

namespace {

// Reads lines from a socket.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  bool Next(std::string& line) {
    for (;;) {
      size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return true;
      }
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

bool SendAll(int fd, const std::string& text) {
  size_t sent = 0;
  while (sent < text.size()) {
    ssize_t n = ::send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool ParseRow(const std::string& line, std::vector<float>& out) {
  out.clear();
  const char* p = line.data();
  const char* end = p + line.size();
  while (p < end) {
    float v;
    auto [next, ec] = std::from_chars(p, end, v);
    // NaN and infinity get plausible-looking answers from a model, not an error: refuse them, as
    // the CLI does (1e39, past float32, is already refused: from_chars says out of range).
    if (ec != std::errc() || !std::isfinite(v)) return false;
    out.push_back(v);
    p = next;
    if (p < end && *p != ',') return false;
    if (p < end) ++p;
  }
  return !out.empty();
}

std::string FormatRow(std::span<const float> row) {
  std::string s;
  char buf[32];
  for (size_t i = 0; i < row.size(); ++i) {
    if (i) s += ',';
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, row[i]);
    s.append(buf, p);
  }
  return s;
}

const int64_t kStartedMs =
    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();

// GET /metrics: one HTTP/1.0-style response, then the connection closes.
void ServeMetrics(int fd, const tfjs_run::Runtime& runtime) {
  const std::string name = runtime.info().name.empty() ? std::string("model") : runtime.info().name;
  const std::string body = tfjs_run::PrometheusText({tfjs_run::StatsOf(name, runtime, kStartedMs)});
  SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
}

void ServeConnection(int fd, tfjs_run::Runtime& runtime) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  LineReader reader(fd);
  std::string line;
  std::vector<float> row;
  bool first = true;
  while (reader.Next(line)) {
    if (first && line.rfind("GET /metrics HTTP/1.", 0) == 0) {
      // Read the request's headers first: closing with unread input would reset the connection
      // and could cut the response.
      while (reader.Next(line) && !line.empty() && line != "\r") {
      }
      ServeMetrics(fd, runtime);
      break;
    }
    first = false;
    std::string reply;
    if (!ParseRow(line, row)) {
      reply = "error: not a CSV row of finite numbers\n";
    } else {
      try {
        tfjs_run::DenseMatrix out = runtime.Predict({row.data(), 1, row.size()});
        reply = FormatRow(out.row(0)) + "\n";
      } catch (const tfjs_run::Error& e) {
        reply = std::string("error: ") + e.what() + "\n";
      }
    }
    if (!SendAll(fd, reply)) break;
  }
  ::close(fd);
}

int Listen(uint16_t port, uint16_t& bound) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0) {
    std::perror("prediction_server: bind/listen");
    std::exit(1);
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  bound = ntohs(addr.sin_port);
  return fd;
}

void AcceptLoop(int listen_fd, tfjs_run::Runtime& runtime) {
  for (;;) {
    int fd = ::accept(listen_fd, nullptr, nullptr);
    if (fd < 0) return;  // the listening socket was shut down
    std::thread(ServeConnection, fd, std::ref(runtime)).detach();
  }
}

// One GET /metrics on loopback `port`: the whole response.
std::string Scrape(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      SendAll(fd, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) {
    char chunk[4096];
    for (ssize_t n; (n = ::recv(fd, chunk, sizeof chunk, 0)) > 0;) response.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return response;
}

int SelfTest(const std::string& bundle, tfjs_run::Runtime& runtime, int clients, int rows_per_client,
             const std::string& rows_file) {
  std::vector<std::vector<float>> rows;
  {
    std::ifstream in(rows_file);
    std::string line;
    std::vector<float> r;
    while (std::getline(in, line)) if (ParseRow(line, r)) rows.push_back(r);
  }
  // The reference: the same bundle in one Model, each row alone.
  auto model = tfjs_run::Model::Load(tfjs_run::BundleSource::FromFile(bundle));
  std::vector<std::string> expected;
  for (auto& r : rows) expected.push_back(FormatRow(model->Predict({r.data(), 1, r.size()}).row(0)));

  uint16_t port = 0;
  int listen_fd = Listen(0, port);
  std::thread acceptor(AcceptLoop, listen_fd, std::ref(runtime));
  std::atomic<int> mismatches{0}, answered{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(port);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) { mismatches += rows_per_client; return; }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      LineReader reader(fd);
      std::string reply;
      for (int i = 0; i < rows_per_client; ++i) {
        size_t k = static_cast<size_t>(c * 7919 + i) % rows.size();
        if (!SendAll(fd, FormatRow(rows[k]) + "\n") || !reader.Next(reply)) { ++mismatches; break; }
        if (reply != expected[k]) ++mismatches;
        ++answered;
      }
      ::close(fd);
    });
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // What a Prometheus scrape of the same port reads: every row answered, counted.
  const std::string metrics = Scrape(port);
  const std::string rows_line = "tfjs_run_rows_total{model=\"" + runtime.info().name + "\"} " + std::to_string(answered.load()) + "\n";
  const bool metrics_ok = metrics.rfind("HTTP/1.1 200 OK\r\n", 0) == 0 && metrics.find(rows_line) != std::string::npos;
  if (!metrics_ok) std::fprintf(stderr, "self-test: GET /metrics lacks %s", rows_line.c_str());
  ::shutdown(listen_fd, SHUT_RDWR);
  ::close(listen_fd);
  acceptor.join();
  tfjs_run::RuntimeStats stats = runtime.Stats();
  uint64_t batches = 0, predicted = 0;
  for (auto& w : stats.workers) { batches += w.batches; predicted += w.rows; }
  std::printf("self-test: %d clients x %d rows: %d answered, %d wrong; %.0f rows/s; %llu predict calls "
              "(mean %.1f rows); latency p50 %.0f us, p99 %.0f us\n",
              clients, rows_per_client, answered.load(), mismatches.load(), answered / seconds,
              static_cast<unsigned long long>(batches), batches ? double(predicted) / double(batches) : 0.0,
              stats.latency.p50_us, stats.latency.p99_us);
  return mismatches == 0 && answered == clients * rows_per_client && metrics_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: prediction_server BUNDLE [--port P] [--threads N] [--self-test CLIENTS ROWS ROWS.csv]\n");
    return 1;
  }
  const std::string bundle = argv[1];
  uint16_t port = 7070;
  // Defaults: a worker per core, batches of up to 64 rows formed from whatever the connections
  // have queued (no waiting for more: see docs/benchmarks.md).
  tfjs_run::RuntimeOptions options;
  int clients = 0, rows_per_client = 0;
  std::string rows_file;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--port" && i + 1 < argc) port = static_cast<uint16_t>(std::stoi(argv[++i]));
    else if (a == "--threads" && i + 1 < argc) options.workers = std::stoul(argv[++i]);
    else if (a == "--self-test" && i + 3 < argc) {
      clients = std::stoi(argv[++i]);
      rows_per_client = std::stoi(argv[++i]);
      rows_file = argv[++i];
    }
  }
  std::unique_ptr<tfjs_run::Runtime> runtime;
  try {
    runtime = tfjs_run::Runtime::Start(tfjs_run::BundleSource::FromFile(bundle), options);
  } catch (const tfjs_run::Error& e) {
    std::fprintf(stderr, "prediction_server: %s\n", e.what());
    return 1;
  }
  if (clients > 0) return SelfTest(bundle, *runtime, clients, rows_per_client, rows_file);
  uint16_t bound = 0;
  int listen_fd = Listen(port, bound);
  std::fprintf(stderr, "prediction_server: serving %s (%zu workers) on 127.0.0.1:%u\n", runtime->info().name.c_str(),
               runtime->workers(), bound);
  AcceptLoop(listen_fd, *runtime);
  return 0;
}
