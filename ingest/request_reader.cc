#include "ingest/request_reader.h"

#include "ingest/json_reader.h"
#include "ingest/request_body.h"

namespace spillway::ingest {
namespace {

Status prefixed(std::string_view code, const Status& s) {
  return Status::invalid_argument(std::string(code) + ": " + s.message());
}

bool looks_like_ndjson(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') return false;
  auto nl = text.find('\n', first);
  return nl != std::string_view::npos && text.find_first_not_of(" \t\r\n", nl) != text.npos;
}

}  // namespace

Result<ParsedBody> read_json_body(HttpRequest& request, const IngestOptions& options,
                                  bool allow_ndjson) {
  auto format = body_format(request, allow_ndjson);
  if (!format) return format.status();
  auto text = decoded_body(request, options.max_body_bytes);
  if (!text) return text.status();
  if (text->find_first_not_of(" \t\r\n") == std::string::npos)
    return Status::invalid_argument("invalid_json: body is empty");
  ParsedBody out;
  if (*format == BodyFormat::kJson) {
    auto value = parse_json(*text, options.max_depth);
    if (value) {
      out.values.push_back(std::move(value).value());
      return out;
    }
    // Native clients may send NDJSON without saying so; a JSON body never has two values.
    if (!allow_ndjson || !looks_like_ndjson(*text)) return prefixed("invalid_json", value.status());
  }
  auto lines = parse_ndjson(*text, options.max_depth);
  if (!lines) return prefixed("invalid_json", lines.status());
  out.values = std::move(lines).value();
  out.ndjson = true;
  return out;
}

}  // namespace spillway::ingest
