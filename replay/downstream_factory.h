#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string_view>

#include "common/result.h"
#include "replay/downstream.h"
#include "replay/http_downstream.h"

namespace spillway {
class Clock;
class Logger;
}  // namespace spillway

namespace spillway::replay {

// What a sink needs from app/: the io executor (HTTP), the clock, the logger and the HTTP
// tuning knobs (host, port and target are filled in from the URL). Borrowed for the call;
// the clock and logger must outlive the sink.
struct SinkContext {
  boost::asio::any_io_executor executor;
  const Clock* clock = nullptr;
  Logger* logger = nullptr;
  HttpDownstreamOptions http;
};

// Builds the sink a URL names: http(s):// -> HttpDownstream (https with the TLS context of
// replay/tls_client_context.h), file: -> FileDownstream (opened now), null: -> NullDownstream.
// Called once at startup, from app/.
// Errors: kInvalidArgument for a malformed URL, an unusable TLS file, or TLS files given for
// a sink that is not https://; kIoError when the file sink or the system CA store cannot be
// opened.
Result<std::unique_ptr<Downstream>> make_downstream(std::string_view url, const SinkContext& ctx);

}  // namespace spillway::replay
