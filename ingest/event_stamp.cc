#include "ingest/event_stamp.h"

#include <cstdio>
#include <ctime>

#include "common/digest.h"

namespace spillway::ingest {

MessageIdSource::MessageIdSource() : prefix_("spw-" + random_hex(8) + "-") {}

std::string MessageIdSource::next() {
  return prefix_ + std::to_string(counter_.fetch_add(1, std::memory_order_relaxed));
}

std::string iso8601_ms(int64_t wall_ms) {
  int64_t secs = wall_ms / 1000;
  int64_t ms = wall_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

EventStamp make_stamp(int64_t wall_ms, MessageIdSource& ids) {
  return EventStamp{wall_ms, iso8601_ms(wall_ms), &ids};
}

}  // namespace spillway::ingest
