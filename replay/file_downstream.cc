#include "replay/file_downstream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include "common/assert.h"
#include "common/clock.h"
#include "common/logger.h"
#include "replay/delivery_json.h"

namespace spillway::replay {
namespace {

constexpr std::string_view kLogTag = "replay.file";

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Writes all of `data`, retrying short writes and EINTR. Returns an error text or "".
std::string write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_text("write");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

// Offset just past the last '\n' at or before `size`, scanning backwards; 0 when none.
Result<off_t> last_line_end(int fd, off_t size) {
  char buf[4096];
  off_t end = size;
  while (end > 0) {
    const off_t start =
        end > static_cast<off_t>(sizeof buf) ? end - static_cast<off_t>(sizeof buf) : 0;
    const ssize_t n = ::pread(fd, buf, static_cast<size_t>(end - start), start);
    if (n < 0 && errno == EINTR) continue;
    if (n != end - start) return Status::io_error(errno_text("pread"));
    for (ssize_t i = n - 1; i >= 0; --i)
      if (buf[i] == '\n') return start + i + 1;
    end = start;
  }
  return off_t{0};
}

// A crash between write() and fdatasync() can leave a torn last line. That batch was never
// acknowledged and will be re-sent, so cutting the partial line off loses nothing.
Status repair_tail(int fd, const std::string& path, Logger& logger) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::io_error(errno_text("fstat"));
  if (st.st_size == 0) return Status::ok();
  Result<off_t> end = last_line_end(fd, st.st_size);
  if (!end) return end.status();
  if (*end == st.st_size) return Status::ok();
  if (::ftruncate(fd, *end) != 0 || ::fdatasync(fd) != 0)
    return Status::io_error(errno_text("truncate torn tail"));
  logger.warn(kLogTag, "cut a torn last line",
              {{"path", path}, {"bytes", static_cast<int64_t>(st.st_size - *end)}});
  return Status::ok();
}

DeliveryResult failure(std::string detail) {
  DeliveryResult r;
  r.kind = DeliveryResult::Kind::kRetryable;
  r.detail = std::move(detail);
  return r;
}

}  // namespace

Result<std::unique_ptr<FileDownstream>> FileDownstream::open(FileDownstreamOptions options,
                                                             const Clock& clock, Logger& logger) {
  if (options.path.empty()) return Status::invalid_argument("file sink: empty path");
  const int fd = ::open(options.path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::io_error("file sink: " + errno_text(("open " + options.path).c_str()));
  if (Status s = repair_tail(fd, options.path, logger); !s.is_ok()) {
    ::close(fd);
    return Status::io_error("file sink " + options.path + ": " + s.message());
  }
  std::unique_ptr<FileDownstream> sink(new FileDownstream(std::move(options), fd, clock, logger));
  sink->writer_ = std::thread([raw = sink.get()] { raw->run(); });
  return sink;
}

FileDownstream::FileDownstream(FileDownstreamOptions options, int fd, const Clock& clock,
                               Logger& logger)
    : options_(std::move(options)), fd_(fd), clock_(clock), logger_(logger) {}

FileDownstream::~FileDownstream() {
  SPW_ASSERT(joined_);
  ::close(fd_);
}

void FileDownstream::deliver(std::shared_ptr<const DeliveryBatch> batch, Done done) {
  Pending p{std::move(batch), std::move(done), clock_.steady()};
  const char* refused = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      refused = "file sink stopped";
    } else if (queue_.size() >= options_.max_queued_batches) {
      refused = "file sink queue full";
    } else {
      queue_.push_back(std::move(p));
      wake_.notify_one();
      return;
    }
  }
  complete(p, failure(refused));
}

void FileDownstream::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    wake_.notify_one();
  }
  writer_.join();
  std::deque<Pending> rest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rest.swap(queue_);
    joined_ = true;
  }
  for (auto& p : rest) complete(p, failure("file sink stopped"));
}

void FileDownstream::run() {
  for (;;) {
    std::deque<Pending> group;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      group.swap(queue_);
    }
    write_group(group);
  }
}

// Writes every batch of the group, then one fdatasync covers them all (group commit). A
// batch is accepted only when its write and the sync both succeeded; after a failure the
// rest of the group is not attempted.
void FileDownstream::write_group(std::deque<Pending>& group) {
  size_t written = 0;
  std::string error;
  while (written < group.size()) {
    error = append_batch(*group[written].batch);
    if (!error.empty()) break;
    ++written;
  }
  // Lines of a batch whose sync failed stay in the file; the batch is re-sent, so they may
  // appear twice (at-least-once), but never an accepted batch without its lines.
  if (written > 0 && ::fdatasync(fd_) != 0) {
    error = errno_text("fdatasync");
    written = 0;
  }
  for (size_t i = 0; i < group.size(); ++i) {
    DeliveryResult r = failure(error);
    if (i < written) r.kind = DeliveryResult::Kind::kAccepted;
    complete(group[i], std::move(r));
  }
  if (error.empty()) return;
  if (const uint64_t n = error_log_.allow(clock_.steady()); n > 0)
    logger_.warn(kLogTag, "write failed",
                 {{"path", options_.path}, {"error", error}, {"suppressed", n - 1}});
}

// Appends one batch; a failed write is cut back to the previous end so no torn line stays.
std::string FileDownstream::append_batch(const DeliveryBatch& batch) {
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  std::string error = write_all(fd_, encode_ndjson_lines(batch));
  if (!error.empty() && before >= 0 && ::ftruncate(fd_, before) != 0)
    error += "; " + errno_text("ftruncate");
  return error;
}

void FileDownstream::complete(Pending& p, DeliveryResult r) {
  r.latency = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steady() - p.start);
  auto done = std::move(p.done);
  p.done = nullptr;
  done(std::move(r));
}

}  // namespace spillway::replay
