// libFuzzer target: the native executor's compiler (runtime/src/native) on arbitrary model
// topologies, weight specs and weight bytes, as a hostile bundle's nativeArtifacts() could hand
// it. Every input must compile or end in CompileError; a plan that compiles must run a few rows
// or end in RunError, without reading or writing out of bounds (ASan checks).
// Input: [u8 rank][rank - 1 bytes: input dims][u16 topology length][topology][u16 specs length]
// [specs][weight bytes...]. A rank of 2 to 5 (mod 6) gives the input's dimensions besides the
// batch as nativeArtifacts().inputDims would (each 0 to 255, so also invalid ones); 0 or 1 uses
// the shape the topology declares (the rank-1 seeds declare [null] or [-1]). The loaders' shape
// handling is fuzzed this way for inputs of rank 1 to 5. A topology that begins {"node": is
// compiled as a graph, any other as a layers model. A first byte of 6 to 11 (mod 12) also makes
// the input uint8 (nativeArtifacts().intInput), so the integer input's checks are fuzzed too.
#include <cstdint>
#include <string>
#include <vector>

#include "native/compile.h"

namespace {
bool Take(const uint8_t*& p, const uint8_t* end, std::string& out) {
  if (end - p < 2) return false;
  const size_t n = p[0] | (p[1] << 8);
  p += 2;
  if (static_cast<size_t>(end - p) < n) return false;
  out.assign(reinterpret_cast<const char*>(p), n);
  p += n;
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tfjs_run::native;
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  ModelArtifacts a;
  if (p == end) return 0;
  const bool int_input = (*p / 6) % 2 == 1;
  const size_t rank = *p++ % 6;
  if (int_input) a.int_input = "uint8";
  for (size_t i = 1; rank >= 2 && i < rank; ++i) {
    if (p == end) return 0;
    a.input_dims.push_back(*p++);
  }
  if (!Take(p, end, a.topology_json) || !Take(p, end, a.weight_specs_json)) return 0;
  // A topology with a node list is a tfjs-converter graph; anything else is tried as layers.
  a.format = a.topology_json.rfind("{\"node\":", 0) == 0 ? "graph" : "layers";
  a.weight_data.assign(reinterpret_cast<const char*>(p), static_cast<size_t>(end - p));
  try {
    std::unique_ptr<Plan> plan = Compile(a);
    constexpr size_t kRows = 3;
    if (plan->input_cols() <= 0 || plan->output_cols() <= 0) __builtin_trap();
    // Run it when its buffers are small (the runtime bounds them by the buffer budget).
    if (static_cast<size_t>(plan->input_cols()) * kRows > (1u << 20) || plan->ScratchFloats(kRows) > (1u << 22)) return 0;
    std::vector<float> in(static_cast<size_t>(plan->input_cols()) * kRows, 0.5f);
    std::vector<float> out(static_cast<size_t>(plan->output_cols()) * kRows);
    plan->Run(in.data(), kRows, out.data());
  } catch (const CompileError&) {
  } catch (const RunError&) {  // a kernel refusing what it was given (a gather's index out of range)
  }
  return 0;
}
