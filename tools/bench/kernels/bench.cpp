// MLP forward benchmark: [B,13] -> FC 13x60 + b -> sigmoid -> FC 60x3 + b -> softmax (f32)
// (a) XNNPACK operator API (Debian libxnnpack-dev 0.0~git20220216.ae108ef)
// (b) oneDNN 2.6 C++ API (Debian libdnnl-dev 2.6.3), unfused (4 primitives) and fused (sigmoid as post-op)
// (c) plain C++ loop (plain.cpp)
// Single-threaded: XNNPACK threadpool=NULL; oneDNN via OMP_NUM_THREADS=1 (libgomp runtime).
#include <xnnpack.h>
#include <dnnl.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>
#include <dirent.h>
#include "plain.h"
// same source compiled with -O3 -ffast-math (vectorized expf via glibc libmvec), symbols renamed
void plainfast_forward(const PlainNet& n, const float* x, float* y, size_t B);

using clk = std::chrono::steady_clock;
static double now_s() { return std::chrono::duration<double>(clk::now().time_since_epoch()).count(); }
static int nthreads() { int n = 0; DIR* d = opendir("/proc/self/task"); while (auto e = readdir(d)) if (e->d_name[0] != '.') ++n; closedir(d); return n; }

#define XCHECK(x) do { xnn_status st_ = (x); if (st_ != xnn_status_success) { fprintf(stderr, "%s failed: %d\n", #x, (int)st_); exit(1); } } while (0)

static const size_t BATCHES[] = {1, 64, 256, 4096};
static const size_t BMAX = 4096;
static const size_t PAD = XNN_EXTRA_BYTES / sizeof(float) + 16;

// ---------------- XNNPACK ----------------
struct XnnNet {
  xnn_operator_t fc1 = nullptr, sig = nullptr, fc2 = nullptr, sm = nullptr;
  std::vector<float> h1, h2, z, y;
  XnnNet() : h1(BMAX * H + PAD), h2(BMAX * H + PAD), z(BMAX * OUT + PAD), y(BMAX * OUT + PAD) {}
  void create(const float* W1, const float* b1, const float* W2, const float* b2) {
    // kernel layout [output_channels][input_channels] (no XNN_FLAG_TRANSPOSE_WEIGHTS)
    XCHECK(xnn_create_fully_connected_nc_f32(IN, H, IN, H, W1, b1, -INFINITY, INFINITY, 0, &fc1));
    XCHECK(xnn_create_sigmoid_nc_f32(H, H, H, 0, &sig));
    XCHECK(xnn_create_fully_connected_nc_f32(H, OUT, H, OUT, W2, b2, -INFINITY, INFINITY, 0, &fc2));
    XCHECK(xnn_create_softmax_nc_f32(OUT, OUT, OUT, 0, &sm));
  }
  void setup(const float* x, size_t B) {  // must be redone whenever B or any pointer changes
    XCHECK(xnn_setup_fully_connected_nc_f32(fc1, B, x, h1.data(), nullptr));
    XCHECK(xnn_setup_sigmoid_nc_f32(sig, B, h1.data(), h2.data(), nullptr));
    XCHECK(xnn_setup_fully_connected_nc_f32(fc2, B, h2.data(), z.data(), nullptr));
    XCHECK(xnn_setup_softmax_nc_f32(sm, B, z.data(), y.data(), nullptr));
  }
  void run() {
    XCHECK(xnn_run_operator(fc1, nullptr));
    XCHECK(xnn_run_operator(sig, nullptr));
    XCHECK(xnn_run_operator(fc2, nullptr));
    XCHECK(xnn_run_operator(sm, nullptr));
  }
  ~XnnNet() { for (auto op : {fc1, sig, fc2, sm}) if (op) xnn_delete_operator(op); }
};

// ---------------- oneDNN ----------------
using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
struct DnnlNet {
  engine& eng; stream& strm; bool fused;
  std::vector<primitive> prims;
  std::vector<std::unordered_map<int, memory>> args;
  memory src, out;
  std::string impl;
  DnnlNet(engine& e, stream& s, bool f) : eng(e), strm(s), fused(f) {}
  // W in [out][in] ("oi"), created once per batch size B. x points to user input (B x 13).
  void create(size_t B, float* x, const float* W1, const float* b1, const float* W2, const float* b2) {
    prims.clear(); args.clear(); impl.clear();
    const memory::dim b = (memory::dim)B;
    memory::desc x_md({b, IN}, dt::f32, tag::nc), h_md({b, H}, dt::f32, tag::nc), z_md({b, OUT}, dt::f32, tag::nc);
    memory::desc w1_user({H, IN}, dt::f32, tag::oi), w2_user({OUT, H}, dt::f32, tag::oi);
    memory::desc w1_any({H, IN}, dt::f32, tag::any), w2_any({OUT, H}, dt::f32, tag::any);
    memory::desc b1_md({H}, dt::f32, tag::x), b2_md({OUT}, dt::f32, tag::x);
    primitive_attr a1;
    if (fused) { post_ops po; po.append_eltwise(1.0f, algorithm::eltwise_logistic, 0.f, 0.f); a1.set_post_ops(po); }
    inner_product_forward::primitive_desc ip1(
        inner_product_forward::desc(prop_kind::forward_inference, x_md, w1_any, b1_md, h_md), a1, eng);
    inner_product_forward::primitive_desc ip2(
        inner_product_forward::desc(prop_kind::forward_inference, h_md, w2_any, b2_md, z_md), eng);
    auto prep_w = [&](const memory::desc& want, const memory::desc& user, const float* W) {
      memory u(user, eng, const_cast<float*>(W));
      if (want == user) { memory m(user, eng); memcpy(m.get_data_handle(), W, user.get_size()); return m; }
      memory m(want, eng); reorder(u, m).execute(strm, u, m); strm.wait(); return m;
    };
    memory w1 = prep_w(ip1.weights_desc(), w1_user, W1), w2 = prep_w(ip2.weights_desc(), w2_user, W2);
    memory bb1(b1_md, eng), bb2(b2_md, eng);
    memcpy(bb1.get_data_handle(), b1, H * 4); memcpy(bb2.get_data_handle(), b2, OUT * 4);
    src = memory(x_md, eng, x);
    memory h(h_md, eng), z(z_md, eng);
    prims.push_back(inner_product_forward(ip1));
    args.push_back({{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w1}, {DNNL_ARG_BIAS, bb1}, {DNNL_ARG_DST, h}});
    impl += std::string("ip1=") + ip1.impl_info_str();
    if (!fused) {
      eltwise_forward::primitive_desc el(
          eltwise_forward::desc(prop_kind::forward_inference, algorithm::eltwise_logistic, h_md), eng);
      prims.push_back(eltwise_forward(el));
      args.push_back({{DNNL_ARG_SRC, h}, {DNNL_ARG_DST, h}});  // in place
      impl += std::string(" elt=") + el.impl_info_str();
    }
    prims.push_back(inner_product_forward(ip2));
    args.push_back({{DNNL_ARG_SRC, h}, {DNNL_ARG_WEIGHTS, w2}, {DNNL_ARG_BIAS, bb2}, {DNNL_ARG_DST, z}});
    softmax_forward::primitive_desc sm(softmax_forward::desc(prop_kind::forward_inference, z_md, 1), eng);
    prims.push_back(softmax_forward(sm));
    args.push_back({{DNNL_ARG_SRC, z}, {DNNL_ARG_DST, z}});  // in place
    impl += std::string(" ip2=") + ip2.impl_info_str() + " sm=" + sm.impl_info_str();
    out = z;
  }
  void run() { for (size_t i = 0; i < prims.size(); ++i) prims[i].execute(strm, args[i]); strm.wait(); }
  const float* y() { return (const float*)out.get_data_handle(); }
};

// ---------------- timing ----------------
// returns seconds per call for `reps` calls
static double time_reps(const std::function<void()>& f, long reps) {
  double t0 = now_s();
  for (long i = 0; i < reps; ++i) f();
  return (now_s() - t0) / reps;
}
static long calibrate(const std::function<void()>& f, double target) {
  for (int i = 0; i < 3; ++i) f();  // warm up
  long reps = 1;
  for (;;) {
    double t0 = now_s();
    for (long i = 0; i < reps; ++i) f();
    double dt = now_s() - t0;
    if (dt > 0.05) return std::max(reps, (long)std::ceil(reps * target / dt));
    reps *= 4;
  }
}
static double median(std::vector<double> v) { std::sort(v.begin(), v.end()); return v[v.size() / 2]; }

int main(int argc, char** argv) {
  const int NRUNS = 5;
  const double TARGET = argc > 1 ? atof(argv[1]) : 0.55;
  printf("OMP_NUM_THREADS=%s  dnnl %d.%d.%d  threads at start: %d\n", getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "(unset)",
         dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch, nthreads());
  std::mt19937 rng(12345);
  std::uniform_real_distribution<float> U(-1.f, 1.f);
  std::vector<float> W1(H * IN), b1(H), W2(OUT * H), b2(OUT), X(BMAX * IN + PAD, 0.f);
  for (auto& v : W1) v = U(rng);
  for (auto& v : b1) v = U(rng);
  for (auto& v : W2) v = U(rng);
  for (auto& v : b2) v = U(rng);
  for (size_t i = 0; i < BMAX * IN; ++i) X[i] = 2.f * U(rng);

  // --- plain
  double t0 = now_s();
  static PlainNet pn; plain_prepare(pn, W1.data(), b1.data(), W2.data(), b2.data());
  double t_plain_prep = now_s() - t0;
  std::vector<float> Yref(BMAX * OUT), Yp(BMAX * OUT);
  plain_forward(pn, X.data(), Yref.data(), BMAX);

  // --- XNNPACK
  t0 = now_s(); XCHECK(xnn_initialize(nullptr)); double t_xinit = now_s() - t0;
  t0 = now_s(); XCHECK(xnn_initialize(nullptr)); double t_xinit2 = now_s() - t0;
  XnnNet xn;
  t0 = now_s(); xn.create(W1.data(), b1.data(), W2.data(), b2.data()); double t_xcreate = now_s() - t0;

  // --- oneDNN
  t0 = now_s();
  engine eng(engine::kind::cpu, 0); stream strm(eng);
  double t_dengine = now_s() - t0;
  DnnlNet dn(eng, strm, false), df(eng, strm, true);

  // Setup costs per B and verification
  printf("\n== setup costs (us) ==\nplain prepare (transpose weights): %.1f\n", t_plain_prep * 1e6);
  printf("xnn_initialize first: %.1f, second call: %.2f\nXNNPACK create 4 ops (packs weights): %.1f\n", t_xinit * 1e6, t_xinit2 * 1e6, t_xcreate * 1e6);
  printf("oneDNN engine+stream: %.1f\n", t_dengine * 1e6);
  double maxdiff[4] = {0, 0, 0, 0};
  for (size_t B : BATCHES) {
    t0 = now_s(); xn.setup(X.data(), B); double ts = now_s() - t0;
    t0 = now_s(); dn.create(B, X.data(), W1.data(), b1.data(), W2.data(), b2.data()); double tc1 = now_s() - t0;
    t0 = now_s(); dn.create(B, X.data(), W1.data(), b1.data(), W2.data(), b2.data()); double tc2 = now_s() - t0;
    t0 = now_s(); df.create(B, X.data(), W1.data(), b1.data(), W2.data(), b2.data()); double tf1 = now_s() - t0;
    printf("B=%-5zu xnn setup(4 ops)=%.2f | dnnl create unfused first=%.1f again(prim cache)=%.1f | fused first=%.1f\n",
           B, ts * 1e6, tc1 * 1e6, tc2 * 1e6, tf1 * 1e6);
    printf("        dnnl impls: unfused[%s]\n                    fused[%s]\n", dn.impl.c_str(), df.impl.c_str());
    xn.run(); dn.run(); df.run();
    plain_forward(pn, X.data(), Yp.data(), B);
    std::vector<float> Yf(B * OUT); plainfast_forward(pn, X.data(), Yf.data(), B);
    for (size_t i = 0; i < B * OUT; ++i) {
      maxdiff[3] = std::max(maxdiff[3], (double)std::fabs(Yf[i] - Yp[i]));
      maxdiff[0] = std::max(maxdiff[0], (double)std::fabs(xn.y[i] - Yp[i]));
      maxdiff[1] = std::max(maxdiff[1], (double)std::fabs(dn.y()[i] - Yp[i]));
      maxdiff[2] = std::max(maxdiff[2], (double)std::fabs(df.y()[i] - Yp[i]));
    }
  }
  printf("\n== verification vs plain: max |diff| over all B: xnn=%.3g dnnl=%.3g dnnl_fused=%.3g plain_fastmath=%.3g -> %s\n",
         maxdiff[0], maxdiff[1], maxdiff[2], maxdiff[3], (maxdiff[0] < 1e-5 && maxdiff[1] < 1e-5 && maxdiff[2] < 1e-5) ? "PASS" : "FAIL");
  if (!(maxdiff[0] < 1e-5 && maxdiff[1] < 1e-5 && maxdiff[2] < 1e-5)) return 1;

  // Timing: per B, variants interleaved in rotating order, 5 runs each, median.
  const char* names[] = {"plain", "xnnpack", "onednn", "onednn_fused", "xnn_setup+run", "plain_fastmath"};
  const int NV = 6;
  printf("\n== timing (median of %d runs, each >= %.2fs) ==\n", NRUNS, TARGET);
  printf("%-6s %-14s %12s %14s %8s   [all runs us]\n", "B", "variant", "us/call", "rows/s", "vs plain");
  for (size_t B : BATCHES) {
    xn.setup(X.data(), B);
    dn.create(B, X.data(), W1.data(), b1.data(), W2.data(), b2.data());
    df.create(B, X.data(), W1.data(), b1.data(), W2.data(), b2.data());
    std::function<void()> f[NV] = {
        [&] { plain_forward(pn, X.data(), Yp.data(), B); },
        [&] { xn.run(); },
        [&] { dn.run(); },
        [&] { df.run(); },
        [&] { xn.setup(X.data(), B); xn.run(); },
        [&] { plainfast_forward(pn, X.data(), Yp.data(), B); },
    };
    long reps[NV]; std::vector<double> t[NV];
    for (int v = 0; v < NV; ++v) reps[v] = calibrate(f[v], TARGET);
    for (int r = 0; r < NRUNS; ++r)
      for (int k = 0; k < NV; ++k) { int v = (k + r) % NV; t[v].push_back(time_reps(f[v], reps[v])); }
    double base = median(t[0]);
    for (int v = 0; v < NV; ++v) {
      double m = median(t[v]);
      printf("%-6zu %-14s %12.3f %14.4g %8.2f   [", B, names[v], m * 1e6, B / m, base / m);
      for (double x : t[v]) printf(" %.3f", x * 1e6);
      printf(" ]\n");
    }
    fflush(stdout);
  }
  printf("\nthreads at end: %d\n", nthreads());
  XCHECK(xnn_deinitialize());
  XCHECK(xnn_deinitialize());
  return 0;
}
