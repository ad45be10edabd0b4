#include "replay/sink_url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace spillway::replay {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool has_bad_bytes(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7F;
  });
}

Status bad(std::string why) { return Status::invalid_argument("sink URL: " + std::move(why)); }

Result<uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value == 0 ||
      value > 65535)
    return bad("port must be a number in 1..65535");
  return static_cast<uint16_t>(value);
}

// Splits "HOST[:PORT]" or "[V6][:PORT]" into the url.
Status parse_authority(std::string_view auth, SinkUrl& url) {
  if (auth.find('@') != std::string_view::npos)
    return bad("user info is not allowed in the URL (credentials do not belong in config)");
  std::string_view port_text;
  if (!auth.empty() && auth.front() == '[') {
    const size_t close = auth.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 literal");
    url.host = std::string(auth.substr(1, close - 1));
    const std::string_view rest = auth.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return bad("junk after IPv6 literal");
    if (!rest.empty()) port_text = rest.substr(1);
    if (rest.size() == 1) return bad("empty port");
  } else {
    const size_t colon = auth.rfind(':');
    url.host = std::string(auth.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = auth.substr(colon + 1);
      if (port_text.empty()) return bad("empty port");
    }
  }
  if (url.host.empty()) return bad("empty host");
  if (url.host.find_first_of("[]:/") != std::string::npos && auth.front() != '[')
    return bad("invalid host");
  if (port_text.empty()) return Status::ok();
  Result<uint16_t> port = parse_port(port_text);
  if (!port) return port.status();
  url.port = *port;
  return Status::ok();
}

Result<SinkUrl> parse_http(std::string_view rest, bool tls) {
  SinkUrl url;
  url.scheme = tls ? SinkUrl::Scheme::kHttps : SinkUrl::Scheme::kHttp;
  url.port = tls ? 443 : 80;
  if (rest.find('#') != std::string_view::npos) return bad("fragments are not allowed");
  const size_t slash = rest.find_first_of("/?");
  const std::string_view auth = rest.substr(0, slash);
  if (Status s = parse_authority(auth, url); !s.is_ok()) return s;
  if (slash != std::string_view::npos) url.target = std::string(rest.substr(slash));
  if (url.target.front() == '?') url.target.insert(0, "/");
  return url;
}

Result<SinkUrl> parse_file(std::string_view rest) {
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    if (rest.empty() || rest.front() != '/')
      return bad("file:// needs an absolute path (file:///abs/path) or use file:relative/path");
  }
  if (rest.empty()) return bad("file: needs a path");
  SinkUrl url;
  url.scheme = SinkUrl::Scheme::kFile;
  url.path = std::string(rest);
  return url;
}

}  // namespace

Result<SinkUrl> parse_sink_url(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return bad("missing scheme (expected http://, https://, file: or null:)");
  const std::string scheme = lower(text.substr(0, colon));
  const std::string_view rest = text.substr(colon + 1);
  if (scheme == "file") return parse_file(rest);
  if (has_bad_bytes(text)) return bad("contains spaces or control characters");
  if (scheme == "null") {
    if (!rest.empty() && rest != "//") return bad("null: takes no argument");
    return SinkUrl{};
  }
  if (scheme != "http" && scheme != "https")
    return bad("unknown scheme '" + scheme.substr(0, 16) +
               "' (expected http://, https://, file: or null:)");
  if (rest.substr(0, 2) != "//") return bad(scheme + " URL must start with " + scheme + "://");
  return parse_http(rest.substr(2), scheme == "https");
}

}  // namespace spillway::replay
