// libFuzzer target: HTTP request handling without sockets. Bytes -> Boost.Beast request parser
// with the server's header/body limits -> HttpRequest -> Router (Segment, Track API, native and
// admin routes) -> IngestService -> an in-memory store. Every request must be answered exactly
// once with a status in 200..599 other than 500 (a handler that threw), and no 2xx may be sent
// for a request the store refused.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "common/assert.h"
#include "common/clock.h"
#include "ingest/admin_routes.h"
#include "ingest/auth.h"
#include "ingest/ingest_service.h"
#include "ingest/ingest_store.h"
#include "ingest/router.h"
#include "ingest/segment_routes.h"
#include "ingest/track_api_routes.h"
#include "test/ingest/fake_store.h"
#include "test/support/capture_logger.h"
#include "test/support/manual_clock.h"

using namespace spillway;
using namespace spillway::ingest;
namespace http = boost::beast::http;

namespace {

// Counts appends the store refused, so the target can check I6: no 2xx after a refusal.
class CountingStore final : public IngestStore {
 public:
  Result<AccountId> lookup_credential(queue::KeyKind kind, std::string_view secret) const override {
    return inner.lookup_credential(kind, secret);
  }
  void append(queue::AppendRequest request,
              std::function<void(Result<queue::AppendResult>)> done) override {
    inner.append(std::move(request), [this, done](Result<queue::AppendResult> r) {
      if (!r) ++refused;
      done(std::move(r));
    });
  }
  void create_account(queue::CreateAccountRequest request,
                      std::function<void(Result<AccountId>)> done) override {
    inner.create_account(std::move(request), std::move(done));
  }
  Status health() const override { return inner.health(); }
  bool ingest_refused() const override { return inner.ingest_refused(); }

  test::FakeStore inner;
  int refused = 0;
};

struct Pipeline {
  CountingStore store;
  test::ManualClock clock;
  test::CaptureLogger log;
  IngestOptions options;
  std::optional<IngestService> service;
  AdminToken admin{"admintok"};
  Router router;
  Pipeline() {
    options.max_body_bytes = 64 << 10;
    options.max_event_bytes = 16 << 10;
    options.max_depth = 32;
    store.inner.add_key(queue::KeyKind::kWriteKey, "wk_123", AccountId{1});
    store.inner.add_key(queue::KeyKind::kTrackApi, "site1:key1", AccountId{1});
    service.emplace(store, options, clock, log);
    add_segment_routes(router, *service);
    add_track_api_routes(router, *service);
    add_admin_routes(router, *service, admin);
  }
};

HttpRequest to_request(http::request<http::string_body>&& msg) {
  HttpRequest r;
  r.method = std::string(msg.method_string());
  std::string_view target = msg.target();
  size_t q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  for (const auto& f : msg) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  r.body = std::move(msg.body());
  r.remote = "127.0.0.1";
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Pipeline* p = new Pipeline();  // built once; the store only grows by fuzz appends
  // Half the inputs run with a failing store: nothing may then be answered 2xx.
  const bool store_fails = size > 0 && (data[size - 1] & 1) != 0;
  p->store.inner.next_status = store_fails ? Status::unavailable("injected") : Status::ok();
  p->store.refused = 0;
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(p->options.max_body_bytes);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_done()) return 0;
  std::optional<HttpResponse> got;
  int answers = 0;
  p->router.dispatch(to_request(parser.release()), Responder([&](HttpResponse resp) {
                       ++answers;
                       got = std::move(resp);
                     }));
  SPW_ASSERT(answers == 1 && got.has_value());
  SPW_ASSERT(got->status >= 200 && got->status <= 599);
  // 500 only comes from a handler that threw: every input error must be a 4xx.
  SPW_ASSERT(got->status != 500);
  // I6: a request whose append the store refused is never answered 2xx.
  SPW_ASSERT(p->store.refused == 0 || got->status >= 400);
  if (p->store.inner.appends.size() > 1000) p->store.inner.appends.clear();
  return 0;
}
