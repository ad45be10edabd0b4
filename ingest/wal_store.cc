#include "ingest/wal_store.h"

#include "queue/wal.h"

namespace spillway::ingest {

Result<AccountId> WalStore::lookup_credential(queue::KeyKind kind, std::string_view secret) const {
  return wal_.reader().lookup_credential(kind, secret);
}

void WalStore::append(queue::AppendRequest request,
                      std::function<void(Result<queue::AppendResult>)> done) {
  wal_.writer().append(std::move(request), std::move(done));
}

void WalStore::create_account(queue::CreateAccountRequest request,
                              std::function<void(Result<AccountId>)> done) {
  wal_.writer().create_account(std::move(request), std::move(done));
}

Status WalStore::health() const { return wal_.writer().health(); }

bool WalStore::ingest_refused() const { return wal_.writer().ingest_refused(); }

}  // namespace spillway::ingest
