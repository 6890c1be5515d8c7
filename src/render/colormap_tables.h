// voxscope: the generated colormap tables (colormap_tables.cpp), for display.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace vox::detail {

/// 256 RGB entries.
using ColormapTable = std::array<std::array<std::uint8_t, 3>, 256>;

/// One map as generated: its name, its table and whether it is categorical.
struct NamedColormapTable {
    std::string_view name;
    const ColormapTable* table;
    bool categorical;
};

/// Every map colormap() knows, in the order colormap_names() lists them.
extern const std::array<NamedColormapTable, 15> kColormapTables;

}  // namespace vox::detail
