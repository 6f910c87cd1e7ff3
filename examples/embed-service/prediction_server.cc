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
// With --model-config FILE (tfjs_run/model_config.h) it serves each model of the file from a
// ModelSet, and a line names its model in its first field: "wine,13.2,1.78,...". /metrics then
// holds every model.
//
//   prediction_server BUNDLE [--port 7070] [--threads 0]
//   prediction_server --model-config FILE [--port 7070] [--threads 0]
//   prediction_server BUNDLE|--model-config FILE --self-test CLIENTS ROWS_PER_CLIENT ROWS.csv
//       starts the server on an ephemeral loopback port, runs CLIENTS client threads that each
//       send ROWS_PER_CLIENT rows (from ROWS.csv, cycled; with a config, to each model in turn,
//       each row cut to the model's width), checks every answer against a Model of the same
//       bundle computing the row alone, checks /metrics counts them, and prints throughput.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
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

bool ParseRow(std::string_view line, std::vector<float>& out) {
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

// What the server serves: one bundle in a Runtime, or a config's models in a ModelSet.
class Service {
 public:
  explicit Service(std::unique_ptr<tfjs_run::Runtime> runtime) : runtime_(std::move(runtime)) {}
  explicit Service(std::unique_ptr<tfjs_run::ModelSet> models) : models_(std::move(models)) {}

  // The reply to one line: the prediction as CSV, or "error: ...".
  std::string Answer(const std::string& line) {
    std::string model;
    std::string_view features = line;
    if (models_) {
      const size_t comma = line.find(',');
      if (comma == std::string::npos) return "error: a line is MODEL,features...\n";
      model = line.substr(0, comma);
      features.remove_prefix(comma + 1);
    }
    std::vector<float> row;
    if (!ParseRow(features, row)) return "error: not a CSV row of finite numbers\n";
    try {
      const tfjs_run::DenseMatrixView input{row.data(), 1, row.size()};
      const tfjs_run::DenseMatrix out = models_ ? models_->Predict(model, input) : runtime_->Predict(input);
      return FormatRow(out.row(0)) + "\n";
    } catch (const tfjs_run::Error& e) {
      return std::string("error: ") + e.what() + "\n";
    }
  }

  // Every model's stats in the Prometheus text format.
  std::string Metrics() const {
    if (!models_) {
      const std::string name = runtime_->info().name.empty() ? std::string("model") : runtime_->info().name;
      return tfjs_run::PrometheusText({tfjs_run::StatsOf(name, *runtime_, kStartedMs)});
    }
    std::vector<tfjs_run::ModelStats> stats = models_->Stats();
    for (auto& s : stats) s.since_ms = std::max(s.since_ms, kStartedMs);
    return tfjs_run::PrometheusText(stats);
  }

  tfjs_run::Runtime* runtime() const { return runtime_.get(); }
  tfjs_run::ModelSet* models() const { return models_.get(); }

 private:
  std::unique_ptr<tfjs_run::Runtime> runtime_;
  std::unique_ptr<tfjs_run::ModelSet> models_;
};

// GET /metrics: one HTTP/1.0-style response, then the connection closes.
void ServeMetrics(int fd, const Service& service) {
  const std::string body = service.Metrics();
  SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
}

void ServeConnection(int fd, Service& service) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  LineReader reader(fd);
  std::string line;
  bool first = true;
  while (reader.Next(line)) {
    if (first && line.rfind("GET /metrics HTTP/1.", 0) == 0) {
      // Read the request's headers first: closing with unread input would reset the connection
      // and could cut the response.
      while (reader.Next(line) && !line.empty() && line != "\r") {
      }
      ServeMetrics(fd, service);
      break;
    }
    first = false;
    if (!SendAll(fd, service.Answer(line))) break;
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

void AcceptLoop(int listen_fd, Service& service) {
  for (;;) {
    int fd = ::accept(listen_fd, nullptr, nullptr);
    if (fd < 0) return;  // the listening socket was shut down
    std::thread(ServeConnection, fd, std::ref(service)).detach();
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

// The self-test's models: their names (empty for the one bundle) and bundle files.
struct TestModel {
  std::string name, bundle;
  bool published = false;  // a published layout, not a bundle file: no reference for it
};

int SelfTest(const std::vector<TestModel>& test_models, Service& service, int clients, int rows_per_client,
             const std::string& rows_file) {
  std::vector<std::vector<float>> rows;
  {
    std::ifstream in(rows_file);
    std::string line;
    std::vector<float> r;
    while (std::getline(in, line)) if (ParseRow(line, r)) rows.push_back(r);
  }
  // The reference: each bundle in its own Model, each row alone (cut to the model's width).
  struct Reference {
    std::string prefix;  // "NAME," before the row, with a config
    std::vector<std::string> lines, expected;
  };
  std::vector<Reference> refs;
  for (const TestModel& m : test_models) {
    auto model = tfjs_run::Model::Load(tfjs_run::BundleSource::FromFile(m.bundle));
    const int64_t width = model->info().input_cols;
    Reference ref{m.name.empty() ? "" : m.name + ",", {}, {}};
    for (auto& r : rows) {
      const size_t n = width > 0 ? std::min(r.size(), static_cast<size_t>(width)) : r.size();
      ref.lines.push_back(ref.prefix + FormatRow({r.data(), n}) + "\n");
      ref.expected.push_back(FormatRow(model->Predict({r.data(), 1, n}).row(0)));
    }
    refs.push_back(std::move(ref));
  }

  uint16_t port = 0;
  int listen_fd = Listen(0, port);
  std::thread acceptor(AcceptLoop, listen_fd, std::ref(service));
  std::atomic<int> mismatches{0}, answered{0};
  std::vector<std::atomic<int>> answered_by(refs.size());
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
        const size_t m = static_cast<size_t>(c + i) % refs.size();
        const size_t k = static_cast<size_t>(c * 7919 + i) % rows.size();
        if (!SendAll(fd, refs[m].lines[k]) || !reader.Next(reply)) { ++mismatches; break; }
        if (reply != refs[m].expected[k]) ++mismatches;
        ++answered;
        ++answered_by[m];
      }
      ::close(fd);
    });
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // What a Prometheus scrape of the same port reads: every row answered, counted under its model.
  const std::string metrics = Scrape(port);
  bool metrics_ok = metrics.rfind("HTTP/1.1 200 OK\r\n", 0) == 0;
  for (size_t m = 0; m < refs.size(); ++m) {
    const std::string name = test_models[m].name.empty() ? service.runtime()->info().name : test_models[m].name;
    const std::string rows_line = "tfjs_run_rows_total{model=\"" + name + "\"} " + std::to_string(answered_by[m].load()) + "\n";
    if (metrics.find(rows_line) == std::string::npos) {
      std::fprintf(stderr, "self-test: GET /metrics lacks %s", rows_line.c_str());
      metrics_ok = false;
    }
  }
  ::shutdown(listen_fd, SHUT_RDWR);
  ::close(listen_fd);
  acceptor.join();
  std::printf("self-test: %zu model(s), %d clients x %d rows: %d answered, %d wrong; %.0f rows/s\n", refs.size(), clients,
              rows_per_client, answered.load(), mismatches.load(), answered / seconds);
  if (tfjs_run::Runtime* runtime = service.runtime()) {
    tfjs_run::RuntimeStats stats = runtime->Stats();
    uint64_t batches = 0, predicted = 0;
    for (auto& w : stats.workers) { batches += w.batches; predicted += w.rows; }
    std::printf("self-test: %llu predict calls (mean %.1f rows); latency p50 %.0f us, p99 %.0f us\n",
                static_cast<unsigned long long>(batches), batches ? double(predicted) / double(batches) : 0.0,
                stats.latency.p50_us, stats.latency.p99_us);
  }
  return mismatches == 0 && answered == clients * rows_per_client && metrics_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const char* usage = "usage: prediction_server BUNDLE|--model-config FILE [--port P] [--threads N] "
                      "[--self-test CLIENTS ROWS ROWS.csv]\n";
  if (argc < 2) {
    std::fputs(usage, stderr);
    return 1;
  }
  std::string bundle, config_file;
  uint16_t port = 7070;
  // Defaults: a worker per core, batches of up to 64 rows formed from whatever the connections
  // have queued (no waiting for more: see docs/benchmarks.md).
  tfjs_run::RuntimeOptions options;
  int clients = 0, rows_per_client = 0;
  std::string rows_file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--port" && i + 1 < argc) port = static_cast<uint16_t>(std::stoi(argv[++i]));
    else if (a == "--threads" && i + 1 < argc) options.workers = std::stoul(argv[++i]);
    else if (a == "--model-config" && i + 1 < argc) config_file = argv[++i];
    else if (a == "--self-test" && i + 3 < argc) {
      clients = std::stoi(argv[++i]);
      rows_per_client = std::stoi(argv[++i]);
      rows_file = argv[++i];
    } else if (bundle.empty() && a.rfind("--", 0) != 0) {
      bundle = a;
    } else {
      std::fputs(usage, stderr);
      return 1;
    }
  }
  if (bundle.empty() == config_file.empty()) {
    std::fputs(usage, stderr);
    return 1;
  }
  std::unique_ptr<Service> service;
  std::vector<TestModel> test_models;
  try {
    if (!config_file.empty()) {
      auto models = std::make_unique<tfjs_run::ModelSet>(options);
      for (const tfjs_run::ModelConfigEntry& e : tfjs_run::ReadModelConfig(config_file).models) {
        try {
          tfjs_run::AddConfiguredModel(*models, e, tfjs_run::WatchOptions{}, options);
        } catch (const std::exception& error) {
          throw std::runtime_error("model '" + e.name + "': " + error.what());
        }
        test_models.push_back({e.name, e.source, e.published()});
      }
      service = std::make_unique<Service>(std::move(models));
    } else {
      service = std::make_unique<Service>(tfjs_run::Runtime::Start(tfjs_run::BundleSource::FromFile(bundle), options));
      test_models.push_back({"", bundle});
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "prediction_server: %s%s\n", config_file.empty() ? "" : ("--model-config " + config_file + ": ").c_str(),
                 e.what());
    return 1;
  }
  if (clients > 0) {
    for (const auto& m : test_models) {
      if (m.published) {
        std::fprintf(stderr, "prediction_server: --self-test needs bundle files; '%s' is a published layout\n", m.name.c_str());
        return 1;
      }
    }
    return SelfTest(test_models, *service, clients, rows_per_client, rows_file);
  }
  uint16_t bound = 0;
  int listen_fd = Listen(port, bound);
  if (service->runtime()) {
    std::fprintf(stderr, "prediction_server: serving %s (%zu workers) on 127.0.0.1:%u\n",
                 service->runtime()->info().name.c_str(), service->runtime()->workers(), bound);
  } else {
    std::string names;
    for (const auto& n : service->models()->names()) names += (names.empty() ? "" : ", ") + n;
    std::fprintf(stderr, "prediction_server: serving %s on 127.0.0.1:%u\n", names.c_str(), bound);
  }
  AcceptLoop(listen_fd, *service);
  return 0;
}
