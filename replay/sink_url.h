#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace spillway::replay {

// A parsed sink URL (docs/sink.md, "Sink URLs"). Copyable value type.
//   http://HOST[:PORT][/PATH[?QUERY]]   https://...   file:PATH   file:///ABS/PATH   null:
struct SinkUrl {
  enum class Scheme { kHttp, kHttps, kFile, kNull };
  Scheme scheme = Scheme::kNull;
  std::string host;          // http(s): DNS name or IP literal, IPv6 without brackets
  uint16_t port = 0;         // http(s): explicit or 80 / 443
  std::string target = "/";  // http(s): path and query
  std::string path;          // file: the file path, relative or absolute
  bool operator==(const SinkUrl&) const = default;
};

// Errors: kInvalidArgument naming what is wrong (unknown scheme, empty host, bad port,
// user info, fragment, empty file path, ...). The message never repeats the whole URL, which
// may carry a token in its query.
Result<SinkUrl> parse_sink_url(std::string_view url);

}  // namespace spillway::replay
