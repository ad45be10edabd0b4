#include "ingest/request_body.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>

namespace spillway::ingest {
namespace {

std::string lower_trimmed(std::string_view v) {
  auto semi = v.find(';');
  if (semi != std::string_view::npos) v = v.substr(0, semi);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  std::string out(v);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Status unsupported(std::string_view what) {
  return Status::invalid_argument("unsupported_media_type: " + std::string(what));
}

}  // namespace

Result<BodyFormat> body_format(const HttpRequest& request, bool allow_ndjson) {
  auto header = request.header("content-type");
  if (!header) return BodyFormat::kJson;
  std::string type = lower_trimmed(*header);
  if (type.empty() || type == "application/json" || type == "text/plain" ||
      (type.rfind("application/", 0) == 0 && ends_with(type, "+json"))) {
    return BodyFormat::kJson;
  }
  if (allow_ndjson && (type == "application/x-ndjson" || type == "application/jsonl" ||
                       type == "application/ndjson")) {
    return BodyFormat::kNdjson;
  }
  return unsupported("Content-Type must be application/json" +
                     std::string(allow_ndjson ? " or application/x-ndjson" : ""));
}

Result<std::string> decoded_body(HttpRequest& request, uint64_t max_bytes) {
  auto header = request.header("content-encoding");
  std::string encoding = header ? lower_trimmed(*header) : std::string();
  if (encoding.empty() || encoding == "identity") {
    if (request.body.size() > max_bytes) {
      return Status::invalid_argument("too_large: body exceeds " + std::to_string(max_bytes) +
                                      " bytes");
    }
    return std::move(request.body);
  }
  if (encoding == "gzip" || encoding == "x-gzip") return inflate_bounded(request.body, max_bytes);
  return unsupported("Content-Encoding must be gzip or identity");
}

Result<std::string> inflate_bounded(std::string_view compressed, uint64_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Status::invalid_argument("invalid gzip body");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  int rc = Z_OK;
  char chunk[64 * 1024];
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(chunk, sizeof(chunk) - zs.avail_out);
    if (out.size() > max_bytes) break;
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) break;  // truncated input
  }
  inflateEnd(&zs);
  if (out.size() > max_bytes) {
    return Status::invalid_argument("too_large: inflated body exceeds " +
                                    std::to_string(max_bytes) + " bytes");
  }
  if (rc != Z_STREAM_END) return Status::invalid_argument("invalid gzip body");
  return out;
}

}  // namespace spillway::ingest
