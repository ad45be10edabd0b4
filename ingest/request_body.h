#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "ingest/http_message.h"

namespace spillway::ingest {

// What the Content-Type header says about the body.
enum class BodyFormat { kJson, kNdjson };

// Checks Content-Type: absent, application/json, application/*+json and text/plain are JSON;
// application/x-ndjson (and application/jsonl) is NDJSON when allow_ndjson. Anything else is
// kInvalidArgument "unsupported_media_type: ...".
Result<BodyFormat> body_format(const HttpRequest& request, bool allow_ndjson);

// Returns the request body as plain bytes: identity as is, `Content-Encoding: gzip` inflated
// with zlib. The inflated size is bounded by max_bytes (checked while inflating, so a gzip
// bomb costs at most max_bytes of memory). Errors: "too_large: ..." (kInvalidArgument),
// "unsupported_media_type: ..." for another encoding, "invalid gzip body" for corrupt data.
Result<std::string> decoded_body(HttpRequest& request, uint64_t max_bytes);

// Inflates gzip or zlib data, failing past max_bytes of output.
Result<std::string> inflate_bounded(std::string_view compressed, uint64_t max_bytes);

}  // namespace spillway::ingest
