#include "ingest/ingest_service.h"

#include "ingest/responses.h"

namespace spillway::ingest {
namespace {

queue::AppendRequest to_append(AccountId account, std::vector<PreparedEvent>& events,
                               int64_t received_ms) {
  queue::AppendRequest req;
  req.account = account;
  req.received_ms = received_ms;
  for (auto& e : events) {
    if (e.reject_reason.empty()) {
      req.events.push_back({std::move(e.payload), std::move(e.idempotency_key)});
    } else {
      req.rejected.push_back({std::move(e.payload), std::move(e.reject_reason)});
    }
  }
  return req;
}

HttpResponse success(ResponseStyle style, const IngestCounts& counts) {
  return style == ResponseStyle::kSegment ? segment_success(counts) : track_api_success(counts);
}

}  // namespace

IngestService::IngestService(IngestStore& store, const IngestOptions& options, const Clock& clock,
                             Logger& logger)
    : store_(store),
      options_(options),
      clock_(clock),
      logger_(logger),
      rate_(options.account_rate_limit, clock) {}

EventStamp IngestService::stamp() { return make_stamp(clock_.wall_ms(), ids_); }

void IngestService::commit(AccountId account, std::vector<PreparedEvent> events,
                           const EventStamp& stamp, ResponseStyle style, const Responder& respond) {
  if (events.size() == 1 && !events[0].reject_reason.empty())
    return respond(error_response(400, "invalid_event", events[0].reject_reason));
  if (events.empty()) return respond(success(style, {}));
  auto n = static_cast<uint32_t>(events.size());
  if (!rate_.admit(account, n)) {
    return respond(retry_response(429, "rate_limited", "account is over its event rate limit",
                                  rate_.retry_after_s(n)));
  }
  store_.append(
      to_append(account, events, stamp.received_ms),
      [this, style, respond](Result<queue::AppendResult> result) {
        if (result.is_ok()) {
          const auto& r = result.value();
          return respond(success(style, {r.stored, r.duplicates, r.rejected}));
        }
        if (refuse_log_.allow(clock_.steady()) > 0) {
          logger_.warn("ingest", "append refused", {{"status", result.status().to_string()}});
        }
        respond(status_response(result.status()));
      });
}

}  // namespace spillway::ingest
