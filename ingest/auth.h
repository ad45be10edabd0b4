#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/digest.h"
#include "common/ids.h"
#include "common/result.h"
#include "ingest/http_message.h"

namespace spillway::ingest {

class IngestStore;

// HTTP Basic credentials. The password may be empty (Segment sends "writeKey:").
struct BasicCredentials {
  std::string user;
  std::string password;
};

// Parses "Basic <base64(user:password)>"; nullopt when malformed. Case-insensitive scheme.
std::optional<BasicCredentials> parse_basic(std::string_view authorization);
// Parses "Bearer <token>"; nullopt when malformed.
std::optional<std::string> parse_bearer(std::string_view authorization);
std::optional<std::string> base64_decode(std::string_view in);

// Segment / native auth: HTTP Basic with the write key as user name; when there is no
// Authorization header, `writeKey` in the (object) body. The account always comes from the
// key. Errors: kNotFound (-> 401) with a message that never repeats the key; storage errors
// from the lookup as they are.
Result<AccountId> authenticate_write_key(const IngestStore& store, const HttpRequest& request,
                                         const nlohmann::json* body);
// True when the request carries an Authorization header (auth can run before the body is
// parsed).
bool has_authorization(const HttpRequest& request);

// Customer.io Track API auth: Basic site_id:api_key; both must belong to one account.
Result<AccountId> authenticate_track_api(const IngestStore& store, const HttpRequest& request);

// The admin token, kept only as its SHA-256 and compared in constant time. Thread-safe.
class AdminToken {
 public:
  explicit AdminToken(std::string_view token) : digest_(sha256(token)) {}
  // OK, kNotFound (no/unparseable Authorization: 401) or kInvalidArgument (wrong token: 403).
  Status check(const HttpRequest& request) const;

 private:
  Sha256 digest_;
};

}  // namespace spillway::ingest
