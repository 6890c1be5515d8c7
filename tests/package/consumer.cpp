#include <cstdio>

#include "vox/samples.h"
#include "vox/stats.h"
#include "vox/version.h"

int main() {
    const vox::Volume volume = vox::make_sample("sample:phantom?size=16");
    const auto [low, high] = vox::min_max(volume);
    std::printf("voxscope %s: phantom range %g..%g\n", vox::kVersion, low, high);
    return high > low ? 0 : 1;
}
