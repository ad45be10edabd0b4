#include "app/admin_auth.h"

#include "ingest/auth.h"
#include "ingest/responses.h"

namespace spillway::app {

bool require_admin(const ingest::AdminToken& token, const ingest::HttpRequest& request,
                   const ingest::Responder& respond) {
  Status s = token.check(request);
  if (s.is_ok()) return true;
  bool missing = s.code() == Status::Code::kNotFound;
  respond(ingest::error_response(
      missing ? 401 : 403, missing ? "unauthorized" : "forbidden",
      missing ? "admin token required (Authorization: Bearer ...)" : "wrong admin token"));
  return false;
}

}  // namespace spillway::app
