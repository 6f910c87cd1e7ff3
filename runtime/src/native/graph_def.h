// A tfjs-converter graph's nodes (a TensorFlow GraphDef as JSON): a node's name, op and inputs,
// and its attributes read defensively (a hostile bundle writes them), for the graph compiler
// (graph_compiler.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "native/activation.h"
#include "native/slice.h"

namespace tfjs_run::native::graph {

using nlohmann::json;

struct Node {
  std::string name, op;
  // What it takes: a producer's name, or "name:k" for a producer's output k > 0 (":0" and
  // control inputs dropped).
  std::vector<std::string> inputs;
  const json* attr;
};

// "node 'NAME' (OP)", for errors.
std::string Describe(const Node& n);
// The node an input names: "name" of "name:k".
std::string NodeOf(const std::string& input);
// A node's second input, "" if it has none: the constant shape, axis, axes, permutation, paddings
// or size of a Reshape, ExpandDims, ArgMax, Transpose, reduction, Pad or resize.
std::string SecondInput(const Node& n);

// Attributes by key: the attribute object, or null; the others give `otherwise` (false, an empty
// list) when absent and call Invalid() naming the node when malformed. Strings are GraphDef bytes
// (base64 in the JSON); integers may be written as strings (64-bit).
const json* Attr(const Node& n, const char* key);
bool BoolAttr(const Node& n, const char* key);
float FloatAttr(const Node& n, const char* key, float otherwise);
int64_t IntAttr(const Node& n, const char* key, int64_t otherwise);
std::string StringAttr(const Node& n, const char* key, const std::string& otherwise);
std::vector<int64_t> IntListAttr(const Node& n, const char* key);
std::vector<std::string> StringListAttr(const Node& n, const char* key);
// A StridedSlice's masks.
SliceMasks Masks(const Node& n);

// The activation a TensorFlow op name is, if it is one the executor covers.
bool ActivationOf(const std::string& op, ActivationSpec& act);

}  // namespace tfjs_run::native::graph
