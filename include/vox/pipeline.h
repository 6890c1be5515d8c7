// voxscope: operation specs, the one description of processing that the CLI, the viewer
// and reports share.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vox/volume.h"

namespace vox {

/// One step: an operation name and its parameters as text, e.g. gamma with gamma=0.5.
/// Every op but `channel` also takes `channel=N`: the step then runs on channel N alone
/// and the other channels are kept (it must keep the pixel type and shape).
struct Step {
    std::string op;
    std::vector<std::pair<std::string, std::string>> parameters;
};

/// Parses a JSON list of steps: `[{"op": "gamma", "gamma": 0.5}, {"op": "equalize"}]`.
/// Numbers, strings and booleans are accepted as values.
/// @throw ValueError for malformed JSON, a step without "op", or a nested value.
std::vector<Step> parse_steps_json(std::string_view json);

/// Parses command-line steps: each token is `op` or `op:args`, where args are
/// comma-separated values, positional (in the order the op lists its parameters) or
/// `key=value`: `gamma:0.5`, `clip:0.5,99.5`, `resize:50x50x50,order=3`, `gaussian:sigma=1`.
/// @throw ValueError for an empty op or a malformed argument.
std::vector<Step> parse_steps_cli(std::span<const std::string> tokens);

/// The steps as JSON (the inverse of parse_steps_json; values are written as numbers
/// when they parse as numbers).
std::string steps_to_json(std::span<const Step> steps);

/// Checks every step (known op, known parameters, valid values) without running it.
/// @throw ValueError naming the step, e.g. "step 2 (gamma): gamma must be non-negative".
void validate_steps(std::span<const Step> steps);

/// What a step found in the data and used, so that a result can be checked and repeated
/// with explicit values: the level a threshold method chose and the share of voxels above
/// it, the values a clip's percentiles fell on (with the rescale steps that repeat them),
/// the number of labelled components, the voxels a physical Gaussian sigma or CLAHE's
/// default or physical kernel came to.
struct StepNote {
    std::size_t step = 0;  ///< index into the steps, from 0
    std::string text;      ///< e.g. "otsu level 8900, 5.657% of the voxels above it"
};

/// Runs the steps in order and returns the result. Point-wise steps (gamma, log, sigmoid,
/// rescale, clip, normalize when the type is kept) work in place on intermediate results,
/// and on `volume` itself when the caller moves it in and nothing else shares its
/// buffer: `apply_steps(std::move(volume), steps)` keeps peak memory at input + output.
/// @throw ValueError for an unknown op or a bad parameter, naming the step.
/// With `notes`, each step's findings are appended to it (the extra cost is a count of a
/// threshold's mask and a maximum of a label image).
Volume apply_steps(Volume volume, std::span<const Step> steps,
                   std::vector<StepNote>* notes = nullptr);

/// Runs one step, for a caller that names it itself (a command's flag): its errors are
/// apply_steps()' without the "step N (op): " prefix, and its notes are appended to
/// `notes` if given.
/// @throw ValueError for an unknown op or a bad parameter.
Volume apply_step(Volume volume, const Step& step, std::vector<std::string>* notes = nullptr);

/// Describes one operation for `voxscope process --help` and the docs.
struct OperationInfo {
    std::string name;
    std::string summary;
    /// Parameters in positional order, as "name=default".
    std::vector<std::string> parameters;
};

/// Every operation apply_steps knows.
const std::vector<OperationInfo>& operation_catalog();

}  // namespace vox
