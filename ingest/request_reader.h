#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "common/result.h"
#include "ingest/http_message.h"
#include "ingest/ingest_options.h"

namespace spillway::ingest {

// A request body after the limit, media type, encoding and JSON checks. `values` holds one
// element for a JSON body, one per line for NDJSON. Move-only in practice (DOMs are large).
struct ParsedBody {
  std::vector<nlohmann::json> values;
  bool ndjson = false;
};

// Checks Content-Type (NDJSON only when allow_ndjson), decodes gzip within max_body_bytes and
// parses with the depth limit. Consumes request.body. Errors are kInvalidArgument with a code
// prefix understood by invalid_argument_response ("invalid_json: invalid JSON at byte 17: ...",
// "too_large: ...", "unsupported_media_type: ...").
Result<ParsedBody> read_json_body(HttpRequest& request, const IngestOptions& options,
                                  bool allow_ndjson);

}  // namespace spillway::ingest
