#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "common/result.h"
#include "queue/detail/txn_context.h"

namespace spillway::queue::detail {

// What an operation does to the accounts' queues, which decides how it meets staged events
// (queue/inbox.h) and a full map.
struct OpKind {
  bool append = false;      // ingest: refused first when the map is full
  bool stageable = false;   // a plain append: its events may go to the inbox
  bool takes_seqs = false;  // puts events into `events`: staged ones must be moved first
};
inline constexpr OpKind kControlOp{};  // settles, pauses, accounts: commit beside staged rows
inline constexpr OpKind kEnqueueOp{false, false, true};  // requeues, replay steps
inline constexpr OpKind append_op(bool plain) { return {true, plain, true}; }

// A message to the writer thread: a change to apply inside a group transaction, and the waiter
// to complete once that transaction's commit has returned. Writer thread only.
class WriteOp {
 public:
  WriteOp(OpKind kind, uint64_t bytes) : kind_(kind), bytes_(bytes) {}
  virtual ~WriteOp() = default;
  WriteOp(const WriteOp&) = delete;
  WriteOp& operator=(const WriteOp&) = delete;

  // Applies the change. The op keeps its own result; a storage error also lands in ctx.
  virtual void apply(TxnContext& ctx) = 0;
  // Completes the waiter: with the op's own result when the commit succeeded, else with the
  // commit's status (nothing of the op was stored).
  virtual void complete(const Status& commit) = 0;

  bool is_append() const { return kind_.append; }
  // An append that only stores events (no dead letters of invalid ones): it may go to the inbox.
  bool stageable() const { return kind_.stageable; }
  bool takes_seqs() const { return kind_.takes_seqs; }
  uint64_t bytes() const { return bytes_; }

 private:
  OpKind kind_;
  uint64_t bytes_;
};

// A WriteOp from a function returning Result<T> (or Status) and a waiter taking the same.
template <typename R>
class FunctionOp final : public WriteOp {
 public:
  using Apply = std::function<R(TxnContext&)>;
  using Done = std::function<void(R)>;
  FunctionOp(Apply apply, Done done, OpKind kind, uint64_t bytes = 0)
      : WriteOp(kind, bytes), apply_(std::move(apply)), done_(std::move(done)) {}

  void apply(TxnContext& ctx) override { result_.emplace(apply_(ctx)); }
  void complete(const Status& commit) override {
    if (!commit.is_ok() || !result_) {
      done_(R(commit.is_ok() ? Status::unavailable("operation was not applied") : commit));
    } else {
      done_(std::move(*result_));
    }
  }
  // For immediate refusals before the op reaches the writer.
  static void refuse(Done& done, Status why) { done(R(std::move(why))); }

 private:
  Apply apply_;
  Done done_;
  std::optional<R> result_;
};

}  // namespace spillway::queue::detail
