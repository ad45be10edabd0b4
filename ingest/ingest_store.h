#pragma once

#include <functional>
#include <string_view>

#include "common/result.h"
#include "queue/types.h"

namespace spillway::ingest {

// What ingest needs from the queue, as an interface so routes are tested with a fake and
// wired to the real queue by WalStore. Implementations are thread-safe; completions may run
// on any thread (the writer thread for WalStore) and must be quick.
class IngestStore {
 public:
  virtual ~IngestStore() = default;
  // Account owning the credential, kNotFound when unknown; constant time in the secret.
  virtual Result<AccountId> lookup_credential(queue::KeyKind kind,
                                              std::string_view secret) const = 0;
  // Durable append; `done` gets OK only after the commit holding every event returned OK.
  virtual void append(queue::AppendRequest request,
                      std::function<void(Result<queue::AppendResult>)> done) = 0;
  // kAlreadyExists for a taken name or credential.
  virtual void create_account(queue::CreateAccountRequest request,
                              std::function<void(Result<AccountId>)> done) = 0;
  // OK, or the sticky storage failure.
  virtual Status health() const = 0;
  // True while appends are refused by a watermark or quota.
  virtual bool ingest_refused() const = 0;
};

}  // namespace spillway::ingest
