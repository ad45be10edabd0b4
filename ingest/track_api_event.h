#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.h"

namespace spillway::ingest {

// Normalises Customer.io Track API v1 bodies to the Segment event shape, so replay delivers
// one format. Inputs are DOMs from parse_json (depth-checked). Pure functions.
// Every error is kInvalidArgument with a message naming the field.

// PUT /api/v1/customers/{id}: the body is the customer's attributes.
// -> {"type":"identify","userId":id,"traits":{...}}
Result<nlohmann::json> track_identify(std::string_view customer_id, nlohmann::json attributes);

// POST /api/v1/customers/{id}/events: {name, data?, id?, timestamp?, type?}.
// -> {"type":"track","userId":id,"event":name,"properties":data,"messageId":id?,
//     "timestamp":ISO-8601?}; type "page"/"screen" gives {"type":"page","name":name,...}.
Result<nlohmann::json> track_customer_event(std::string_view customer_id, nlohmann::json body);

// POST /api/v1/events: anonymous event {name, anonymous_id?, data?, id?, timestamp?, type?}.
Result<nlohmann::json> track_anonymous_event(nlohmann::json body);

// Validates a customer id from the path: 1..150 bytes of valid UTF-8.
Status check_customer_id(std::string_view id);

}  // namespace spillway::ingest
