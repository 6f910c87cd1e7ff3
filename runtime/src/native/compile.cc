#include "native/compile.h"

#include <nlohmann/json.hpp>

#include "json_limits.h"
#include "native/graph_loader.h"
#include "native/layers_loader.h"
#include "native/weights.h"

namespace tfjs_run::native {

namespace {
nlohmann::json ParseBounded(const std::string& text, const std::string& what) {
  if (text.size() > kMaxTopologyBytes) Invalid(what + " is larger than " + std::to_string(kMaxTopologyBytes >> 20) + " MiB");
  if (internal::JsonDepth(text) > kMaxTopologyDepth) {
    Invalid(what + " is nested deeper than " + std::to_string(kMaxTopologyDepth) + " levels");
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) Invalid(what + " is not valid JSON");
  return j;
}
}  // namespace

std::unique_ptr<Plan> Compile(const ModelArtifacts& artifacts) {
  if (artifacts.format != "layers" && artifacts.format != "graph") Unsupported("a model of format '" + artifacts.format.substr(0, 32) + "'");
  try {
    const nlohmann::json topology = ParseBounded(artifacts.topology_json, "the model topology");
    const nlohmann::json specs = ParseBounded(artifacts.weight_specs_json, "the weight specs");
    const std::map<std::string, Tensor> weights = DecodeWeights(specs, artifacts.weight_data);
    const bool int_input = !artifacts.int_input.empty();
    if (int_input && artifacts.format != "graph") Unsupported("an integer input to a layers model");
    std::unique_ptr<Plan> plan =
        artifacts.format == "graph"
            ? CompileGraph(topology, weights, artifacts.input_dims, artifacts.output_names, int_input)
            : CompileLayers(topology, weights, artifacts.input_dims);
    if (int_input) plan->set_int_input(IntInputOf(artifacts.int_input));
    if (!artifacts.standardize_mean.empty() || !artifacts.standardize_std.empty()) {
      plan->Standardize(artifacts.standardize_mean, artifacts.standardize_std);
    }
    return plan;
  } catch (const nlohmann::json::exception& e) {  // a field of the wrong type
    Invalid(std::string("the model topology has a field of the wrong type: ") + e.what());
  }
}

}  // namespace tfjs_run::native
