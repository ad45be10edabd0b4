#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "app/accounts_file.h"
#include "common/logger.h"
#include "ingest/ingest_store.h"

namespace spillway::queue {
class Wal;
}

namespace spillway::app {

// The ingest store seen through a declarative accounts file (--accounts-file): credentials are
// checked against the file's digests only (the store's own credentials, made by the admin API,
// are not consulted), account creation through the admin API is refused, and everything else
// goes to the wrapped store. apply() installs a file; until the first apply no key is valid.
// Thread-safe: lookups run on io threads, apply() on any thread, and its completion on the
// WalWriter thread. Borrows the inner store and the Wal.
class FileAccountStore final : public ingest::IngestStore {
 public:
  FileAccountStore(ingest::IngestStore& inner, queue::Wal& wal);
  FileAccountStore(const FileAccountStore&) = delete;
  FileAccountStore& operator=(const FileAccountStore&) = delete;

  // Makes the store match `file`, then switches lookups to its credentials. Refused (done gets
  // kInvalidArgument, the previous set stays in force) when the store holds an account the file
  // does not name. Creates the file's accounts the store lacks and sets changed weights; a
  // failed write leaves the previous set in force too.
  void apply(AccountsFile file, std::function<void(Status)> done);

  Result<AccountId> lookup_credential(queue::KeyKind kind, std::string_view secret) const override;
  void append(queue::AppendRequest request,
              std::function<void(Result<queue::AppendResult>)> done) override;
  void create_account(queue::CreateAccountRequest request,
                      std::function<void(Result<AccountId>)> done) override;
  Status health() const override;
  bool ingest_refused() const override;

  // (kind byte + digest hex) -> account name.
  using Index = std::unordered_map<std::string, std::string>;

 private:
  struct Pending;

  Status check_covers_store(const AccountsFile& file) const;
  void finish(const std::shared_ptr<Pending>& pending);

  ingest::IngestStore& inner_;
  queue::Wal& wal_;
  mutable std::mutex mu_;
  // Guarded by mu_.
  std::shared_ptr<const Index> index_ = std::make_shared<Index>();
};

}  // namespace spillway::app
