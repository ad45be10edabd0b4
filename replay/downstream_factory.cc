#include "replay/downstream_factory.h"

#include <utility>

#include "common/assert.h"
#include "replay/file_downstream.h"
#include "replay/null_downstream.h"
#include "replay/sink_url.h"
#include "replay/tls_client_context.h"

namespace spillway::replay {

Result<std::unique_ptr<Downstream>> make_downstream(std::string_view url, const SinkContext& ctx) {
  SPW_ASSERT(ctx.clock != nullptr && ctx.logger != nullptr);
  Result<SinkUrl> parsed = parse_sink_url(url);
  if (!parsed) return parsed.status();
  switch (parsed->scheme) {
    case SinkUrl::Scheme::kNull:
      return std::unique_ptr<Downstream>(std::make_unique<NullDownstream>());
    case SinkUrl::Scheme::kFile: {
      Result<std::unique_ptr<FileDownstream>> file =
          FileDownstream::open(FileDownstreamOptions{parsed->path}, *ctx.clock, *ctx.logger);
      if (!file) return file.status();
      return std::unique_ptr<Downstream>(std::move(file).value());
    }
    case SinkUrl::Scheme::kHttps:
    case SinkUrl::Scheme::kHttp: {
      SPW_ASSERT(ctx.executor);
      std::shared_ptr<boost::asio::ssl::context> tls;
      if (parsed->scheme == SinkUrl::Scheme::kHttps) {
        auto made = make_tls_client_context(ctx.http.tls);
        if (!made) return made.status();
        tls = std::move(made).value();
      } else if (ctx.http.tls.any()) {
        return Status::invalid_argument(
            "sink TLS files (sink-ca-file, sink-client-cert, sink-client-key) need an https:// "
            "sink URL");
      }
      HttpDownstreamOptions options = ctx.http;
      options.host = parsed->host;
      options.port = parsed->port;
      options.target = parsed->target;
      return std::unique_ptr<Downstream>(std::make_unique<HttpDownstream>(
          ctx.executor, std::move(options), *ctx.clock, *ctx.logger, std::move(tls)));
    }
  }
  return Status::invalid_argument("sink URL: unknown scheme");
}

}  // namespace spillway::replay
