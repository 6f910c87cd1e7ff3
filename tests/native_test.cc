// The native executor (runtime/src/native): every op it covers against tfjs in Node, each on its
// own model (tests/fixtures/make-native-models.js writes them with tfjs's outputs), in several
// batch groupings; hostile topologies; bundles that run natively through Model, with and without
// app steps around the model.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "native/compile.h"
#include "row_io.h"
#include "tfjs_run/tfjs_run.h"

namespace tfjs_run::native {
namespace {

const std::string kFixtures = TFJS_RUN_FIXTURES_OUT;
const std::string kNative = kFixtures + "/native";
constexpr double kTolerance = 1e-5;  // absolute, or relative where values are large

// The cases make-native-models.js writes (its cases.txt must say the same).
const char* const kCases[] = {
    "dense-linear", "dense-relu", "dense-relu6", "dense-sigmoid", "dense-tanh", "dense-softmax", "dense-elu",
    "dense-selu", "dense-softplus", "dense-softsign", "dense-swish", "dense-hardSigmoid", "dense-mish", "dense-gelu",
    "dense-no-bias", "dense-1-to-1", "dense-wide", "activation-layers", "batch-norm", "rank3-dense-flatten",
    "functional-chain", "quantized-uint8", "quantized-uint16", "quantized-float16", "one-row", "large-values",
    "conv2d-valid", "conv2d-same-stride2", "conv2d-dilated", "conv2d-large-channels", "conv1d", "depthwise-same",
    "depthwise-stride2-valid", "separable", "pooling", "global-pooling", "pad-and-upsample", "merges",
    "conv2d-transpose", "bilinear-and-crop", "permute", "mobilenet-block", "superres-block",
};
// The graph models make-native-graphs.js writes, in tfjs-converter's format.
const char* const kGraphCases[] = {"graph-conv-ops", "graph-fused-ops", "graph-shapes", "graph-resample",
                                   "graph-transpose-sum"};

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
    const double err = std::abs(e - g) / std::max(1.0, std::abs(e));
    worst = std::max(worst, err);
    ASSERT_LE(err, kTolerance) << "value " << i << " (row " << i / ref.cols() << "): native " << g << ", tfjs " << e;
  }
  RecordProperty("worst_error", std::to_string(worst));
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

TEST(NativeModel, SeveralOutputsStayInTfjsAndNativeOnlyRefusesThemSayingWhy) {
  const BundleSource source = BundleSource::FromFile(kFixtures + "/multi-out.bundle.js");
  std::unique_ptr<Model> model = Model::Load(source);
  EXPECT_EQ(model->info().model_exec, "tfjs");
  EXPECT_NE(model->info().model_exec_note.find("several inputs or outputs"), std::string::npos)
      << model->info().model_exec_note;
  ModelOptions native_only;
  native_only.model_exec = ModelExec::kNative;
  try {
    Model::Load(source, native_only);
    FAIL() << "loaded with --model-exec native";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot run natively"), std::string::npos) << e.what();
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

}  // namespace
}  // namespace tfjs_run::native
