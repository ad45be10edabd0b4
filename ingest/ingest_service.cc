#include "ingest/ingest_service.h"

#include "ingest/responses.h"

namespace spillway::ingest {
namespace {

// Short: the balancer stops routing here within its check interval, so a retry lands elsewhere.
constexpr int kDrainingRetryAfterS = 1;

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

// Counts a committed append; a duplicate's bytes are not stored again, so they do not count.
void IngestService::count_stored(const queue::AppendResult& r, const std::vector<uint64_t>& sizes) {
  uint64_t bytes = 0;
  for (size_t i = 0; i < r.outcomes.size() && i < sizes.size(); ++i) {
    if (!r.outcomes[i].duplicate) bytes += sizes[i];
  }
  metrics_.count_stored(r.stored, bytes, r.duplicates, r.rejected);
}

EventStamp IngestService::stamp() { return make_stamp(clock_.wall_ms(), ids_); }

void IngestService::commit(AccountId account, std::vector<PreparedEvent> events,
                           const EventStamp& stamp, ResponseStyle style, const Responder& respond) {
  // Counted before the drain check, so a drain that sees no append in flight knows none can
  // still reach the store (both atomics are sequentially consistent).
  appends_in_flight_.fetch_add(1);
  if (draining()) {
    appends_in_flight_.fetch_sub(1);
    return respond(retry_response(
        503, "draining", "this node is draining for removal; retry (another node takes it)",
        kDrainingRetryAfterS));
  }
  admit(account, std::move(events), stamp, style, Responder([this, respond](HttpResponse r) {
          appends_in_flight_.fetch_sub(1);
          respond(std::move(r));
        }));
}

void IngestService::admit(AccountId account, std::vector<PreparedEvent> events,
                          const EventStamp& stamp, ResponseStyle style, const Responder& respond) {
  if (events.size() == 1 && !events[0].reject_reason.empty())
    return respond(error_response(400, "invalid_event", events[0].reject_reason));
  if (events.empty()) return respond(success(style, {}));
  auto n = static_cast<uint32_t>(events.size());
  if (!rate_.admit(account, n)) {
    return respond(retry_response(429, "rate_limited", "account is over its event rate limit",
                                  rate_.retry_after_s(n)));
  }
  queue::AppendRequest request = to_append(account, events, stamp.received_ms);
  std::vector<uint64_t> sizes;
  sizes.reserve(request.events.size());
  for (const queue::EventIn& e : request.events) sizes.push_back(e.payload.size());
  store_.append(std::move(request), [this, account, style, respond,
                                     sizes = std::move(sizes)](Result<queue::AppendResult> result) {
    if (result.is_ok()) {
      const auto& r = result.value();
      count_stored(r, sizes);
      quota_log_.accepted(account);
      return respond(success(style, {r.stored, r.duplicates, r.rejected}));
    }
    quota_log_.refused(account, result.status());
    if (refuse_log_.allow(clock_.steady()) > 0) {
      logger_.warn("ingest", "append refused", {{"status", result.status().to_string()}});
    }
    respond(status_response(result.status()));
  });
}

}  // namespace spillway::ingest
