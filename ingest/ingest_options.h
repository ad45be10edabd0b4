#pragma once

#include <chrono>
#include <cstdint>

namespace spillway::ingest {

// Limits of the HTTP ingest front end. Defaults written here; validated once by app/config.cc.
// Every limit is enforced before the work it bounds (header before body, body before JSON,
// JSON depth before any DOM deeper than the limit exists).
struct IngestOptions {
  // Request body bytes on the wire and after gzip inflation. Default 5 MiB: real SDKs send
  // 1.3 MB requests under their own "500 KB" limit. Larger costs memory per connection.
  uint64_t max_body_bytes = uint64_t{5} << 20;
  // One stored event (after normalisation). Default 1 MiB.
  uint64_t max_event_bytes = uint64_t{1} << 20;
  // Events in one request. Default 10,000 (a 5 MiB body of ~500-byte events).
  uint32_t max_batch_events = 10'000;
  // JSON nesting depth (objects + arrays). Default 64.
  uint32_t max_depth = 64;
  // Request line + header bytes; past it the answer is 431 and the connection closes.
  // Default 16 KiB.
  uint32_t max_header_bytes = 16 * 1024;
  // Time to receive the whole header once its first byte arrived. Default 10 s (slowloris).
  std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
  // Time to receive the whole body. Default 30 s (5 MiB at ~170 KB/s).
  std::chrono::milliseconds body_timeout = std::chrono::seconds(30);
  // Idle keep-alive connection lifetime between requests. Default 15 s.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(15);
  // Time to write a response. Default 10 s.
  std::chrono::milliseconds write_timeout = std::chrono::seconds(10);
  // Lingering close (nginx lingering_time / lingering_timeout): after an answer that closes
  // the connection (413-style `too_large`, malformed framing), the rest of what the client
  // sends is read and thrown away, so a client that writes its whole body before reading
  // (Python's http.client) still gets the 400 instead of a reset. Bounded in total time
  // (default 30 s), per read (default 5 s) and bytes (default 256 MiB); past a bound the
  // connection closes. Costs one connection slot while it lasts.
  std::chrono::milliseconds linger_time = std::chrono::seconds(30);
  std::chrono::milliseconds linger_timeout = std::chrono::seconds(5);
  uint64_t linger_max_bytes = uint64_t{256} << 20;
  // Open connections; further ones are closed at accept. Default 10,000.
  uint32_t max_connections = 10'000;
  // Events per second per account (token bucket, burst = 2 s worth); 0 = unlimited. Over it
  // the answer is 429 with Retry-After. Default 0.
  uint32_t account_rate_limit = 0;
};

}  // namespace spillway::ingest
