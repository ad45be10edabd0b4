#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/logger.h"
#include "common/result.h"
#include "replay/downstream.h"

namespace spillway {
class Clock;
}  // namespace spillway

namespace spillway::replay {

struct FileDownstreamOptions {
  // NDJSON file, created if missing and appended to. Relative paths are relative to the
  // process's working directory. The parent directory must exist.
  std::string path;
  // Batches waiting for the writer thread, 1024. When full, deliver() completes at once as
  // kRetryable so the caller never blocks; the drainer backs off.
  size_t max_queued_batches = 1024;
};

// The `file:PATH` sink: appends each batch as NDJSON lines (docs/sink.md) and completes it
// kAccepted only after fdatasync() returned 0, so an accepted batch survives a crash. One
// writer thread, owned by this object, does every write and fsync and groups the batches
// queued meanwhile under one fdatasync; completions run on that thread. deliver() and
// stop() may be called from any thread. A write or sync failure completes the batch
// kRetryable (re-sent later with the same batch id, so a line may appear twice).
class FileDownstream final : public Downstream {
 public:
  // Opens (creating) the file and starts the writer thread. A torn last line left by a crash
  // is cut off first. Errors: kIoError when the file cannot be opened or repaired.
  static Result<std::unique_ptr<FileDownstream>> open(FileDownstreamOptions options,
                                                      const Clock& clock, Logger& logger);
  ~FileDownstream() override;
  FileDownstream(const FileDownstream&) = delete;
  FileDownstream& operator=(const FileDownstream&) = delete;

  void deliver(std::shared_ptr<const DeliveryBatch> batch, Done done) override;
  // Refuses new batches, finishes the group being written, completes the still-queued ones
  // as kRetryable and joins the writer thread. Blocks for at most one write + fdatasync.
  void stop() override;

 private:
  struct Pending {
    std::shared_ptr<const DeliveryBatch> batch;
    Done done;
    std::chrono::steady_clock::time_point start;
  };

  FileDownstream(FileDownstreamOptions options, int fd, const Clock& clock, Logger& logger);
  void run();
  void write_group(std::deque<Pending>& group);
  std::string append_batch(const DeliveryBatch& batch);
  void complete(Pending& p, DeliveryResult r);

  const FileDownstreamOptions options_;
  const int fd_;
  const Clock& clock_;
  Logger& logger_;
  LogThrottle error_log_{std::chrono::seconds(10)};
  std::thread writer_;
  std::mutex mu_;
  std::condition_variable wake_;
  // Guarded by mu_.
  std::deque<Pending> queue_;
  bool stopping_ = false;
  bool joined_ = false;
};

}  // namespace spillway::replay
