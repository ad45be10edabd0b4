#include "queue/detail/write_queue.h"

namespace spillway::queue::detail {

Status WriteQueue::push(std::unique_ptr<WriteOp> op) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::shutting_down("spillway is shutting down");
    if (op->is_append()) {
      bool full = appends_ >= options_.max_pending_appends ||
                  (appends_ > 0 && append_bytes_ + op->bytes() > options_.max_pending_bytes);
      if (full) {
        full_rejections_.fetch_add(1);
        return Status::unavailable("write queue is full; retry later");
      }
      appends_ += 1;
      append_bytes_ += op->bytes();
    } else {
      if (control_ >= options_.max_pending_control) {
        full_rejections_.fetch_add(1);
        return Status::unavailable("control queue is full; retry later");
      }
      control_ += 1;
    }
    ops_.push_back(std::move(op));
  }
  cv_.notify_one();
  return Status::ok();
}

std::vector<std::unique_ptr<WriteOp>> WriteQueue::take(
    std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, deadline, [this] { return closed_ || !ops_.empty(); });
  std::vector<std::unique_ptr<WriteOp>> group;
  uint64_t bytes = 0;
  while (!ops_.empty() && group.size() < options_.max_group_ops) {
    WriteOp& next = *ops_.front();
    if (!group.empty() && bytes + next.bytes() > options_.max_group_bytes) break;
    bytes += next.bytes();
    if (next.is_append()) {
      appends_ -= 1;
      append_bytes_ -= next.bytes();
    } else {
      control_ -= 1;
    }
    group.push_back(std::move(ops_.front()));
    ops_.pop_front();
  }
  return group;
}

void WriteQueue::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool WriteQueue::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_ && ops_.empty();
}

}  // namespace spillway::queue::detail
