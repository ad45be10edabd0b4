#include "queue/backlog_reader.h"

#include "queue/lmdb_env.h"
#include "queue/lmdb_txn.h"
#include "queue/record_codec.h"

namespace spillway::queue {

namespace {
std::string event_name(AccountId account, Seq seq) {
  return "account " + std::to_string(account.value) + " seq " + std::to_string(seq.value);
}
}  // namespace

Result<std::vector<StoredEvent>> BacklogReader::read(AccountId account, Seq from,
                                                     uint32_t max_events,
                                                     uint64_t max_bytes) const {
  auto txn = ReadTxn::begin(env_.get());
  if (!txn) return txn.status();
  auto cur = Cursor::open(txn->get(), env_.tables().events);
  if (!cur) return cur.status();
  std::vector<StoredEvent> out;
  uint64_t bytes = 0;
  std::string start = codec::event_key(account, from);
  for (auto more = cur->seek(start); out.size() < max_events; more = cur->next()) {
    if (!more) return more.status();
    if (!*more) break;
    auto key = codec::parse_event_key(cur->key());
    if (!key || key->account != account) break;
    auto value = codec::parse_event_value(cur->value());
    if (!value && !out.empty()) break;  // deliver what precedes the damaged event
    if (!value) {
      return Status::corruption(event_name(account, key->seq) + ": " + value.status().message());
    }
    if (!out.empty() && bytes + value->payload.size() > max_bytes) break;
    bytes += value->payload.size();
    // Copy out: the bytes point into the map and die with the transaction.
    out.push_back(StoredEvent{account, key->seq, value->enqueue_ms, std::string(value->payload),
                              value->replay});
  }
  return out;
}

Result<std::optional<Seq>> BacklogReader::first_seq(AccountId account) const {
  auto txn = ReadTxn::begin(env_.get());
  if (!txn) return txn.status();
  auto cur = Cursor::open(txn->get(), env_.tables().events);
  if (!cur) return cur.status();
  auto more = cur->seek(codec::account_prefix_key(account));
  if (!more) return more.status();
  auto key = *more ? codec::parse_event_key(cur->key()) : std::nullopt;
  if (!key || key->account != account) return std::optional<Seq>();
  return std::optional<Seq>(key->seq);
}

Result<std::vector<DeadLetter>> BacklogReader::read_dead(AccountId account, uint32_t limit) const {
  auto txn = ReadTxn::begin(env_.get());
  if (!txn) return txn.status();
  auto cur = Cursor::open(txn->get(), env_.tables().dead);
  if (!cur) return cur.status();
  std::vector<DeadLetter> out;
  for (auto more = cur->seek(codec::dead_key(account, Seq{0})); out.size() < limit;
       more = cur->next()) {
    if (!more) return more.status();
    if (!*more) break;
    auto key = codec::parse_event_key(cur->key());
    if (!key || key->account != account) break;
    auto dead = codec::parse_dead(cur->key(), cur->value());
    if (!dead)
      return Status::corruption(event_name(account, key->seq) + ": " + dead.status().message());
    out.push_back(std::move(*dead));
  }
  return out;
}

Result<AccountId> BacklogReader::lookup_credential(KeyKind kind, std::string_view secret) const {
  // Looked up by SHA-256 of the secret: the comparison that depends on secret bytes happens on
  // the digest, so timing reveals nothing about the secret itself.
  std::string key = codec::credential_key(kind, secret);
  auto txn = ReadTxn::begin(env_.get());
  if (!txn) return txn.status();
  auto found = txn->find(env_.tables().keys, key);
  if (!found) return found.status();
  if (!*found) return Status::not_found("unknown credential");
  auto account = codec::parse_credential_account(**found);
  if (!account) return account.status();
  return *account;
}

Result<std::optional<std::string>> BacklogReader::meta(std::string_view key) const {
  auto txn = ReadTxn::begin(env_.get());
  if (!txn) return txn.status();
  auto found = txn->find(env_.tables().meta, key);
  if (!found) return found.status();
  if (!*found) return std::optional<std::string>();
  return std::optional<std::string>(std::string(**found));
}

}  // namespace spillway::queue
