#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "ingest/http_message.h"

namespace spillway::app {

// The raw value of query parameter `name` ("" for a bare `name`), nullopt when absent.
std::optional<std::string> query_param(const ingest::HttpRequest& req, std::string_view name);

// A positive integer query parameter in [1, max], `fallback` when absent; nullopt when it is
// malformed or out of range (the route answers 400).
std::optional<size_t> count_param(const ingest::HttpRequest& req, std::string_view name,
                                  size_t fallback, size_t max);

}  // namespace spillway::app
