#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace spillway::ingest {

// Generates messageIds for events that arrive without one: a random per-process prefix plus a
// counter, so ids are unique across restarts without a syscall per event. Thread-safe.
class MessageIdSource {
 public:
  MessageIdSource();
  MessageIdSource(const MessageIdSource&) = delete;
  MessageIdSource& operator=(const MessageIdSource&) = delete;
  // "spw-<16 hex>-<counter>"
  std::string next();

 private:
  std::string prefix_;
  std::atomic<uint64_t> counter_{0};
};

// What spillway adds to every event of one request: the server receive time (the same for all
// events of the request) and a source of messageIds. Borrows `ids` for its lifetime.
struct EventStamp {
  int64_t received_ms = 0;
  std::string received_at;  // received_ms as ISO-8601 UTC with milliseconds
  MessageIdSource* ids = nullptr;
};

// 1700000000123 -> "2023-11-14T22:13:20.123Z".
std::string iso8601_ms(int64_t wall_ms);

EventStamp make_stamp(int64_t wall_ms, MessageIdSource& ids);

}  // namespace spillway::ingest
