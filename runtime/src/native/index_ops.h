// Ops on integer values as a graph's post-processing computes them (a detector's top scores and
// where they are, a pose estimator's peaks): TopKV2, ArgMax, gathering by computed indices
// (GatherV2, GatherNd), FloorDiv and FloorMod, and Equal. The
// plan holds every value as float32, which holds an integer exactly up to 2^24: the loaders keep
// these ops to indices below that (TopK's axis, a gathered axis).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tfjs_run::native {

class Step;

// The largest axis whose indices a float32 holds exactly.
inline constexpr int64_t kMaxExactIndex = int64_t{1} << 24;

enum class IndexBinary { kFloorDiv, kFloorMod, kEqual };

// The op named as in a GraphDef (FloorDiv, FloorMod, Equal); false if it is none of them.
bool IndexBinaryOf(const std::string& op, IndexBinary& kind);

// `kind` elementwise over rows of `cols` values: of two computed values of the same shape, or of
// one and the scalar `constant` (its second operand). As tfjs computes them, in double rounded
// once: FloorDiv floor(a / b), FloorMod JavaScript's a % b moved to b's sign, Equal 1 or 0.
std::unique_ptr<Step> MakeIndexBinary(const std::string& name, IndexBinary kind, int64_t cols,
                                      std::optional<float> constant);

// TopKV2 on the last axis of rows of `outer` runs of `axis` values: the positions in each run of
// its `k` largest, in descending order of value, a tie to the lower index (tfjs's cpu and wasm
// order), a NaN after every number.
std::unique_ptr<Step> MakeTopK(const std::string& name, int64_t outer, int64_t axis, int64_t k);
// The values of such rows at `k` positions of each run (its second input, MakeTopK's output):
// TopKV2's values output, without sorting again.
std::unique_ptr<Step> MakeTakeAlong(const std::string& name, int64_t outer, int64_t axis, int64_t k);

// GatherV2 of a row of `outer` x `axis` x `inner` values along its middle axis, by `count`
// indices: `constant` ones, or (when it is empty) a computed value's, the step's second input.
// A computed index that is not a whole number in [0, axis) fails the call naming the step.
std::unique_ptr<Step> MakeGather(const std::string& name, int64_t outer, int64_t axis, int64_t inner,
                                 int64_t count, std::vector<float> constant);

// ArgMax of a row of `outer` x `axis` x `inner` values along its middle axis: the position of the
// first largest value, as tfjs's cpu backend finds it (a strict > from the first value, so a NaN
// first stays, and a later NaN is passed over).
std::unique_ptr<Step> MakeArgMax(const std::string& name, int64_t outer, int64_t axis, int64_t inner);

// GatherNd of a row of shape `params` by `count` index tuples of `depth` numbers each: per tuple,
// the values of params at those first `depth` coordinates (the product of params' other axes).
// The indices are `constant` ones, or (when it is empty) a computed value's, the step's second
// input. A computed index that is not a whole number inside its axis fails the call naming the
// step (tfjs checks only the flattened position, so an index past its own axis may read another
// row of params there; here it is an error).
std::unique_ptr<Step> MakeGatherNd(const std::string& name, const std::vector<int64_t>& params, int64_t depth,
                                   int64_t count, std::vector<float> constant);

}  // namespace tfjs_run::native
