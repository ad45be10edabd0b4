#pragma once

#include <span>
#include <string_view>

namespace spillway::app {

// One file of the dashboard page, compiled into the binary from app/dashboard/ by
// app/dashboard/embed.py (a meson custom_target), so the page works offline with no file
// next to the binary. Static storage; copyable value type.
struct DashboardAsset {
  std::string_view name;          // "index.html", "dashboard.js", ...
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view body;
};

std::span<const DashboardAsset> dashboard_assets();

}  // namespace spillway::app
