#pragma once

#include <string>

namespace spillway::ingest {

// Fresh random credentials of one account, in the shapes clients expect: a write key for
// Segment-style clients ("wk_" + 32 hex), a site id (20 hex) and an api key (32 hex) for the
// Track API. From getrandom(2). Copyable value type.
struct NewCredentials {
  std::string write_key;
  std::string site_id;
  std::string api_key;
};

NewCredentials new_credentials();

}  // namespace spillway::ingest
