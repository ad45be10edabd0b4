#pragma once

#include "ingest/ingest_store.h"

namespace spillway::queue {
class Wal;
}

namespace spillway::ingest {

// IngestStore over the real queue: credentials through BacklogReader (a short read
// transaction on the calling io thread), writes through WalWriter (completions on the writer
// thread). Borrows the Wal, which must outlive it. Thread-safe.
class WalStore final : public IngestStore {
 public:
  explicit WalStore(queue::Wal& wal) : wal_(wal) {}
  WalStore(const WalStore&) = delete;
  WalStore& operator=(const WalStore&) = delete;

  Result<AccountId> lookup_credential(queue::KeyKind kind, std::string_view secret) const override;
  void append(queue::AppendRequest request,
              std::function<void(Result<queue::AppendResult>)> done) override;
  void create_account(queue::CreateAccountRequest request,
                      std::function<void(Result<AccountId>)> done) override;
  Status health() const override;
  bool ingest_refused() const override;

 private:
  queue::Wal& wal_;
};

}  // namespace spillway::ingest
