#include "app/query_params.h"

#include <algorithm>
#include <charconv>

namespace spillway::app {

std::optional<std::string> query_param(const ingest::HttpRequest& req, std::string_view name) {
  std::string_view q = req.query;
  while (!q.empty()) {
    std::string_view pair = q.substr(0, q.find('&'));
    q.remove_prefix(std::min(q.size(), pair.size() + 1));
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

std::optional<size_t> count_param(const ingest::HttpRequest& req, std::string_view name,
                                  size_t fallback, size_t max) {
  auto text = query_param(req, name);
  if (!text) return fallback;
  size_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size() || v < 1 || v > max)
    return std::nullopt;
  return v;
}

}  // namespace spillway::app
