#include "queue/wal.h"

#include "queue/dedupe/legacy_upgrade.h"
#include "queue/lmdb_env.h"
#include "queue/lmdb_txn.h"
#include "queue/record_codec.h"

namespace spillway::queue {
namespace {

constexpr uint32_t kOldestUpgradable = 1;

Status write_version(LmdbEnv& env) {
  auto txn = WriteTxn::begin(env.get());
  if (!txn) return txn.status();
  Status s = txn->put(env.tables().meta, codec::kMetaFormatVersion,
                      codec::u32_value(codec::kFormatVersion));
  return s.is_ok() ? txn->commit() : s;
}

// Records the format version in a new store, checks it in an existing one, and upgrades an
// older one in place (docs/storage.md, "Changing the format").
Status check_format(LmdbEnv& env, const WalOptions& options, const Clock& clock, Logger& log) {
  auto txn = WriteTxn::begin(env.get());
  if (!txn) return txn.status();
  auto found = txn->find(env.tables().meta, codec::kMetaFormatVersion);
  if (!found) return found.status();
  if (!*found) {
    Status s = txn->put(env.tables().meta, codec::kMetaFormatVersion,
                        codec::u32_value(codec::kFormatVersion));
    if (!s.is_ok()) return s;
    log.info("queue", "initialised new store",
             {{"dir", env.dir()}, {"format", codec::kFormatVersion}});
    return txn->commit();
  }
  auto version = codec::parse_u32(**found);
  if (!version) return version.status();
  if (*version >= kOldestUpgradable && *version < codec::kFormatVersion) {
    txn->abort();
    if (!options.upgrade_format) {
      return Status::invalid_argument(
          "store in " + env.dir() + " has format version " + std::to_string(*version) +
          "; this build reads version " + std::to_string(codec::kFormatVersion) +
          ": stop the server, take a backup, then run `spillway upgrade " + env.dir() + "`");
    }
    log.info("queue", "upgrading store format",
             {{"from", *version}, {"to", codec::kFormatVersion}});
    // Versions 3 and 4 only add tables (`retained`, `replay_jobs`; `inbox`), which
    // LmdbEnv::open already created empty: after the version-1 index moved (that step writes
    // the current version last), nothing is left to do.
    if (*version == 1) {
      return dedupe::upgrade_from_v1(env, options.dedupe_window.count(), clock.wall_ms(), log);
    }
    return write_version(env);
  }
  if (*version != codec::kFormatVersion) {
    return Status::corruption("store in " + env.dir() + " has format version " +
                              std::to_string(*version) + "; this build reads version " +
                              std::to_string(codec::kFormatVersion) + " (see docs/storage.md)");
  }
  txn->abort();
  return Status::ok();
}

// Boot reads only the accounts table: O(accounts), whatever the number of queued events.
Status load_accounts(LmdbEnv& env, AccountTable& table) {
  auto txn = ReadTxn::begin(env.get());
  if (!txn) return txn.status();
  auto cur = Cursor::open(txn->get(), env.tables().accounts);
  if (!cur) return cur.status();
  std::vector<AccountRecord> records;
  for (auto more = cur->first();; more = cur->next()) {
    if (!more) return more.status();
    if (!*more) break;
    auto rec = codec::parse_account(cur->key(), cur->value());
    if (!rec) return rec.status();
    records.push_back(std::move(*rec));
  }
  table.publish(records);
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Wal>> Wal::open(const WalOptions& options, const Clock& clock,
                                       Logger& logger) {
  LmdbEnvOptions env_options{options.dir, options.map_size, options.max_readers, false};
  auto env = LmdbEnv::open(env_options);
  if (!env) return env.status();
  if (Status s = check_format(**env, options, clock, logger); !s.is_ok()) return s;
  std::unique_ptr<Wal> wal(new Wal());
  wal->env_ = std::move(*env);
  wal->accounts_ = std::make_unique<AccountTable>();
  if (Status s = load_accounts(*wal->env_, *wal->accounts_); !s.is_ok()) return s;
  wal->reader_ = std::make_unique<BacklogReader>(*wal->env_);
  wal->writer_ = std::make_unique<WalWriter>(*wal->env_, *wal->accounts_, options, clock, logger);
  if (Status s = wal->writer_->start(); !s.is_ok()) {
    wal->writer_->stop();
    return s;
  }
  logger.info("queue", "store open",
              {{"dir", options.dir},
               {"accounts", static_cast<uint64_t>(wal->accounts_->size())},
               {"lmdb", mdb_version(nullptr, nullptr, nullptr)}});
  return wal;
}

Wal::~Wal() { close(); }

void Wal::close() {
  if (writer_) writer_->stop();
  // Reader and table die before the environment they point into.
  writer_.reset();
  reader_.reset();
  env_.reset();
}

}  // namespace spillway::queue
