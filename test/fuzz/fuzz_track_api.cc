// libFuzzer target: the Customer.io Track API normaliser. The first byte picks the route
// (identify / customer event / anonymous event), the next up to 32 bytes (to the first '\n')
// are the customer id, the rest the JSON body.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/assert.h"
#include "ingest/json_reader.h"
#include "ingest/track_api_event.h"

using namespace spillway::ingest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int route = data[0] % 3;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t nl = rest.substr(0, 33).find('\n');
  std::string_view id = nl == std::string_view::npos ? std::string_view("c1") : rest.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? rest : rest.substr(nl + 1);
  if (!check_customer_id(id).is_ok()) id = "c1";
  auto doc = parse_json(body, 32);
  if (!doc) return 0;
  spillway::Result<nlohmann::json> out = route == 0   ? track_identify(id, std::move(*doc))
                                         : route == 1 ? track_customer_event(id, std::move(*doc))
                                                      : track_anonymous_event(std::move(*doc));
  // Whatever comes out is stored and re-serialised: it must dump without throwing.
  if (out) SPW_ASSERT(!out->dump().empty());
  return 0;
}
