#include "ingest/new_credentials.h"

#include "common/digest.h"

namespace spillway::ingest {

NewCredentials new_credentials() {
  return {"wk_" + random_hex(16), random_hex(10), random_hex(16)};
}

}  // namespace spillway::ingest
