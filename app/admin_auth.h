#pragma once

#include "ingest/http_message.h"

namespace spillway::ingest {
class AdminToken;
}

namespace spillway::app {

// Answers 401 (no token) or 403 (wrong token) and returns false unless the request carries
// the admin token as `Authorization: Bearer ...`.
bool require_admin(const ingest::AdminToken& token, const ingest::HttpRequest& request,
                   const ingest::Responder& respond);

}  // namespace spillway::app
