// Predicts CSV rows with an installed tfjs_run, through the public header alone:
//   consumer BUNDLE ROWS.csv   prints one CSV line per row, every value with 9 significant digits
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tfjs_run/tfjs_run.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s BUNDLE ROWS.csv\n", argv[0]);
    return 2;
  }
  std::vector<float> values;
  size_t rows = 0, cols = 0;
  std::ifstream in(argv[2]);
  for (std::string line; std::getline(in, line); ++rows) {
    std::istringstream fields(line);
    size_t n = 0;
    for (std::string field; std::getline(fields, field, ','); ++n) values.push_back(std::stof(field));
    cols = n;
  }
  try {
    tfjs_run::RuntimeOptions options;
    options.workers = 2;
    auto runtime = tfjs_run::Runtime::Start(tfjs_run::BundleSource::FromFile(argv[1]), options);
    const tfjs_run::DenseMatrix out = runtime->Predict({values.data(), rows, cols});
    for (size_t r = 0; r < out.rows(); ++r) {
      for (size_t c = 0; c < out.cols(); ++c) std::printf(c ? ",%.9g" : "%.9g", out.at(r, c));
      std::printf("\n");
    }
  } catch (const tfjs_run::Error& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
  return 0;
}
