#include "native/weights.h"

#include <cstring>

#include <nlohmann/json.hpp>

namespace tfjs_run::native {

namespace {
// IEEE half to float: the same conversion tfjs's float16 decoding produces for every finite
// value, infinity and NaN.
float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
}  // namespace

std::map<std::string, Tensor> DecodeWeights(const nlohmann::json& specs, std::string_view data) {
  if (!specs.is_array()) Invalid("weightSpecs is not an array");
  std::map<std::string, Tensor> out;
  size_t at = 0;
  for (const auto& spec : specs) {
    if (!spec.is_object() || !spec.contains("name") || !spec["name"].is_string() || !spec.contains("shape") ||
        !spec["shape"].is_array()) {
      Invalid("a weight spec lacks its name or shape");
    }
    const std::string name = spec["name"].get<std::string>();
    Tensor t;
    for (const auto& d : spec["shape"]) {
      if (!d.is_number_integer()) Invalid("weight '" + name + "' has a shape that is not integers");
      t.shape.push_back(d.get<int64_t>());
    }
    // A scalar has shape []; Elements() of [] is 1.
    const int64_t n = Elements(t.shape, "weight '" + name + "'");
    const std::string dtype = spec.value("dtype", std::string("float32"));
    std::string stored = dtype;
    double scale = 1, min = 0;
    if (spec.contains("quantization")) {
      const auto& q = spec["quantization"];
      if (!q.is_object() || !q.contains("dtype") || !q["dtype"].is_string()) {
        Invalid("weight '" + name + "' has a malformed quantization");
      }
      stored = q["dtype"].get<std::string>();
      if (stored == "uint8" || stored == "uint16") {
        if (!q.contains("scale") || !q["scale"].is_number() || !q.contains("min") || !q["min"].is_number()) {
          Invalid("weight '" + name + "' is quantized to " + stored + " without scale and min");
        }
        scale = q["scale"].get<double>();
        min = q["min"].get<double>();
      } else if (stored != "float16") {
        Unsupported("weight '" + name + "' is quantized to " + stored);
      }
    }
    size_t width;
    if (stored == "float32" || stored == "int32") width = 4;
    else if (stored == "uint16" || stored == "float16") width = 2;
    else if (stored == "uint8" || stored == "bool") width = 1;
    else Unsupported("weight '" + name + "' has dtype " + stored);
    const size_t bytes = static_cast<size_t>(n) * width;
    if (bytes > data.size() - at) {
      Invalid("weight '" + name + "' needs " + std::to_string(bytes) + " bytes at offset " + std::to_string(at) +
              " but the weight data has " + std::to_string(data.size()));
    }
    const char* p = data.data() + at;
    t.values.resize(static_cast<size_t>(n));
    for (size_t i = 0; i < t.values.size(); ++i) {
      float v;
      if (stored == "float32") v = Load<float>(p + 4 * i);
      else if (stored == "int32") v = static_cast<float>(Load<int32_t>(p + 4 * i));
      else if (stored == "float16") v = HalfToFloat(Load<uint16_t>(p + 2 * i));
      else if (stored == "uint16") v = static_cast<float>(Load<uint16_t>(p + 2 * i) * scale + min);
      else if (stored == "uint8" && spec.contains("quantization")) v = static_cast<float>(static_cast<uint8_t>(p[i]) * scale + min);
      else v = static_cast<float>(static_cast<uint8_t>(p[i]) != 0);  // bool
      t.values[i] = v;
    }
    at += bytes;
    if (!out.emplace(name, std::move(t)).second) Invalid("two weights are named '" + name + "'");
  }
  return out;
}

}  // namespace tfjs_run::native
