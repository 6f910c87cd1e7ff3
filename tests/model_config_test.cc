// The model config (tfjs_run/model_config.h): what a config file and a layout's models.json
// give, and the error for each thing that cannot be used, naming the file, the model and the field.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_files.h"
#include "tfjs_run/model_config.h"

namespace tfjs_run {
namespace {

using namespace test_support;

std::string ErrorOf(const std::string& text) {
  try {
    ParseModelConfig(text, "models.conf");
  } catch (const ModelConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ModelConfigError for " << text;
  return {};
}

TEST(ModelConfigTest, ReadsNamesSourcesPoliciesAndPerModelOptions) {
  TempDir dir;
  std::filesystem::create_directory(dir.path + "/iris");
  WriteFile(dir.path + "/wine.bundle.js", "var x;");
  WriteFile(dir.path + "/models.conf", R"({"models": [
      {"name": "wine", "source": "wine.bundle.js"},
      {"name": "iris", "source": "iris", "version_policy": "latest", "workers": 2},
      {"name": "fraud", "source": "https://models.example/fraud", "version_policy": {"specific": 3},
       "max_batch_rows": 32, "max_queue_rows": 100}]})");
  const ModelConfig config = ReadModelConfig(dir.path + "/models.conf");
  ASSERT_EQ(config.models.size(), 3u);
  const ModelConfigEntry& wine = config.models[0];
  EXPECT_EQ(wine.name, "wine");
  EXPECT_EQ(wine.source, dir.path + "/wine.bundle.js");  // relative to the file's directory
  EXPECT_FALSE(wine.published());
  EXPECT_EQ(wine.specific_version, "");
  const ModelConfigEntry& iris = config.models[1];
  EXPECT_TRUE(iris.published());  // a directory
  EXPECT_EQ(iris.watch_source(), dir.path + "/iris");
  EXPECT_EQ(iris.Options({}).workers, 2u);
  const ModelConfigEntry& fraud = config.models[2];
  EXPECT_TRUE(fraud.published());
  EXPECT_EQ(fraud.specific_version, "3");
  EXPECT_EQ(fraud.watch_source(), "https://models.example/fraud/3");
  RuntimeOptions defaults;
  defaults.workers = 4;
  const RuntimeOptions options = fraud.Options(defaults);
  EXPECT_EQ(options.workers, 4u);
  EXPECT_EQ(options.max_batch_rows, 32u);
  EXPECT_EQ(options.max_queue_rows, 100u);
}

TEST(ModelConfigTest, ALayoutsModelsAreAtBaseSlashName) {
  const ModelConfig config =
      ParseLayoutModels(R"({"models": [{"name": "a"}, {"name": "b", "version_policy": {"specific": "7"}}]})",
                        "http://h/base");
  ASSERT_EQ(config.models.size(), 2u);
  EXPECT_EQ(config.models[0].watch_source(), "http://h/base/a");
  EXPECT_EQ(config.models[1].watch_source(), "http://h/base/b/7");
  try {
    ParseLayoutModels(R"({"models": [{"name": "a", "source": "http://elsewhere/a"}]})", "http://h/base");
    ADD_FAILURE() << "a layout's model may not name its source";
  } catch (const ModelConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("http://h/base/models.json: models[0] (model 'a'): 'source' is not allowed"),
              std::string::npos) << e.what();
  }
}

TEST(ModelConfigTest, EachUnusableFieldIsNamed) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"{", "models.conf: not valid JSON"},
      {"[]", "models.conf: must be an object with a 'models' array"},
      {R"({"models": [], "extra": 1})", "models.conf: unknown field 'extra'"},
      {R"({"models": [3]})", "models.conf: models[0] must be an object"},
      {R"({"models": [{"source": "a.js"}]})", "models.conf: models[0]: 'name' must be 1-128 characters"},
      {R"({"models": [{"name": "a b", "source": "a.js"}]})", "models[0]: 'name' must be 1-128 characters"},
      {R"({"models": [{"name": "..", "source": "a.js"}]})", "models[0]: 'name' must be 1-128 characters of [A-Za-z0-9._-], not '.' or '..'"},
      {R"({"models": [{"name": "a"}]})", "models[0] (model 'a'): 'source' must be a non-empty string"},
      {R"({"models": [{"name": "a", "source": "a.js", "sauce": 1}]})", "(model 'a'): unknown field 'sauce'"},
      {R"({"models": [{"name": "a", "source": "a.js"}, {"name": "a", "source": "b.js"}]})",
       "models[1]: the name 'a' is given twice"},
      {R"({"models": [{"name": "a", "source": "http://h/a", "version_policy": "oldest"}]})",
       "(model 'a'): 'version_policy' must be \"latest\" or {\"specific\": \"VERSION\"}"},
      {R"({"models": [{"name": "a", "source": "http://h/a", "version_policy": {"specific": "../1"}}]})",
       "(model 'a'): 'version_policy': 'specific' must be a version name"},
      {R"({"models": [{"name": "a", "source": "/no/such/a.js", "version_policy": {"specific": "1"}}]})",
       "(model 'a'): a specific version needs a published layout as 'source', not the bundle file '/no/such/a.js'"},
      {R"({"models": [{"name": "a", "source": "a.js", "workers": -1}]})",
       "(model 'a'): 'workers' must be an integer in [0, 1024]"},
      {R"({"models": [{"name": "a", "source": "a.js", "max_batch_rows": 0}]})",
       "(model 'a'): 'max_batch_rows' must be an integer in [1, 16777216]"},
      {R"({"models": [[[[[[[[[[1]]]]]]]]]]})", "models.conf: nested deeper than 8 levels"},
  };
  for (const auto& [text, message] : bad) {
    const std::string error = ErrorOf(text);
    EXPECT_NE(error.find(message), std::string::npos) << text << " -> " << error;
  }
}

TEST(ModelConfigTest, AFileThatCannotBeReadIsNamed) {
  try {
    ReadModelConfig("/no/such/models.conf");
    ADD_FAILURE() << "no error";
  } catch (const ModelConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/no/such/models.conf: cannot be read"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tfjs_run
