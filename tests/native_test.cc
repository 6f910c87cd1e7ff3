// The native executor (runtime/src/native): every op it covers against tfjs in Node, each on its
// own model (tests/fixtures/make-native-models.js writes them with tfjs's outputs), in several
// batch groupings; hostile topologies; bundles that run natively through Model, with and without
// app steps around the model.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "check_rows.h"
#include "check_verdicts.h"
#include "native/compile.h"
#include "native/index_ops.h"
#include "native/int_input.h"
#include "native/merge.h"
#include "native/plan.h"
#include "native/spatial.h"
#include "native/xnn.h"
#include "row_io.h"
#include "tfjs_run/tfjs_run.h"

namespace tfjs_run::native {
namespace {

const std::string kFixtures = TFJS_RUN_FIXTURES_OUT;
const std::string kNative = kFixtures + "/native";
constexpr double kTolerance = 1e-5;  // |d| / (1 + |ref|): the parity rule for unit cases (docs/native.md)

// The cases make-native-models.js writes (its cases.txt must say the same).
const char* const kCases[] = {
    "dense-linear", "dense-relu", "dense-relu6", "dense-sigmoid", "dense-tanh", "dense-softmax", "dense-elu",
    "dense-selu", "dense-softplus", "dense-softsign", "dense-swish", "dense-hardSigmoid", "dense-mish", "dense-gelu",
    "dense-no-bias", "dense-1-to-1", "dense-wide", "activation-layers", "batch-norm", "rank3-dense-flatten",
    "functional-chain", "quantized-uint8", "quantized-uint16", "quantized-float16", "one-row", "large-values",
    "conv2d-valid", "conv2d-same-stride2", "conv2d-dilated", "conv2d-large-channels", "conv1d", "depthwise-same",
    "depthwise-stride2-valid", "separable", "pooling", "global-pooling", "pad-into-conv", "upsample-into-conv", "pad-and-upsample",
    "merges",
    "conv2d-transpose", "bilinear-and-crop", "permute", "mobilenet-block", "superres-block", "prelu",
    "several-outputs",
};
// The graph models make-native-graphs.js writes, in tfjs-converter's format.
const char* const kGraphCases[] = {"graph-conv-ops",        "graph-fused-ops",       "graph-shapes",
                                   "graph-resample",        "graph-transpose-sum",   "graph-rank1-times-two",
                                   "graph-rank1-elementwise", "graph-unary",         "graph-broadcast",
                                   "graph-prelu",           "graph-pad",             "graph-shape-arithmetic",
                                   "graph-slice",           "graph-two-outputs",     "graph-topk-gather",
                                   "graph-batch-one-gather", "graph-pad-into-conv", "graph-batch-one-pose",
                                   "graph-join-unpack-argmax", "graph-reduce-axes",
                                   "graph-resize-nearest"};

std::vector<std::string> AllCases() {
  std::vector<std::string> dirs;
  for (const char* c : kCases) dirs.push_back(std::string("native/") + c);
  for (const char* c : kGraphCases) dirs.push_back(std::string("native-graphs/") + c);
  return dirs;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ModelArtifacts ArtifactsOf(const std::string& dir) {
  const nlohmann::json model = nlohmann::json::parse(ReadFile(dir + "/model.json"));
  std::string data;
  for (const auto& path : model["weightsManifest"][0]["paths"]) data += ReadFile(dir + "/" + path.get<std::string>());
  const std::string format = model.value("format", std::string()) == "graph-model" ? "graph" : "layers";
  return ModelArtifacts{format, model["modelTopology"].dump(), model["weightsManifest"][0]["weights"].dump(), data, {}};
}

std::vector<float> RunGrouped(Plan& plan, const DenseMatrix& rows, size_t group) {
  std::vector<float> out(rows.rows() * static_cast<size_t>(plan.output_cols()));
  for (size_t r = 0; r < rows.rows(); r += group) {
    const size_t n = std::min(group, rows.rows() - r);
    plan.Run(rows.data() + r * rows.cols(), n, out.data() + r * static_cast<size_t>(plan.output_cols()));
  }
  return out;
}

// Compile must decline `a` as unsupported (the model stays in tfjs), saying `says` if given.
void ExpectDeclined(const ModelArtifacts& a, const std::string& what, const std::string& says = "") {
  try {
    Compile(a);
    ADD_FAILURE() << "compiled: " << what;
  } catch (const CompileError& e) {
    EXPECT_TRUE(e.unsupported) << what << ": " << e.what();
    if (!says.empty()) EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << what << ": " << e.what();
  }
}

TEST(NativeParity, TheCaseListIsTheGeneratorsList) {
  std::string expected;
  for (const char* c : kCases) expected += std::string(c) + "\n";
  EXPECT_EQ(ReadFile(kNative + "/cases.txt"), expected);
  expected.clear();
  for (const char* c : kGraphCases) expected += std::string(c) + "\n";
  EXPECT_EQ(ReadFile(kFixtures + "/native-graphs/cases.txt"), expected);
}

class NativeParity : public ::testing::TestWithParam<std::string> {};

TEST_P(NativeParity, EachOpAgreesWithTfjsAndNoRowDependsOnItsBatch) {
  const std::string dir = kFixtures + "/" + GetParam();
  std::unique_ptr<Plan> plan = Compile(ArtifactsOf(dir));
  const DenseMatrix rows = cli::ReadCsvFile(dir + "/rows.csv");
  const DenseMatrix ref = cli::ReadCsvFile(dir + "/ref.csv");
  ASSERT_EQ(plan->input_cols(), static_cast<int64_t>(rows.cols()));
  ASSERT_EQ(plan->output_cols(), static_cast<int64_t>(ref.cols()));
  ASSERT_EQ(rows.rows(), ref.rows());
  const std::vector<float> all = RunGrouped(*plan, rows, rows.rows());
  double worst = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    const double e = ref.data()[i], g = all[i];
    const double err = std::abs(e - g) / (1 + std::abs(e));  // the parity rule (docs/native.md)
    worst = std::max(worst, err);
    ASSERT_LE(err, kTolerance) << "value " << i << " (row " << i / ref.cols() << "): native " << g << ", tfjs " << e;
  }
  RecordProperty("worst_error", std::to_string(worst));
  std::printf("[  worst   ] %s: |d|/(1+|ref|) = %.3g\n", GetParam().c_str(), worst);
  // A row's result must not depend on the batch it came in: one by one, and in groups of 7.
  for (size_t group : {size_t{1}, size_t{7}}) {
    const std::vector<float> grouped = RunGrouped(*plan, rows, group);
    for (size_t i = 0; i < all.size(); ++i) {
      ASSERT_NEAR(grouped[i], all[i], 1e-6 * std::max(1.0f, std::abs(all[i]))) << "group " << group << ", value " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, NativeParity, ::testing::ValuesIn(AllCases()), [](const auto& info) {
  std::string name = info.param.substr(info.param.find('/') + 1);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
});

TEST(NativeCompile, AnUnsupportedLayerIsNamed) {
  try {
    Compile(ArtifactsOf(kNative + "/unsupported"));
    FAIL() << "a LayerNormalization model compiled";
  } catch (const CompileError& e) {
    EXPECT_TRUE(e.unsupported);
    EXPECT_NE(std::string(e.what()).find("(LayerNormalization)"), std::string::npos) << e.what();
  }
}

// Each mutation of a valid model must be a CompileError, never a crash or a huge allocation.
TEST(NativeCompile, HostileTopologiesAndWeightsAreRefused) {
  const ModelArtifacts good = ArtifactsOf(kNative + "/dense-wide");
  ASSERT_NO_THROW(Compile(good));
  auto refused = [&](ModelArtifacts a, const std::string& why, bool unsupported) {
    try {
      Compile(a);
      ADD_FAILURE() << "compiled: " << why;
    } catch (const CompileError& e) {
      EXPECT_EQ(e.unsupported, unsupported) << why << ": " << e.what();
    }
  };
  ModelArtifacts a = good;
  a.weight_data.resize(a.weight_data.size() - 1);
  refused(a, "weights one byte short", false);
  a = good;
  a.weight_data.clear();
  refused(a, "no weight data", false);
  auto edit = [&](const std::string& from, const std::string& to, bool in_specs = false) {
    ModelArtifacts m = good;
    std::string& text = in_specs ? m.weight_specs_json : m.topology_json;
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return m;
  };
  refused(edit("\"units\":257", "\"units\":258"), "units that disagree with the kernel", false);
  refused(edit("\"units\":257", "\"units\":\"257\""), "units of the wrong type", false);
  refused(edit("\"shape\":[31,257]", "\"shape\":[31,1000000000]", true), "a kernel far larger than the data", false);
  refused(edit("\"shape\":[31,257]", "\"shape\":[31,-257]", true), "a negative dimension", false);
  refused(edit("\"activation\":\"relu\"", "\"activation\":\"cube\""), "an unknown activation", true);
  refused(edit("\"class_name\":\"Sequential\"", "\"class_name\":\"Mystery\""), "an unknown model class", true);
  refused(edit("\"batch_input_shape\":[null,31]", "\"batch_input_shape\":[null,null]"), "a free input dimension", true);
  a = good;
  a.topology_json = std::string(100000, '[') + std::string(100000, ']');
  refused(a, "JSON nested 100,000 deep", false);
  a = good;
  a.topology_json = "{not json";
  refused(a, "not JSON", false);
  a = good;
  a.format = "graph";  // a layers topology is no graph
  refused(a, "a layers topology said to be a graph", false);
  a = good;
  a.format = "onnx";
  refused(a, "an unknown format", true);
}

// A small kernel on a huge image: the weights are tiny, but XNNPACK's indirection buffer (a
// pointer per output pixel and tap) is not; it must count in the scratch the buffer budget
// checks, and a pass must shrink to one row.
TEST(NativeCompile, AKernelsOwnMemoryCountsTowardsTheScratch) {
  ModelArtifacts a = ArtifactsOf(kNative + "/conv2d-valid");
  const std::string from = "\"batch_input_shape\":[null,9,7,3]";
  const size_t at = a.topology_json.find(from);
  ASSERT_NE(at, std::string::npos);
  a.topology_json.replace(at, from.size(), "\"batch_input_shape\":[null,2048,2048,3]");
  std::unique_ptr<Plan> plan = Compile(a);
  const size_t pixels = 2046 * 2046, indirection = pixels * 9 * sizeof(void*) / sizeof(float);
  EXPECT_GE(plan->ScratchFloats(1), 2048 * 2048 * 3 + pixels * 5 + indirection);
  EXPECT_EQ(plan->PassRows(), 1u);
  EXPECT_EQ(plan->ScratchFloats(1000), plan->ScratchFloats(1));
}

// tests/fixtures/make-graph-model.js writes the wine model as a tfjs-converter graph (MatMul,
// BiasAdd, Relu, Softmax): compiled from either format, the same function.
TEST(NativeCompile, AGraphModelComputesWhatItsLayersTwinComputes) {
  ModelArtifacts graph = ArtifactsOf(kFixtures + "/graph-model");
  graph.format = "graph";
  std::unique_ptr<Plan> g = Compile(graph), l = Compile(ArtifactsOf(std::string(TFJS_RUN_SOURCE_DIR) + "/examples/wine/model"));
  EXPECT_NE(g->Describe().find("(MatMul + BiasAdd + Relu)"), std::string::npos) << g->Describe();
  const DenseMatrix rows = cli::ReadCsvFile(kFixtures + "/random.csv");
  const std::vector<float> a = RunGrouped(*g, rows, rows.rows()), b = RunGrouped(*l, rows, rows.rows());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-6) << i;
}

TEST(NativeModel, ABundleWithoutAppRunsNativelyAndMatchesTfjsInNode) {
  const BundleSource source = BundleSource::FromFile(kFixtures + "/wine-noapp.bundle.js");
  const DenseMatrix rows = cli::ReadCsvFile(kFixtures + "/random.csv");
  const DenseMatrix ref = cli::ReadCsvFile(kFixtures + "/ref-wine-noapp.csv");
  std::unique_ptr<Model> native = Model::Load(source);
  EXPECT_EQ(native->info().model_exec, "native") << native->info().model_exec_note;
  EXPECT_NE(native->info().model_exec_note.find("(Dense)"), std::string::npos);
  ModelOptions tfjs_only;
  tfjs_only.model_exec = ModelExec::kTfjs;
  std::unique_ptr<Model> tfjs = Model::Load(source, tfjs_only);
  EXPECT_EQ(tfjs->info().model_exec, "tfjs");
  const DenseMatrix a = native->Predict(DenseMatrixView(rows.data(), rows.rows(), rows.cols()));
  const DenseMatrix b = tfjs->Predict(DenseMatrixView(rows.data(), rows.rows(), rows.cols()));
  ASSERT_EQ(a.rows(), ref.rows());
  for (size_t i = 0; i < a.rows() * a.cols(); ++i) {
    EXPECT_NEAR(a.data()[i], ref.data()[i], kTolerance) << i;
    EXPECT_NEAR(b.data()[i], ref.data()[i], kTolerance) << i;
  }
}

// With --allow-nonfinite, NaN and infinity reach the model, and numbers near float32's limit may
// overflow inside it. Native answers what tfjs's cpu backend answers: NaN where it gives NaN
// (XNNPACK's clamps would make it -inf), infinity where it gives infinity, the same numbers
// elsewhere. tfjs's wasm backend agrees but for a NaN feature: its own XNNPACK's relu clamp makes
// the NaN 0 and it answers a finite number, which native does not copy (docs/native.md).
TEST(NativeModel, NonFiniteAndOverflowingRowsAnswerAsInTfjs) {
  const DenseMatrix base = cli::ReadCsvFile(kFixtures + "/random.csv");
  const size_t cols = base.cols();
  std::vector<float> rows;
  auto add = [&](size_t column, float value) {
    rows.insert(rows.end(), base.data(), base.data() + cols);
    if (column < cols) rows[rows.size() - cols + column] = value;
  };
  std::vector<bool> nan_input;
  add(cols, 0);  // the row as it is
  for (size_t c : {size_t{0}, size_t{5}, cols - 1}) {
    add(c, INFINITY);
    add(c, -INFINITY);
    add(c, NAN);
    add(c, 3e38f);  // finite, but sums past float32's range
    add(c, -3e38f);
  }
  for (float v : {3e38f, -3e38f, 1e20f}) {  // every column large
    rows.insert(rows.end(), cols, v);
  }
  const size_t n = rows.size() / cols;
  for (size_t r = 0; r < n; ++r) nan_input.push_back(std::any_of(&rows[r * cols], &rows[r * cols] + cols, [](float v) {
    return std::isnan(v);
  }));
  for (const char* bundle : {"wine-layers-cpu", "wine-graph-cpu", "wine-noapp"}) {
    SCOPED_TRACE(bundle);
    const bool wasm = std::string(bundle) == "wine-noapp";
    const BundleSource source = BundleSource::FromFile(kFixtures + "/" + bundle + ".bundle.js");
    ModelOptions native_only, tfjs_only;
    native_only.model_exec = ModelExec::kNative;
    tfjs_only.model_exec = ModelExec::kTfjs;
    std::unique_ptr<Model> native = Model::Load(source, native_only);
    std::unique_ptr<Model> tfjs = Model::Load(source, tfjs_only);
    const DenseMatrix a = native->Predict(DenseMatrixView(rows.data(), n, cols));
    const DenseMatrix b = tfjs->Predict(DenseMatrixView(rows.data(), n, cols));
    ASSERT_EQ(a.rows() * a.cols(), b.rows() * b.cols());
    size_t nans = 0;
    for (size_t i = 0; i < a.rows() * a.cols(); ++i) {
      const float x = a.data()[i], y = b.data()[i];
      const std::string where = "row " + std::to_string(i / a.cols()) + ", output " + std::to_string(i % a.cols());
      if (wasm && nan_input[i / a.cols()]) {
        EXPECT_TRUE(std::isnan(x)) << where << ": native " << x;
        EXPECT_TRUE(std::isfinite(y)) << where << ": tfjs-wasm " << y;
      } else if (std::isnan(y)) {
        EXPECT_TRUE(std::isnan(x)) << where << ": native " << x << ", tfjs NaN";
        ++nans;
      } else if (std::isinf(y)) {
        EXPECT_EQ(x, y) << where;
      } else {
        EXPECT_NEAR(x, y, kTolerance) << where;
      }
    }
    EXPECT_GT(nans, 0u) << "the rows should reach NaN in tfjs";
    EXPECT_FALSE(std::isnan(b.data()[0])) << "the unchanged row has an ordinary answer";
  }
}

TEST(NativeModel, WithAnAppTheModelStepRunsNativelyBetweenTheAppsStepsInTfjs) {
  const BundleSource source = BundleSource::FromFile(kFixtures + "/wine-layers-wasm.bundle.js");
  const DenseMatrix rows = cli::ReadCsvFile(kFixtures + "/wine.csv");
  const DenseMatrix ref = cli::ReadCsvFile(kFixtures + "/ref-wine-layers-wasm.csv");
  ModelOptions native_only;
  native_only.model_exec = ModelExec::kNative;
  std::unique_ptr<Model> model = Model::Load(source, native_only);
  EXPECT_EQ(model->info().model_exec, "native");
  EXPECT_NE(model->info().model_exec_note.find("pre/post-processing in tfjs"), std::string::npos)
      << model->info().model_exec_note;
  for (size_t group : {size_t{1}, size_t{64}, rows.rows()}) {
    for (size_t r = 0; r < rows.rows(); r += group) {
      const size_t n = std::min(group, rows.rows() - r);
      const DenseMatrix out = model->Predict(DenseMatrixView(rows.data() + r * rows.cols(), n, rows.cols()));
      for (size_t i = 0; i < out.rows() * out.cols(); ++i) {
        ASSERT_NEAR(out.data()[i], ref.data()[r * ref.cols() + i], kTolerance) << "group " << group << ", row " << r;
      }
    }
  }
}

// An app that declares only `standardize` (the wine example's, one per column; the image
// fixture's, one per RGB channel): the plan runs it as its first step and predict never enters
// JS, answering what tfjs in Node answers with the same app, in any batch grouping.
TEST(NativeModel, ADeclaredStandardizeRunsInThePlanAndMatchesTfjsInNode) {
  for (auto [bundle, rows_file] : {std::pair{"wine-std-cpu", "wine.csv"}, std::pair{"wine-std-wasm", "wine.csv"},
                                   std::pair{"image-std", "shaped/image.csv"}}) {
    SCOPED_TRACE(bundle);
    const BundleSource source = BundleSource::FromFile(kFixtures + "/" + bundle + ".bundle.js");
    const DenseMatrix rows = cli::ReadCsvFile(kFixtures + "/" + rows_file);
    const DenseMatrix ref = cli::ReadCsvFile(kFixtures + "/ref-" + bundle + ".csv");
    ModelOptions native_only, tfjs_only;
    native_only.model_exec = ModelExec::kNative;
    tfjs_only.model_exec = ModelExec::kTfjs;
    std::unique_ptr<Model> native = Model::Load(source, native_only);
    const std::string note = native->info().model_exec_note;
    EXPECT_EQ(note.rfind("standardize (", 0), 0u) << note;
    EXPECT_EQ(note.find("pre/post-processing in tfjs"), std::string::npos) << note;
    std::unique_ptr<Model> tfjs = Model::Load(source, tfjs_only);
    ASSERT_EQ(rows.rows(), ref.rows());
    for (size_t group : {size_t{1}, size_t{7}, rows.rows()}) {
      for (size_t r = 0; r < rows.rows(); r += group) {
        const size_t n = std::min(group, rows.rows() - r);
        const DenseMatrixView view(rows.data() + r * rows.cols(), n, rows.cols());
        const DenseMatrix a = native->Predict(view), b = tfjs->Predict(view);
        ASSERT_EQ(a.cols(), ref.cols());
        for (size_t i = 0; i < a.rows() * a.cols(); ++i) {
          const float want = ref.data()[r * ref.cols() + i];
          ASSERT_NEAR(a.data()[i], want, kTolerance * (1 + std::abs(want))) << "native, group " << group << ", row " << r;
          ASSERT_NEAR(b.data()[i], want, kTolerance * (1 + std::abs(want))) << "tfjs, group " << group << ", row " << r;
        }
      }
    }
  }
}

// A standardize that fits no rows fails the load in the bundle, naming the lengths; the plan
// itself refuses what does not fit or is not finite, should a bundle hand it that.
TEST(NativeModel, AStandardizeThatDoesNotFitIsRefused) {
  try {
    Model::Load(BundleSource::FromFile(kFixtures + "/std-bad.bundle.js"));
    FAIL() << "loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("standardize has 5 means and 5 standard deviations"), std::string::npos)
        << e.what();
  }
  const std::vector<float> ones(13, 1.0f);
  const std::vector<std::pair<std::vector<float>, std::vector<float>>> bad = {
      {std::vector<float>(5, 0.0f), std::vector<float>(5, 1.0f)},  // 13 columns are not whole channels of 5
      {ones, std::vector<float>(12, 1.0f)},                         // lengths differ
      {{}, {}},
      {std::vector<float>(13, NAN), ones},
      {ones, std::vector<float>(13, 0.0f)},
      {ones, std::vector<float>(13, INFINITY)}};
  for (const auto& [mean, sd] : bad) {
    Plan plan;
    plan.set_input_cols(13);
    EXPECT_THROW(plan.Standardize(mean, sd), CompileError) << mean.size() << " and " << sd.size();
  }
  Plan per_channel;  // one per channel of 13 columns: only 1 or 13 fit
  per_channel.set_input_cols(13);
  per_channel.Standardize({2.0f}, {4.0f});
  EXPECT_EQ(per_channel.Describe(), "standardize (1)");
  const float in[2] = {10.0f, -6.0f};
  float out[2];
  Plan one;
  one.set_input_cols(1);
  one.Standardize({2.0f}, {4.0f});
  one.Run(in, 2, out);
  EXPECT_EQ(out[0], 2.0f);
  EXPECT_EQ(out[1], -2.0f);
}

// A model with three heads (5, 2 and 7 columns) runs natively, its outputs side by side in the
// model's order as tfjs lays them out, and answers what tfjs in Node answers in any grouping.
TEST(NativeModel, SeveralOutputsRunNativelySideBySideAsInTfjs) {
  const BundleSource source = BundleSource::FromFile(kFixtures + "/multi-out.bundle.js");
  const DenseMatrix rows = cli::ReadCsvFile(kFixtures + "/shaped/multi-out.csv");
  const DenseMatrix ref = cli::ReadCsvFile(kFixtures + "/ref-multi-out.csv");
  ModelOptions native_only;
  native_only.model_exec = ModelExec::kNative;
  std::unique_ptr<Model> model = Model::Load(source, native_only);
  EXPECT_EQ(model->info().model_exec, "native") << model->info().model_exec_note;
  ASSERT_EQ(model->info().outputs.size(), 3u);
  EXPECT_EQ(model->info().outputs[2].first_col, 7);
  ASSERT_EQ(ref.cols(), 14u);
  ASSERT_EQ(rows.rows(), ref.rows());
  for (size_t group : {size_t{1}, size_t{7}, rows.rows()}) {
    for (size_t r = 0; r < rows.rows(); r += group) {
      const size_t n = std::min(group, rows.rows() - r);
      const DenseMatrix out = model->Predict(DenseMatrixView(rows.data() + r * rows.cols(), n, rows.cols()));
      ASSERT_EQ(out.cols(), ref.cols());
      for (size_t i = 0; i < out.rows() * out.cols(); ++i) {
        ASSERT_NEAR(out.data()[i], ref.data()[r * ref.cols() + i], kTolerance) << "group " << group << ", row " << r;
      }
    }
  }
}

// With a postprocess (tests/fixtures/multi-out-app.js), runNative's rows are split back into the
// three outputs with their shapes: the app answers the last head and twice the first, natively
// as tfjs in Node computes the heads.
TEST(NativeModel, SeveralOutputsReachAPostprocessAsAnArrayWhenTheModelStepRunsNatively) {
  const DenseMatrix rows = cli::ReadCsvFile(kFixtures + "/shaped/multi-out.csv");
  const DenseMatrix ref = cli::ReadCsvFile(kFixtures + "/ref-multi-out.csv");
  ModelOptions native_only;
  native_only.model_exec = ModelExec::kNative;
  std::unique_ptr<Model> model = Model::Load(BundleSource::FromFile(kFixtures + "/multi-out-app.bundle.js"), native_only);
  EXPECT_NE(model->info().model_exec_note.find("pre/post-processing in tfjs"), std::string::npos)
      << model->info().model_exec_note;
  const DenseMatrix out = model->Predict(DenseMatrixView(rows.data(), rows.rows(), rows.cols()));
  ASSERT_EQ(out.rows(), ref.rows());
  ASSERT_EQ(out.cols(), 12u);
  for (size_t r = 0; r < out.rows(); ++r) {
    for (size_t c = 0; c < 7; ++c) ASSERT_NEAR(out.at(r, c), ref.at(r, 7 + c), kTolerance) << "row " << r;
    for (size_t c = 0; c < 5; ++c) ASSERT_NEAR(out.at(r, 7 + c), 2 * ref.at(r, c), 2 * kTolerance) << "row " << r;
  }
}

// tests/fixtures/hostile/native-misuse.js calls runNative() with every wrong argument: each is a
// JS error in the bundle, never a crash or a read out of bounds, and the right call still works.
TEST(NativeModel, RunNativeChecksEverythingABundleHandsIt) {
  std::unique_ptr<Model> model =
      Model::Load(BundleSource::FromFile(std::string(TFJS_RUN_SOURCE_DIR) + "/tests/fixtures/hostile/native-misuse.js"));
  ASSERT_EQ(model->info().model_exec, "native") << model->info().model_exec_note;
  const float rows[] = {1, 2, -3, 0.5f, 0, 0};
  const DenseMatrix out = model->Predict(DenseMatrixView(rows, 3, 2));
  for (size_t r = 0; r < 3; ++r) {
    EXPECT_FLOAT_EQ(out.at(r, 0), 2 * rows[2 * r] + 3 * rows[2 * r + 1] + 1) << r;
    EXPECT_EQ(out.at(r, 1), 7) << "bad runNative calls refused";
  }
}

// The smallest graph model-bundler makes, x[-1] * 2, has no axis besides the batch: it compiles
// and gives 2, 4, 6 for 1, 2, 3 (tfjs's answer in its ref.csv too, NativeParity).
TEST(NativeCompile, AGraphOnRowsWithNoAxisBesidesTheBatchRunsElementwise) {
  std::unique_ptr<Plan> plan = Compile(ArtifactsOf(kFixtures + "/native-graphs/graph-rank1-times-two"));
  ASSERT_EQ(plan->input_cols(), 1);
  const float in[] = {1, 2, 3};
  float out[3] = {};
  plan->Run(in, 3, out);
  EXPECT_EQ(out[0], 2);
  EXPECT_EQ(out[1], 4);
  EXPECT_EQ(out[2], 6);
}

// A graph whose input is [-1], and one op on it that reads an axis: declined by name, never a
// read of an empty shape.
ModelArtifacts Rank1Graph(const nlohmann::json& op, const std::vector<std::pair<std::string, std::vector<int64_t>>>& consts) {
  nlohmann::json nodes = nlohmann::json::array();
  nodes.push_back({{"name", "x"}, {"op", "Placeholder"},
                   {"attr", {{"shape", {{"shape", {{"dim", {{{"size", "-1"}}}}}}}}}}});
  nlohmann::json specs = nlohmann::json::array();
  std::string data;
  for (const auto& [name, shape] : consts) {
    nodes.push_back({{"name", name}, {"op", "Const"}});
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    specs.push_back({{"name", name}, {"shape", shape}, {"dtype", "float32"}});
    const std::vector<float> values(static_cast<size_t>(n), 1.0f);
    data.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  }
  nodes.push_back(op);
  return ModelArtifacts{"graph", nlohmann::json{{"node", nodes}}.dump(), specs.dump(), data, {}};
}

// An integer input (native/int_input.h): the graph must only cast it to float32; the plan rounds
// the rows (ties to even) and refuses a value out of range in the bundle's own words.
TEST(NativeCompile, AnIntegerInputIsRoundedRangeCheckedAndOnlyEverCastToFloat) {
  nlohmann::json cast = {{"name", "y"}, {"op", "Cast"}, {"input", {"x"}}, {"attr", {{"DstT", {{"type", "DT_FLOAT"}}}}}};
  ModelArtifacts a = Rank1Graph(cast, {});
  a.int_input = "uint8";
  std::unique_ptr<Plan> plan = Compile(a);
  const float in[] = {2.5f, 3.5f, 254.6f, -0.4f};
  float out[4] = {};
  plan->Run(in, 4, out);
  EXPECT_EQ(out[0], 2);  // ties to even, as tfjs's round
  EXPECT_EQ(out[1], 4);
  EXPECT_EQ(out[2], 255);
  EXPECT_EQ(out[3], 0);
  for (auto [value, text] : {std::pair{255.5f, "255.5"}, std::pair{-0.6f, "-0.6000000238418579"},
                             std::pair{NAN, "NaN"}, std::pair{3e38f, "3.0000000054977558e+38"}}) {
    const float bad[] = {1, 2, value};
    try {
      plan->Run(bad, 3, out);
      ADD_FAILURE() << "ran: " << text;
    } catch (const RunError& e) {  // JS writes the float32 value as the double it widens to
      EXPECT_EQ(std::string(e.what()), std::string("row 2 of the call, column 0: ") + text +
                                           " does not fit the model's uint8 input (0 to 255, after rounding to an integer)");
    }
  }
  a.int_input = "float64";
  EXPECT_THROW(Compile(a), CompileError);
  a.int_input = "int32";
  a.format = "layers";
  try {
    Compile(a);
    ADD_FAILURE() << "a layers model with an integer input compiled";
  } catch (const CompileError& e) {
    EXPECT_TRUE(e.unsupported) << e.what();
  }
  // Taken by anything but a Cast to float32, the rounded floats are not what the model computes on.
  for (const nlohmann::json& op : {nlohmann::json{{"name", "y"}, {"op", "Neg"}, {"input", {"x"}}},
                                   nlohmann::json{{"name", "y"}, {"op", "Cast"}, {"input", {"x"}},
                                                  {"attr", {{"DstT", {{"type", "DT_INT32"}}}}}}}) {
    ModelArtifacts b = Rank1Graph(op, {});
    b.int_input = "int32";
    try {
      Compile(b);
      ADD_FAILURE() << "compiled: " << op.dump();
    } catch (const CompileError& e) {
      EXPECT_TRUE(e.unsupported) << e.what();
      EXPECT_NE(std::string(e.what()).find("not by a Cast to float32"), std::string::npos) << e.what();
    }
  }
}

TEST(NativeCompile, NumbersInErrorsAreWrittenAsJavaScriptWritesThem) {
  const std::pair<double, const char*> cases[] = {
      {0, "0"}, {-0.0, "0"}, {1, "1"}, {-2.5, "-2.5"}, {3000000000, "3000000000"}, {1e21, "1e+21"}, {1e20, "100000000000000000000"},
      {123.456, "123.456"}, {0.000001, "0.000001"}, {1e-7, "1e-7"}, {1.5e-10, "1.5e-10"}, {2147483647, "2147483647"},
      {-2147483648.0, "-2147483648"}, {INFINITY, "Infinity"}, {-INFINITY, "-Infinity"}, {0.1, "0.1"}};
  for (auto [v, text] : cases) EXPECT_EQ(JsNumberText(v), text) << v;
}

TEST(NativeCompile, OpsThatReadAnAxisAreDeclinedOnRowsWithNoAxisBesidesTheBatch) {
  auto declined = [](const ModelArtifacts& a, const std::string& what) {
    ExpectDeclined(a, what, "no axis besides the batch");
  };
  using nlohmann::json;
  declined(Rank1Graph({{"name", "y"}, {"op", "MatMul"}, {"input", {"x", "w"}}}, {{"w", {1, 3}}}), "MatMul");
  declined(Rank1Graph({{"name", "y"}, {"op", "Softmax"}, {"input", {"x"}}}, {}), "Softmax (over the batch)");
  declined(Rank1Graph({{"name", "y"}, {"op", "Mean"}, {"input", {"x", "a"}}}, {{"a", {1}}}), "Mean");
  declined(Rank1Graph({{"name", "y"}, {"op", "ConcatV2"}, {"input", {"x", "x", "a"}}}, {{"a", {1}}}), "ConcatV2");
  declined(Rank1Graph({{"name", "y"}, {"op", "Squeeze"}, {"input", {"x"}}}, {}), "Squeeze");
  declined(Rank1Graph({{"name", "y"}, {"op", "Pack"}, {"input", {"x", "x"}}, {"attr", {{"axis", {{"i", "0"}}}}}}, {}),
           "Pack");
  declined(Rank1Graph({{"name", "y"}, {"op", "Unpack"}, {"input", {"x"}}}, {}), "Unpack");
  declined(Rank1Graph({{"name", "y"}, {"op", "ArgMax"}, {"input", {"x", "a"}}}, {{"a", {1}}}), "ArgMax");
  // Elementwise with a constant that broadcasts the row along more axes than it has (its batch).
  for (const char* op : {"Mul", "AddV2", "Sub", "RealDiv", "Maximum", "Minimum"}) {
    ExpectDeclined(Rank1Graph({{"name", "y"}, {"op", op}, {"input", {"x", "c"}}}, {{"c", {3}}}),
                   std::string(op) + " by a constant of 3 values");
    ExpectDeclined(Rank1Graph({{"name", "y"}, {"op", op}, {"input", {"x", "c"}}}, {{"c", {1, 1}}}),
                   std::string(op) + " by a constant of shape [1, 1]");
  }
  // Layers models: tfjs-layers cannot predict them at all; each is declined at its input.
  for (const char* dir : {"dense-1-to-1", "activation-layers", "mobilenet-block"}) {
    ModelArtifacts a = ArtifactsOf(kNative + "/" + dir);
    const size_t at = a.topology_json.find("\"batch_input_shape\":[null,");
    ASSERT_NE(at, std::string::npos) << dir;
    const size_t end = a.topology_json.find(']', at);
    a.topology_json.replace(at, end + 1 - at, "\"batch_input_shape\":[null]");
    declined(a, std::string(dir) + " on [null]");
  }
}

// Shape arithmetic is folded at load, and the batch size it holds may only become a Reshape's
// batch axis: moved to another axis (the last Pack's inputs swapped), the graph stays in tfjs.
TEST(NativeCompile, TheBatchSizeInFoldedShapesIsOnlyEverAReshapesBatchAxis) {
  ModelArtifacts a = ArtifactsOf(kFixtures + "/native-graphs/graph-shape-arithmetic");
  ASSERT_NO_THROW(Compile(a));
  nlohmann::json topology = nlohmann::json::parse(a.topology_json);
  nlohmann::json* last_pack = nullptr;
  for (auto& node : topology["node"]) {
    if (node["op"] == "Pack") last_pack = &node;
  }
  ASSERT_NE(last_pack, nullptr);
  std::swap((*last_pack)["input"][0], (*last_pack)["input"][1]);
  a.topology_json = topology.dump();
  ExpectDeclined(a, "a Reshape to [-1, batch]", "using the batch size");
}

// graph-batch-one-gather folds the batch axis into another by a Reshape ([1, 4, 4, 5] to [16, 5])
// and gathers from it: only ops that read a row as the whole tensor (elementwise ones, reshapes,
// joins, gathers) may take such a value, and a computed index that is not a whole number in range
// fails the call, naming the step.
TEST(NativeCompile, AValueWhoseBatchAxisAReshapeFoldedGoesOnlyWhereThatIsUnderstood) {
  ModelArtifacts a = ArtifactsOf(kFixtures + "/native-graphs/graph-batch-one-gather");
  ASSERT_NO_THROW(Compile(a));
  const nlohmann::json topology = nlohmann::json::parse(a.topology_json);
  auto node_of_op = [](nlohmann::json& t, const std::string& op, bool last) -> nlohmann::json& {
    nlohmann::json* found = nullptr;
    for (auto& node : t["node"]) {
      if (node["op"] == op && (last || !found)) found = &node;
    }
    EXPECT_NE(found, nullptr) << op;
    return *found;
  };
  {  // the gathered [6, 5] into a Sigmoid, elementwise on the whole tensor, and into a MaxPool,
     // which would read it as a batch of images
    nlohmann::json t = topology;
    nlohmann::json& last = node_of_op(t, "Reshape", true);
    last["op"] = "Sigmoid";
    last["input"] = {last["input"][0]};
    a.topology_json = t.dump();
    EXPECT_NO_THROW(Compile(a));
    last["op"] = "MaxPool";
    a.topology_json = t.dump();
    ExpectDeclined(a, "a MaxPool of a value without its batch axis", "whose batch axis was folded into another or dropped");
  }
  {  // the top scores themselves (in (0, 1)) as indices
    nlohmann::json t = topology;
    std::string top;
    for (auto& node : t["node"]) {
      if (node["op"] == "TopKV2") top = node["name"];
    }
    nlohmann::json& gather = node_of_op(t, "GatherV2", false);
    for (auto& node : t["node"]) {
      if (node["name"] == gather["input"][1]) node["input"][0] = top;  // the Reshape to [-1]
    }
    a.topology_json = t.dump();
    std::unique_ptr<Plan> plan = Compile(a);
    const DenseMatrix rows = cli::ReadCsvFile(kFixtures + "/native-graphs/graph-batch-one-gather/rows.csv");
    std::vector<float> out(static_cast<size_t>(plan->output_cols()));
    try {
      plan->Run(rows.data(), 1, out.data());
      ADD_FAILURE() << "a gather at a fractional index ran";
    } catch (const RunError& e) {
      EXPECT_FALSE(e.stopped);
      EXPECT_NE(std::string(e.what()).find("(GatherV2): row 0 gathers at index 0."), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("which is not a whole number in [0, 16)"), std::string::npos) << e.what();
    }
  }
}

// Zeros padded around an image whose one consumer is a valid convolution are added by the
// convolution as it reads (no copy of the padded image); a pad with another consumer, or before a
// convolution with same padding or a pooling, is a step of its own. The results are the parity
// cases' (pad-into-conv, graph-pad-into-conv, mobilenet-block).
TEST(NativeCompile, ZerosPaddedForAValidConvolutionAreLeftToIt) {
  auto describe = [](const std::string& dir) { return Compile(ArtifactsOf(dir))->Describe(); };
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
    return n;
  };
  const std::string graph = describe(kFixtures + "/native-graphs/graph-pad-into-conv");
  EXPECT_EQ(count(graph, "(Pad)"), 1u) << graph;  // the one with a second consumer
  EXPECT_EQ(count(graph, "(Conv2D"), 3u) << graph;
  const std::string layers = describe(kNative + "/pad-into-conv");
  EXPECT_EQ(count(layers, "(ZeroPadding2D)"), 1u) << layers;  // the one before a same convolution
  const std::string block = describe(kNative + "/mobilenet-block");
  EXPECT_EQ(count(block, "ZeroPadding2D"), 0u) << block;
  const std::string pooled = describe(kFixtures + "/native-graphs/graph-conv-ops");
  EXPECT_EQ(count(pooled, "(Pad)"), 1u) << pooled;  // before a MaxPool
}

// A 2x nearest upsampling whose one consumer is a 3x3 same convolution is computed into it (four
// 2x2 convolutions of the image, upsampled_conv.h); before any other convolution it is a step.
// The results are the parity cases' (upsample-into-conv, superres-block).
TEST(NativeCompile, ANearestUpsamplingIsComputedIntoTheSameConvolutionAfterIt) {
  const std::string plan = Compile(ArtifactsOf(kNative + "/upsample-into-conv"))->Describe();
  size_t steps = 0;
  for (size_t at = 0; (at = plan.find("(UpSampling2D)", at)) != std::string::npos; ++at) ++steps;
  EXPECT_EQ(steps, 1u) << plan;  // the one before the valid convolution
  const std::string superres = Compile(ArtifactsOf(kNative + "/superres-block"))->Describe();
  EXPECT_EQ(superres.find("UpSampling2D"), std::string::npos) << superres;
}

// A hand-built graph: a Placeholder of `shape` (its first the batch: -1 or 1), constants of given
// values, and ops.
struct SmallGraph {
  nlohmann::json nodes = nlohmann::json::array(), specs = nlohmann::json::array();
  std::string data;
  explicit SmallGraph(const std::vector<int64_t>& shape) {
    nlohmann::json dims = nlohmann::json::array();
    for (int64_t d : shape) dims.push_back({{"size", std::to_string(d)}});
    nodes.push_back({{"name", "x"}, {"op", "Placeholder"}, {"attr", {{"shape", {{"shape", {{"dim", dims}}}}}}}});
  }
  void Const(const std::string& name, const std::vector<int64_t>& shape, const std::vector<int32_t>& values) {
    nodes.push_back({{"name", name}, {"op", "Const"}});
    specs.push_back({{"name", name}, {"shape", shape}, {"dtype", "int32"}});
    data.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(int32_t));
  }
  void Op(const std::string& name, const std::string& op, const std::vector<std::string>& in,
          nlohmann::json attr = nlohmann::json::object()) {
    nodes.push_back({{"name", name}, {"op", op}, {"input", in}, {"attr", std::move(attr)}});
  }
  ModelArtifacts Artifacts() const { return ModelArtifacts{"graph", nlohmann::json{{"node", nodes}}.dump(), specs.dump(), data, {}}; }
  // The plan's output on `rows` rows of `in`.
  std::vector<float> Run(const std::vector<float>& in, size_t rows) const {
    std::unique_ptr<Plan> plan = Compile(Artifacts());
    std::vector<float> out(rows * static_cast<size_t>(plan->output_cols()));
    plan->Run(in.data(), rows, out.data());
    return out;
  }
};

// Shapes keep their rank through whole-tensor ops, and attributes are read as tfjs reads them (the
// cases a review found, each once computing something other than tfjs's answer).
TEST(NativeCompile, ShapesKeepTheirRankAndAttributesReadAsTfjsReadsThem) {
  const nlohmann::json float_out = {{"DstT", {{"type", "DT_FLOAT"}}}};
  auto attr_i = [](int64_t i) { return nlohmann::json{{"i", std::to_string(i)}}; };
  {  // a scalar gathered in a graph whose batch is 1: declined (as [1] it would pack as a column)
    SmallGraph g({1, 4});
    g.Const("four", {1}, {4});
    g.Const("one", {}, {1});
    g.Const("axis0", {}, {0});
    g.Op("r", "Reshape", {"x", "four"});
    g.Op("s", "GatherV2", {"r", "one", "axis0"});
    g.Op("y", "Pack", {"s", "s"}, {{"axis", attr_i(0)}});
    ExpectDeclined(g.Artifacts(), "a scalar gathered", "making a scalar");
  }
  {  // a value per row gathered in a graph of any batch: [B], reshaped to [B, 1]
    SmallGraph g({-1, 4});
    g.Const("two", {}, {2});
    g.Const("axis1", {}, {1});
    g.Const("column", {2}, {-1, 1});
    g.Op("s", "GatherV2", {"x", "two", "axis1"});
    g.Op("y", "Reshape", {"s", "column"});
    EXPECT_EQ(g.Run({0, 1, 2, 3, 4, 5, 6, 7}, 2), (std::vector<float>{2, 6}));
  }
  {  // ... and that [B] gathered along its axis 0, the batch's: declined
    SmallGraph g({-1, 4});
    g.Const("two", {}, {2});
    g.Const("axis1", {}, {1});
    g.Const("axis0", {}, {0});
    g.Op("s", "GatherV2", {"x", "two", "axis1"});
    g.Op("y", "GatherV2", {"s", "two", "axis0"});
    ExpectDeclined(g.Artifacts(), "a gather along the batch", "no axis besides the batch");
  }
  {  // ConcatV2 takes its first N inputs (2 when N is not given): other counts are declined
    SmallGraph g({-1, 2});
    g.Const("last", {}, {-1});
    g.Op("y", "ConcatV2", {"x", "x", "x", "last"});
    ExpectDeclined(g.Artifacts(), "a ConcatV2 of 3 without N", "whose N is not its number of inputs");
    g.nodes.back()["attr"] = {{"N", attr_i(3)}};
    EXPECT_EQ(g.Run({1, 2}, 1), (std::vector<float>{1, 2, 1, 2, 1, 2}));
  }
  {  // a Reshape to a target folded from constants alone ([3, -1]) shapes the whole tensor
    SmallGraph g({1, 6});
    g.Const("three", {}, {3});
    g.Const("rest", {}, {-1});
    g.Const("axis1", {}, {1});
    g.Op("target", "Pack", {"three", "rest"}, {{"axis", attr_i(0)}});
    g.Op("r", "Reshape", {"x", "target"});
    g.Op("m", "ArgMax", {"r", "axis1"});
    g.Op("y", "Cast", {"m"}, float_out);
    EXPECT_EQ(g.Run({0, 5, 4, 1, 2, 3}, 1), (std::vector<float>{1, 0, 1}));
  }
  {  // Squeeze's `axis` attribute (tfjs reads it before squeeze_dims)
    SmallGraph g({1, 3, 1});
    g.Const("axis0", {}, {0});
    g.Op("s", "Squeeze", {"x"}, {{"axis", {{"list", {{"i", {"2"}}}}}}});
    g.Op("m", "ArgMax", {"s", "axis0"});
    g.Op("y", "Cast", {"m"}, float_out);
    EXPECT_EQ(g.Run({1, 2, 3}, 1), (std::vector<float>{0, 0, 0}));  // over the batch of [1, 3]
  }
}

// A slice of a computed value must take all of its batch, whose size is not known at load: the
// first slice of graph-slice without its end mask (so ending at 0) stays in tfjs.
TEST(NativeCompile, ASliceOfPartOfTheBatchIsDeclined) {
  ModelArtifacts a = ArtifactsOf(kFixtures + "/native-graphs/graph-slice");
  ASSERT_NO_THROW(Compile(a));
  nlohmann::json topology = nlohmann::json::parse(a.topology_json);
  for (auto& node : topology["node"]) {
    if (node["op"] == "StridedSlice") {
      node["attr"]["end_mask"]["i"] = "0";
      break;
    }
  }
  a.topology_json = topology.dump();
  ExpectDeclined(a, "a slice ending at batch row 0", "slicing the batch axis");
}

// Keras pooling layers have no dilation: tfjs-layers ignores a dilation_rate in their config, and
// so does the plan (it once sized the output with the dilated window and XNNPACK's average
// pooling wrote past it). The result still agrees with tfjs's.
TEST(NativeCompile, APoolingLayersDilationRateIsIgnoredAsTfjsIgnoresIt) {
  const std::string dir = kNative + "/pooling";
  ModelArtifacts a = ArtifactsOf(dir);
  size_t edits = 0;
  for (size_t at = 0; (at = a.topology_json.find("\"pool_size\"", at)) != std::string::npos; at += 30, ++edits) {
    a.topology_json.insert(at, "\"dilation_rate\":[2,2],");
  }
  ASSERT_EQ(edits, 3u);
  std::unique_ptr<Plan> plan = Compile(a);
  const DenseMatrix rows = cli::ReadCsvFile(dir + "/rows.csv");
  const DenseMatrix ref = cli::ReadCsvFile(dir + "/ref.csv");
  const std::vector<float> got = RunGrouped(*plan, rows, rows.rows());
  ASSERT_EQ(got.size(), ref.rows() * ref.cols());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], ref.data()[i], kTolerance) << i;
  // Asked for directly (a graph's AvgPool cannot say it), average pooling with dilation is declined.
  Window w;
  w.kh = w.kw = 2;
  w.dh = w.dw = 2;
  try {
    MakePool2D("avg", Pool::kAverage, Image{8, 8, 3}, w);
    FAIL() << "a dilated average pooling was made";
  } catch (const CompileError& e) {
    EXPECT_TRUE(e.unsupported) << e.what();
  }
}

// A kernel's failure is a RunError naming its step (model_native.cc makes it an Error), never
// another exception type; a stop check stops a call between steps.
TEST(NativePlan, KernelFailuresAndStopsAreRunErrorsNamingTheStep) {
  try {
    xnn::Check(xnn_status_invalid_parameter, "dense_1 (Dense)");
    FAIL() << "no error";
  } catch (const RunError& e) {
    EXPECT_FALSE(e.stopped);
    EXPECT_NE(std::string(e.what()).find("dense_1 (Dense)"), std::string::npos) << e.what();
  }
  std::unique_ptr<Plan> plan = Compile(ArtifactsOf(kNative + "/dense-wide"));
  std::vector<float> in(static_cast<size_t>(plan->input_cols()) * 1000, 0.5f), out(3000);
  int checks = 0;
  try {
    plan->Run(in.data(), 1000, out.data(), [&] { return ++checks > 3; });
    FAIL() << "not stopped";
  } catch (const RunError& e) {
    EXPECT_TRUE(e.stopped);
    EXPECT_NE(std::string(e.what()).find("(Dense"), std::string::npos) << e.what();
  }
  EXPECT_EQ(checks, 4);
}

// GatherNd checks each computed index against its own axis (tfjs checks only the flattened
// position, so [0, 3] of a [2, 3] would read [1, 0] there): out of its axis or fractional, it
// fails the call naming the step and the row. ArgMax takes the first of equal largest values.
TEST(NativePlan, GatherNdRefusesAnIndexOutsideItsAxisAndArgMaxTakesTheFirstLargest) {
  std::unique_ptr<Step> gather = MakeGatherNd("gather (GatherNd)", {2, 3, 2}, 2, 2, {});
  ASSERT_EQ(gather->out_cols, 4);
  const std::vector<float> params = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  for (const auto& [at, says] : std::vector<std::pair<std::vector<float>, std::string>>{
           {{1, 2, 0, 3}, "row 0 gathers at index 3.000000 of axis 1, which is not a whole number in [0, 3)"},
           {{1, 2, 0.5f, 1}, "row 0 gathers at index 0.500000 of axis 0"},
           {{-1, 0, 0, 0}, "row 0 gathers at index -1.000000 of axis 0, which is not a whole number in [0, 2)"}}) {
    const float* ins[] = {params.data(), at.data()};
    std::vector<float> out(4);
    try {
      gather->Run(ins, out.data(), 1);
      ADD_FAILURE() << "gathered at " << at[0] << ", " << at[1] << ", " << at[2] << ", " << at[3];
    } catch (const RunError& e) {
      EXPECT_FALSE(e.stopped);
      EXPECT_NE(std::string(e.what()).find("gather (GatherNd): " + says), std::string::npos) << e.what();
    }
  }
  const std::vector<float> good = {1, 2, 0, 1};
  const float* ins[] = {params.data(), good.data()};
  std::vector<float> out(4);
  gather->Run(ins, out.data(), 1);
  EXPECT_EQ(out, (std::vector<float>{10, 11, 2, 3}));
  EXPECT_THROW(MakeGatherNd("g", {2, 3}, 2, 1, {0, 3}), CompileError);  // a constant index out of its axis

  std::unique_ptr<Step> argmax = MakeArgMax("argmax", 1, 4, 2);
  const std::vector<float> x = {1, 5, 3, 5, 3, 2, 0, NAN};
  const float* xin[] = {x.data()};
  float picked[2] = {};
  argmax->Run(xin, picked, 1);
  EXPECT_EQ(picked[0], 1.0f);  // 3 at 1, then 3 again at 2
  EXPECT_EQ(picked[1], 0.0f);  // 5 at 0 and 1; a NaN later is passed over

  // A constant piece is repeated in every row.
  std::unique_ptr<Step> concat = MakeConcat("concat", {1, 2}, 2, {{}, {7, 8, 9, 10}});
  const std::vector<float> c = {1, 2, 3, 4};
  const float* cin[] = {c.data()};
  std::vector<float> joined(12);
  concat->Run(cin, joined.data(), 2);
  EXPECT_EQ(joined, (std::vector<float>{1, 7, 8, 2, 9, 10, 3, 7, 8, 4, 9, 10}));
  EXPECT_THROW(MakeConcat("concat", {1, 2}, 2, {{}, {7, 8, 9}}), CompileError);
  EXPECT_THROW(MakeConcat("concat", {1}, 2, {{7, 8}}), CompileError);
}

// XNNPACK's resize buffers (per output pixel) count in the scratch before they are allocated.
TEST(NativePlan, ResizeBuffersCountInTheScratch) {
  std::unique_ptr<Plan> plan = Compile(ArtifactsOf(kFixtures + "/native-graphs/graph-resample"));
  // Its two resizes write 7x9 and 5x6 pixels, each with 4 pointers
  // and 2 weights per pixel.
  const size_t per_pixel = 4 * sizeof(void*) / sizeof(float) + 2;
  EXPECT_GE(plan->ScratchFloats(1), (7 * 9 + 5 * 6) * per_pixel + 5 * 4 * 8);
}

// The mean of many values is their mean: float accumulation over 2^24 positions (XNNPACK's
// global average pooling) gave 2.56 for values that are all 3, behind a large resize. Sums too.
TEST(NativePlan, GlobalPoolingOverManyPositionsIsAccurate) {
  const int64_t positions = int64_t{1} << 24;
  std::vector<float> in(static_cast<size_t>(positions) * 2);
  for (size_t i = 0; i < in.size(); ++i) in[i] = i % 2 == 0 ? 3.0f : (i % 4 == 1 ? 0.1f : 0.3f);
  for (Pool kind : {Pool::kAverage, Pool::kSum, Pool::kMax}) {
    std::unique_ptr<Step> step = MakeGlobalPool("pool", kind, positions, 2);
    float out[2] = {};
    const float* ins[] = {in.data()};
    step->Run(ins, out, 1);
    const double n = static_cast<double>(positions);
    const double want0 = kind == Pool::kSum ? 3 * n : 3, want1 = kind == Pool::kSum ? 0.2 * n : kind == Pool::kMax ? 0.3 : 0.2;
    EXPECT_NEAR(out[0], want0, 1e-6 * want0) << static_cast<int>(kind);
    EXPECT_NEAR(out[1], want1, 1e-6 * want1) << static_cast<int>(kind);
  }
}

// The same model as model-bundler bundles it (tests/build-fixtures.sh): under the default
// --model-exec auto it loads, runs natively and answers 2, 4, 6 for 1, 2, 3; in tfjs too.
TEST(NativeModel, ABundledGraphOnRowsWithNoAxisBesidesTheBatchAnswersLikeTfjs) {
  const BundleSource source = BundleSource::FromFile(kFixtures + "/rank1-times-two.bundle.js");
  for (ModelExec exec : {ModelExec::kAuto, ModelExec::kTfjs}) {
    ModelOptions options;
    options.model_exec = exec;
    std::unique_ptr<Model> model = Model::Load(source, options);
    EXPECT_EQ(model->info().model_exec, exec == ModelExec::kAuto ? "native" : "tfjs") << model->info().model_exec_note;
    const float rows[] = {1, 2, 3};
    const DenseMatrix out = model->Predict(DenseMatrixView(rows, 3, 1));
    ASSERT_EQ(out.cols(), 1u);
    EXPECT_EQ(out.at(0, 0), 2);
    EXPECT_EQ(out.at(1, 0), 4);
    EXPECT_EQ(out.at(2, 0), 6);
  }
}

std::string ReadHostile(const std::string& name) {
  return ReadFile(std::string(TFJS_RUN_SOURCE_DIR) + "/tests/fixtures/hostile/" + name);
}

// A model that runs natively never runs in tfjs: model-bundler's bundles defer their warm-up
// (load({deferWarmUp: true})) and take their output widths from the native plan (finishLoad).
// What the load reports must not change: the same shapes and output layout as a load that
// stays in tfjs and warms up there, for one output and several, a fixed batch and an image.
TEST(NativeModel, ALoadWithoutTheTfjsWarmUpDeclaresWhatTheWarmUpWould) {
  for (const char* name : {"wine-noapp", "multi-out", "fixed-batch-1", "image", "rank1-times-two"}) {
    SCOPED_TRACE(name);
    const BundleSource source = BundleSource::FromFile(kFixtures + "/" + name + ".bundle.js");
    ModelOptions native_only, tfjs_only;
    native_only.model_exec = ModelExec::kNative;
    tfjs_only.model_exec = ModelExec::kTfjs;
    const BundleInfo a = Model::Load(source, native_only)->info(), b = Model::Load(source, tfjs_only)->info();
    EXPECT_EQ(a.model_exec, "native");
    EXPECT_EQ(a.input_cols, b.input_cols);
    EXPECT_EQ(a.output_cols, b.output_cols);
    EXPECT_EQ(a.max_rows, b.max_rows);
    EXPECT_EQ(a.model_input_shape, b.model_input_shape);
    ASSERT_EQ(a.outputs.size(), b.outputs.size());
    ASSERT_FALSE(a.outputs.empty());
    for (size_t i = 0; i < a.outputs.size(); ++i) {
      EXPECT_EQ(a.outputs[i].name, b.outputs[i].name) << i;
      EXPECT_EQ(a.outputs[i].first_col, b.outputs[i].first_col) << i;
      EXPECT_EQ(a.outputs[i].cols, b.outputs[i].cols) << i;
    }
  }
}

// The runtime's side of that protocol, with a hand-written bundle (hostile/deferred-warm-up.js)
// that names, in its output's name, how its load was finished; and a bundle that breaks it.
TEST(NativeModel, ADeferredWarmUpIsFinishedWithThePlansWidthsOrInTfjsAndMisuseFailsTheLoad) {
  auto load = [](const std::string& mode, ModelExec exec) {
    BundleSource source{ReadHostile("deferred-warm-up.js"), "deferred-warm-up.js"};
    source.code.replace(source.code.find("MODE = 'native'"), 15, "MODE = '" + mode + "'");
    ModelOptions options;
    options.model_exec = exec;
    return Model::Load(source, options);
  };
  const float rows[] = {1, 2, 3, -1, 0.5f, 4};
  struct Case {
    std::string mode;
    ModelExec exec;
    std::string exec_is, finished_by;
  };
  for (const Case& c : {Case{"native", ModelExec::kAuto, "native", "finishLoad([2])"},
                        Case{"native", ModelExec::kNative, "native", "finishLoad([2])"},
                        Case{"tfjs", ModelExec::kAuto, "tfjs", "finishLoad()"},
                        Case{"native", ModelExec::kTfjs, "tfjs", "load() without deferWarmUp"}}) {
    SCOPED_TRACE(c.mode + " " + c.finished_by);
    std::unique_ptr<Model> model = load(c.mode, c.exec);
    EXPECT_EQ(model->info().model_exec, c.exec_is) << model->info().model_exec_note;
    ASSERT_EQ(model->info().outputs.size(), 1u);
    EXPECT_EQ(model->info().outputs[0].name, c.finished_by);
    EXPECT_EQ(model->info().output_cols, 2);
    const DenseMatrix out = model->Predict(DenseMatrixView(rows, 2, 3));
    ASSERT_EQ(out.cols(), 2u);
    EXPECT_FLOAT_EQ(out.at(0, 0), 4);
    EXPECT_FLOAT_EQ(out.at(0, 1), 5);
    EXPECT_FLOAT_EQ(out.at(1, 0), 3);
    EXPECT_FLOAT_EQ(out.at(1, 1), 4.5f);
  }
  for (auto [mode, message] : {std::pair{"no-finish", "warmUpPending is set, but finishLoad() is missing"},
                               std::pair{"moves-input", "finishLoad() changed inputShape"},
                               std::pair{"wrong-width", "finishLoad() declared 5 output columns for the native model's 2"}}) {
    SCOPED_TRACE(mode);
    try {
      load(mode, ModelExec::kAuto);
      ADD_FAILURE() << "loaded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kContract) << e.what();
      EXPECT_NE(e.message().find(message), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bundle 'deferred-warm-up'"), std::string::npos) << e.what();
    }
  }
}

// tests/fixtures/hostile/native-slow-stack.js: four 2048x2048 Dense layers, seconds of native
// work per call. Past the predict deadline the call fails with kTimeout within 2x the deadline,
// whether tfjs-run runs the plan (direct) or the bundle's predict calls runNative (wrapped); the
// model still answers a small call afterwards.
TEST(NativeModel, ThePredictDeadlineStopsNativeWork) {
  // 2e38 sends every row to DenseStep's slower recomputation (its sums may overflow), which
  // checks the deadline per row.
  for (auto [wrapped, value] : {std::pair{false, 0.25f}, std::pair{true, 0.25f}, std::pair{false, 2e38f}}) {
    SCOPED_TRACE(std::string(wrapped ? "wrapped" : "direct") + ", rows of " + std::to_string(value));
    BundleSource source{ReadHostile("native-slow-stack.js"), "native-slow-stack.js"};
    if (!wrapped) source.code.replace(source.code.find("WRAPPED = true"), 14, "WRAPPED = false");
    ModelOptions options;
    options.model_exec = ModelExec::kNative;
    options.predict_timeout = std::chrono::milliseconds(400);
    std::unique_ptr<Model> model = Model::Load(source, options);
    ASSERT_EQ(model->info().model_exec, "native") << model->info().model_exec_note;
    const size_t rows = 4096, cols = 2048;
    std::vector<float> in(rows * cols, value);
    const auto start = std::chrono::steady_clock::now();
    try {
      model->Predict(DenseMatrixView(in.data(), rows, cols));
      ADD_FAILURE() << "a call of 4096 rows finished within 400 ms";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kTimeout) << e.what();
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    // Stopped near the deadline, not at the call's end; the margin is for a loaded machine (CI
    // shares two cores with other test processes, and 870 ms has been seen there).
    EXPECT_LT(took.count(), 1500) << "ms";
    RecordProperty(std::string(wrapped ? "wrapped" : "direct") + (value > 1 ? "_recomputed_ms" : "_ms"),
                   std::to_string(took.count()));
    if (!wrapped) {  // the wrapped isolate was terminated: the runtime replaces it
      // Still serving: two ordinary rows (two recomputed rows can take longer than the deadline
      // under a sanitizer).
      const std::vector<float> two(2 * cols, 0.25f);
      const DenseMatrix out = model->Predict(DenseMatrixView(two.data(), 2, cols));
      for (size_t i = 0; i < 2 * cols; ++i) ASSERT_EQ(out.data()[i], 0.25f) << i;
    }
  }
}

// tests/fixtures/hostile/native-slow-getter.js: a nativeArtifacts() field whose getter never
// returns fails the load with kLoadTimeout at the load deadline.
TEST(NativeModel, ANativeArtifactsGetterPastTheLoadDeadlineFailsTheLoad) {
  ModelOptions options;
  options.load_timeout = std::chrono::milliseconds(500);
  const auto start = std::chrono::steady_clock::now();
  try {
    Model::Load(BundleSource{ReadHostile("native-slow-getter.js"), "native-slow-getter.js"}, options);
    FAIL() << "loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kLoadTimeout) << e.what();
    EXPECT_NE(std::string(e.what()).find("topology"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count(), 1000);
}

// tests/fixtures/hostile/native-agrees-on-sample-only.js: the plan agrees with predict() on the
// declared (positive) sample rows only. The load-time check's generated rows catch it: the plan
// is declined, the worst difference named, and the bundle's own predict() answers.
TEST(NativeModel, TheLoadTimeCheckTriesMoreThanTheSampleRows) {
  const BundleSource source{ReadHostile("native-agrees-on-sample-only.js"), "native-agrees-on-sample-only.js"};
  std::unique_ptr<Model> model = Model::Load(source);
  EXPECT_EQ(model->info().model_exec, "tfjs");
  const std::string& note = model->info().model_exec_note;
  EXPECT_NE(note.find("generated row"), std::string::npos) << note;
  EXPECT_NE(note.find(" of 31, column"), std::string::npos) << note;  // 2 sample rows, a zero row, 4 x 7 generated
  const float row[] = {-1, -2, -3};
  const DenseMatrix out = model->Predict(DenseMatrixView(row, 1, 3));
  EXPECT_FLOAT_EQ(out.at(0, 0), 0.1f - 1 - 4 - 1.5f);  // the bundle's answer, not the relu'd one
  ModelOptions native_only;
  native_only.model_exec = ModelExec::kNative;
  try {
    Model::Load(source, native_only);
    FAIL() << "loaded natively";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kContract);
    EXPECT_NE(std::string(e.what()).find("against tfjs's"), std::string::npos) << e.what();
  }
}

// tests/fixtures/hostile/native-agrees-on-sample-only-wide.js: the same wrong plan on rows of
// 2^20 values. A row that large costs the check one generated row per magnitude, not seven (in
// tfjs each is a whole inference), and those still catch the plan.
TEST(NativeModel, TheLoadTimeCheckOnLargeRowsTriesFewerRowsAndStillCatchesAWrongPlan) {
  const std::string name = "native-agrees-on-sample-only-wide.js";
  const BundleSource source{ReadHostile(name), name};
  std::unique_ptr<Model> model = Model::Load(source);
  EXPECT_EQ(model->info().model_exec, "tfjs");
  const std::string& note = model->info().model_exec_note;
  EXPECT_NE(note.find("generated row"), std::string::npos) << note;
  EXPECT_NE(note.find(" of 7, column"), std::string::npos) << note;  // 2 sample rows, a zero row, 4 x 1 generated
}

// The weights as base64 (what bundles hand over now) are decoded by the runtime: the same plan as
// from weightData, so the same wrong plan is caught; text that is not base64 (or not one byte a
// character) keeps the model in tfjs, saying so, and weightsBase64 wins over weightData.
TEST(NativeModel, WeightsHandedOverAsBase64AreDecodedOrRefusedByName) {
  const std::string name = "native-agrees-on-sample-only.js";
  const std::string code = ReadHostile(name);
  const std::string from = "weightData: new Float32Array([...kernel, ...bias]).buffer";
  ASSERT_NE(code.find(from), std::string::npos);
  auto with = [&](const std::string& weights) {
    std::string text = code;
    text.replace(text.find(from), from.size(), weights);
    return Model::Load(BundleSource{text, name});
  };
  const std::string base64 =
      "weightsBase64: btoa(String.fromCharCode(...new Uint8Array(new Float32Array([...kernel, ...bias]).buffer)))";
  std::unique_ptr<Model> decoded = with(base64);
  EXPECT_NE(decoded->info().model_exec_note.find("generated row"), std::string::npos) << decoded->info().model_exec_note;
  for (const std::string& bad : {std::string("weightsBase64: 'not*base64'"), std::string("weightsBase64: 'AAA\u0100'"),
                                 "weightsBase64: '!!!!', " + from}) {
    SCOPED_TRACE(bad);
    std::unique_ptr<Model> refused = with(bad);
    EXPECT_EQ(refused->info().model_exec, "tfjs");
    EXPECT_NE(refused->info().model_exec_note.find("weightsBase64 is not base64"), std::string::npos)
        << refused->info().model_exec_note;
  }
}

// A pass of the load-time check is remembered in ModelOptions::check_verdict_dir: a second load
// of the same bytes skips the check and answers as tfjs in Node does, directly or with the app's
// steps around the plan. Other bytes, another buffer budget (the check's rows depend on it), or a
// bundle whose check failed run the check at every load.
// `model`, loaded from the wine fixture `name`, answers the wine rows as tfjs in Node does.
void ExpectWineAnswersAsNode(Model& model, const std::string& name) {
  const DenseMatrix rows = cli::ReadCsvFile(kFixtures + "/wine.csv");
  const DenseMatrix ref = cli::ReadCsvFile(kFixtures + "/ref-" + name + (name == "wine-noapp" ? "-on-wine" : "") + ".csv");
  const DenseMatrix out = model.Predict(DenseMatrixView(rows.data(), rows.rows(), rows.cols()));
  ASSERT_EQ(out.rows() * out.cols(), ref.rows() * ref.cols());
  for (size_t i = 0; i < out.rows() * out.cols(); ++i) ASSERT_NEAR(out.data()[i], ref.data()[i], kTolerance) << i;
}

TEST(NativeModel, APassOfTheLoadTimeCheckIsRememberedForTheSameBytesOnly) {
  ASSERT_FALSE(internal::VerdictIdentity().empty()) << "the builds' IDs or the CPU could not be read";
  const std::string dir = ::testing::TempDir() + "tfjs-run-verdicts-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  ModelOptions options;
  options.check_verdict_dir = dir;
  auto remembered = [](const Model& m) {
    return m.info().model_exec_note.find("passed at an earlier load") != std::string::npos;
  };
  for (const std::string name : {"wine-noapp", "wine-layers-wasm"}) {
    SCOPED_TRACE(name);
    const BundleSource source = BundleSource::FromFile(kFixtures + "/" + name + ".bundle.js");
    std::unique_ptr<Model> first = Model::Load(source, options);
    ASSERT_EQ(first->info().model_exec, "native") << first->info().model_exec_note;
    EXPECT_FALSE(remembered(*first)) << first->info().model_exec_note;
    std::unique_ptr<Model> again = Model::Load(source, options);
    ASSERT_EQ(again->info().model_exec, "native") << again->info().model_exec_note;
    EXPECT_TRUE(remembered(*again)) << again->info().model_exec_note;
    ExpectWineAnswersAsNode(*again, name);

    BundleSource edited = source;
    edited.code += "\n// one more line\n";
    EXPECT_FALSE(remembered(*Model::Load(edited, options)));
    ModelOptions budget = options;
    budget.max_buffer_mb = options.max_buffer_mb / 2;
    EXPECT_FALSE(remembered(*Model::Load(source, budget)));
    ModelOptions nowhere;
    EXPECT_FALSE(remembered(*Model::Load(source, nowhere)));
  }
  auto passes = [&] {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.path().extension() == ".check-passed";
    return n;
  };
  const size_t before = passes();
  EXPECT_EQ(before, 6u);  // two bundles, each as is, edited and with the other budget
  const std::string name = "native-agrees-on-sample-only.js";
  for (int i = 0; i < 2; ++i) {
    std::unique_ptr<Model> wrong = Model::Load(BundleSource{ReadHostile(name), name}, options);
    EXPECT_EQ(wrong->info().model_exec, "tfjs");
    EXPECT_NE(wrong->info().model_exec_note.find("generated row"), std::string::npos) << wrong->info().model_exec_note;
  }
  EXPECT_EQ(passes(), before);
  std::filesystem::remove_all(dir);
}

// A load that checks fewer generated rows per magnitude finds each of its rows among those made
// with more, where BundledRow says: model-bundler answers up to kCheckRowsPerScale of them.
TEST(CheckRows, RowsOfFewerPerMagnitudeAreAmongThoseOfMore) {
  const size_t cols = 5;
  const std::vector<float> sample = {1, 2, 3, 4, 5, -1, -2, -3, -4, -5};
  for (size_t more = 0; more <= internal::kCheckRowsPerScale; ++more) {
    const std::vector<float> all = internal::MakeCheckRows(sample, cols, more);
    ASSERT_EQ(all.size(), cols * (2 + 1 + more * internal::kCheckScaleCount));
    for (size_t fewer = 0; fewer <= more; ++fewer) {
      const std::vector<float> some = internal::MakeCheckRows(sample, cols, fewer);
      for (size_t r = 0; r < some.size() / cols; ++r) {
        const size_t at = internal::BundledRow(r, 2, fewer, more);
        ASSERT_TRUE(std::equal(some.begin() + r * cols, some.begin() + (r + 1) * cols, all.begin() + at * cols))
            << fewer << " of " << more << ", row " << r;
      }
    }
  }
  // Each magnitude's rows stay within it, with zeros among them.
  const std::vector<float> rows = internal::MakeCheckRows({}, 1000, 1);
  for (size_t s = 0; s < internal::kCheckScaleCount; ++s) {
    const auto row = rows.begin() + (1 + s) * 1000;
    const float largest = std::abs(*std::max_element(row, row + 1000, [](float a, float b) { return std::abs(a) < std::abs(b); }));
    EXPECT_LE(largest, internal::kCheckScales[s]);
    EXPECT_GT(largest, internal::kCheckScales[s] / 2);
    EXPECT_GT(std::count(row, row + 1000, 0.0f), 100);
  }
}

// model-bundler runs each bundle on the check's rows and appends its answers (bundle.checkAnswers):
// a native load compares its plan with them instead of running tfjs on the rows. Answers that
// differ send the check to tfjs here, as without them; answers of the wrong shape are refused.
TEST(NativeModel, TheBundlersAnswersStandInForTfjsInTheLoadTimeCheck) {
  auto by_answers = [](const Model& m) {
    return m.info().model_exec_note.find("the answers model-bundler computed") != std::string::npos;
  };
  for (const std::string name : {"wine-noapp", "wine-layers-wasm"}) {
    SCOPED_TRACE(name);
    const BundleSource source = BundleSource::FromFile(kFixtures + "/" + name + ".bundle.js");
    const size_t at = source.code.rfind("\"base64\":\"");
    ASSERT_NE(at, std::string::npos) << "the bundle carries no answers";
    std::unique_ptr<Model> model = Model::Load(source, ModelOptions{});
    ASSERT_EQ(model->info().model_exec, "native") << model->info().model_exec_note;
    EXPECT_TRUE(by_answers(*model)) << model->info().model_exec_note;
    ExpectWineAnswersAsNode(*model, name);

    BundleSource zeros = source;  // "AAAA..." is base64 for zero bytes: every answer 0
    const size_t from = at + 10, to = zeros.code.find('"', from);
    std::fill(zeros.code.begin() + static_cast<std::ptrdiff_t>(from), zeros.code.begin() + static_cast<std::ptrdiff_t>(to), 'A');
    std::unique_ptr<Model> checked_here = Model::Load(zeros, ModelOptions{});
    EXPECT_EQ(checked_here->info().model_exec, "native") << checked_here->info().model_exec_note;
    EXPECT_FALSE(by_answers(*checked_here)) << checked_here->info().model_exec_note;

    BundleSource short_answers = source;
    short_answers.code.replace(from, 8, "");  // 6 bytes fewer
    std::unique_ptr<Model> refused = Model::Load(short_answers, ModelOptions{});
    EXPECT_EQ(refused->info().model_exec, "tfjs");
    EXPECT_NE(refused->info().model_exec_note.find("checkAnswers.base64 is not"), std::string::npos)
        << refused->info().model_exec_note;
  }
}

}  // namespace
}  // namespace tfjs_run::native
