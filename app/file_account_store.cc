#include "app/file_account_store.h"

#include <unordered_set>

#include "queue/wal.h"

namespace spillway::app {

// One apply() in progress: the store writes still outstanding and the index they unlock.
struct FileAccountStore::Pending {
  std::mutex mu;
  // Guarded by mu.
  size_t outstanding = 1;  // one for apply() itself, released once every write is issued
  Status status;
  std::shared_ptr<const Index> index;
  std::function<void(Status)> done;
};

namespace {

std::string index_key(queue::KeyKind kind, std::string_view digest_hex) {
  std::string key(1, static_cast<char>(kind));
  key.append(digest_hex);
  return key;
}

std::shared_ptr<const FileAccountStore::Index> build_index(const AccountsFile& file);

}  // namespace

FileAccountStore::FileAccountStore(ingest::IngestStore& inner, queue::Wal& wal)
    : inner_(inner), wal_(wal) {}

Status FileAccountStore::check_covers_store(const AccountsFile& file) const {
  std::unordered_set<std::string> named;
  for (const auto& e : file.accounts) named.insert(e.name);
  std::string missing;
  for (const auto& record : wal_.accounts().all()) {
    if (!named.contains(record.name)) missing += (missing.empty() ? "" : ", ") + record.name;
  }
  if (missing.empty()) return Status::ok();
  return Status::invalid_argument(
      "the data directory holds accounts the file does not name: " + missing +
      " (made through the admin API, or removed from the file); list each in the file, "
      "without digests to retire it");
}

void FileAccountStore::apply(AccountsFile file, std::function<void(Status)> done) {
  if (Status s = check_covers_store(file); !s.is_ok()) return done(s);
  auto pending = std::make_shared<Pending>();
  pending->index = build_index(file);
  pending->done = std::move(done);
  auto settle = [this, pending](Status s) {
    {
      std::lock_guard<std::mutex> lock(pending->mu);
      if (!s.is_ok() && pending->status.is_ok()) pending->status = s;
    }
    finish(pending);
  };
  for (const auto& e : file.accounts) {
    auto record = wal_.accounts().find(e.name);
    if (record && record->weight == e.weight) continue;
    {
      std::lock_guard<std::mutex> lock(pending->mu);
      ++pending->outstanding;
    }
    if (record) {
      wal_.writer().set_weight(record->id, e.weight, settle);
      continue;
    }
    // Another apply() may have created it meanwhile: that is the same account.
    wal_.writer().create_account({e.name, {}, e.weight}, [settle](Result<AccountId> id) {
      bool ok = id || id.status().code() == Status::Code::kAlreadyExists;
      settle(ok ? Status::ok() : id.status());
    });
  }
  finish(pending);
}

void FileAccountStore::finish(const std::shared_ptr<Pending>& pending) {
  Status result;
  {
    std::lock_guard<std::mutex> lock(pending->mu);
    if (--pending->outstanding > 0) return;
    result = pending->status;
  }
  if (result.is_ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    index_ = pending->index;
  }
  pending->done(result);
}

Result<AccountId> FileAccountStore::lookup_credential(queue::KeyKind kind,
                                                      std::string_view secret) const {
  std::shared_ptr<const Index> index;
  {
    std::lock_guard<std::mutex> lock(mu_);
    index = index_;
  }
  // Found by the digest of the secret, as the store does: timing depends on the digest only.
  auto it = index->find(index_key(kind, secret_digest(secret)));
  if (it == index->end()) return Status::not_found("unknown credential");
  auto record = wal_.accounts().find(it->second);
  if (!record) return Status::not_found("unknown credential");
  return record->id;
}

void FileAccountStore::append(queue::AppendRequest request,
                              std::function<void(Result<queue::AppendResult>)> done) {
  inner_.append(std::move(request), std::move(done));
}

void FileAccountStore::create_account(queue::CreateAccountRequest,
                                      std::function<void(Result<AccountId>)> done) {
  done(Status::invalid_argument(
      "accounts are managed by --accounts-file on this node; add the entry "
      "printed by `spillway accounts new NAME` to the file and send SIGHUP"));
}

Status FileAccountStore::health() const { return inner_.health(); }

bool FileAccountStore::ingest_refused() const { return inner_.ingest_refused(); }

namespace {

std::shared_ptr<const FileAccountStore::Index> build_index(const AccountsFile& file) {
  auto index = std::make_shared<FileAccountStore::Index>();
  for (const auto& e : file.accounts) {
    if (e.write_key_sha256)
      (*index)[index_key(queue::KeyKind::kWriteKey, *e.write_key_sha256)] = e.name;
    if (e.track_api_sha256)
      (*index)[index_key(queue::KeyKind::kTrackApi, *e.track_api_sha256)] = e.name;
  }
  return index;
}

}  // namespace

}  // namespace spillway::app
