#include "queue/lmdb_env.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "queue/lmdb_txn.h"

namespace spillway::queue {
namespace {

constexpr unsigned kForbiddenFlags =
    MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC | MDB_WRITEMAP | MDB_NOLOCK;

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// Takes the process-exclusive lock before LMDB touches the directory: LMDB alone would let
// two processes write in turn, and both would replay.
Result<int> take_dir_lock(const std::string& dir, bool read_only) {
  std::string path = dir + "/spillway.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::io_error(errno_text("cannot open lock file", path));
  int op = (read_only ? LOCK_SH : LOCK_EX) | LOCK_NB;
  if (::flock(fd, op) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status::unavailable("data directory " + dir +
                                 " is locked by another spillway process (" + path + ")");
    }
    errno = err;
    return Status::io_error(errno_text("cannot lock", path));
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<LmdbEnv>> LmdbEnv::open(const LmdbEnvOptions& options) {
  std::error_code ec;
  if (!options.read_only) std::filesystem::create_directories(options.dir, ec);
  if (ec)
    return Status::io_error("cannot create data directory " + options.dir + ": " + ec.message());
  if (!std::filesystem::is_directory(options.dir, ec)) {
    return Status::not_found("data directory " + options.dir + " does not exist");
  }
  auto lock = take_dir_lock(options.dir, options.read_only);
  if (!lock) return lock.status();

  std::unique_ptr<LmdbEnv> env(new LmdbEnv());
  env->lock_fd_ = *lock;
  env->dir_ = options.dir;
  env->read_only_ = options.read_only;
  int rc = mdb_env_create(&env->env_);
  if (rc != MDB_SUCCESS) return lmdb_status(rc, "mdb_env_create");
  if ((rc = mdb_env_set_maxreaders(env->env_, options.max_readers)) != MDB_SUCCESS ||
      (rc = mdb_env_set_mapsize(env->env_, options.map_size)) != MDB_SUCCESS ||
      (rc = mdb_env_set_maxdbs(env->env_, 16)) != MDB_SUCCESS) {
    return lmdb_status(rc, "mdb_env_set");
  }
  // MDB_NOTLS: read transactions are not tied to threads (Asio handlers hop threads).
  // MDB_NORDAHEAD: reads are random per account; readahead would only pollute the page cache.
  unsigned flags = MDB_NOTLS | MDB_NORDAHEAD | (options.read_only ? MDB_RDONLY : 0u);
  rc = mdb_env_open(env->env_, options.dir.c_str(), flags, 0600);
  if (rc != MDB_SUCCESS) return lmdb_status(rc, "mdb_env_open " + options.dir);
  if (Status s = env->check_durable_flags(); !s.is_ok()) return s;
  env->clear_stale_readers();
  if (Status s = env->open_tables(); !s.is_ok()) return s;
  return env;
}

LmdbEnv::~LmdbEnv() {
  if (env_ != nullptr) mdb_env_close(env_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Status LmdbEnv::open_tables() {
  MDB_txn* txn = nullptr;
  unsigned txn_flags = read_only_ ? MDB_RDONLY : 0u;
  int rc = mdb_txn_begin(env_, nullptr, txn_flags, &txn);
  if (rc != MDB_SUCCESS) return lmdb_status(rc, "mdb_txn_begin(open tables)");
  unsigned dbi_flags = read_only_ ? 0u : MDB_CREATE;
  struct Named {
    const char* name;
    MDB_dbi* dbi;
  };
  const Named named[] = {
      {"events", &tables_.events},
      {"accounts", &tables_.accounts},
      {"account_names", &tables_.account_names},
      {"keys", &tables_.keys},
      {"dead", &tables_.dead},
      {"meta", &tables_.meta},
      {"dedupe_log", &tables_.dedupe_log},
      {"dedupe_runs", &tables_.dedupe_runs},
      {"dedupe_blocks", &tables_.dedupe_blocks},
      {"dedupe_bloom", &tables_.dedupe_bloom},
      {"retained", &tables_.retained},
      {"replay_jobs", &tables_.replay_jobs},
      {"inbox", &tables_.inbox},
  };
  const Named legacy[] = {
      {"dedupe", &tables_.legacy_dedupe},
      {"dedupe_expiry", &tables_.legacy_dedupe_expiry},
  };
  for (const Named& n : named) {
    rc = mdb_dbi_open(txn, n.name, dbi_flags, n.dbi);
    // A read-only open of a store written by an older format lacks the newer tables.
    if (rc == MDB_NOTFOUND && read_only_) continue;
    if (rc != MDB_SUCCESS) {
      mdb_txn_abort(txn);
      return lmdb_status(rc, std::string("mdb_dbi_open ") + n.name);
    }
  }
  for (const Named& n : legacy) {
    rc = mdb_dbi_open(txn, n.name, 0, n.dbi);
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
      mdb_txn_abort(txn);
      return lmdb_status(rc, std::string("mdb_dbi_open ") + n.name);
    }
  }
  return lmdb_status(mdb_txn_commit(txn), "mdb_txn_commit(open tables)");
}

Status LmdbEnv::check_durable_flags() const {
  unsigned flags = 0;
  int rc = mdb_env_get_flags(env_, &flags);
  if (rc != MDB_SUCCESS) return lmdb_status(rc, "mdb_env_get_flags");
  if ((flags & kForbiddenFlags) != 0) {
    return Status::invalid_argument(
        "LMDB environment has a non-durable flag set (flags=" + std::to_string(flags) + ")");
  }
  return Status::ok();
}

int LmdbEnv::clear_stale_readers() {
  int dead = 0;
  mdb_reader_check(env_, &dead);
  return dead;
}

MapUsage LmdbEnv::map_usage() const {
  MDB_envinfo info{};
  MDB_stat stat{};
  mdb_env_info(env_, &info);
  mdb_env_stat(env_, &stat);
  MapUsage u;
  u.page_size = stat.ms_psize;
  u.map_size = info.me_mapsize;
  u.high_water = (static_cast<uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize;
  return u;
}

Result<uint64_t> LmdbEnv::free_pages() const {
  auto txn = ReadTxn::begin(env_);
  if (!txn) return txn.status();
  auto cur = Cursor::open(txn->get(), 0);  // dbi 0 holds the freelist
  if (!cur) return cur.status();
  uint64_t pages = 0;
  for (auto more = cur->first();; more = cur->next()) {
    if (!more) return more.status();
    if (!*more) break;
    // Each freelist value is an IDL: a count word followed by that many page numbers.
    std::string_view v = cur->value();
    if (v.size() >= sizeof(size_t)) {
      size_t n = 0;
      std::memcpy(&n, v.data(), sizeof n);
      pages += n;
    }
  }
  return pages;
}

Result<uint64_t> LmdbEnv::free_disk_bytes() const {
  struct statvfs st {};
  if (::statvfs(dir_.c_str(), &st) != 0) return Status::io_error(errno_text("statvfs", dir_));
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

Status LmdbEnv::copy_compacted(const std::string& out_dir) const {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return Status::io_error("cannot create " + out_dir + ": " + ec.message());
  std::string target = out_dir + "/data.mdb";
  if (std::filesystem::exists(target, ec)) {
    return Status::invalid_argument(out_dir + " already holds a store (data.mdb)");
  }
  int rc = mdb_env_copy2(env_, out_dir.c_str(), MDB_CP_COMPACT);
  if (rc != MDB_SUCCESS) return Status::io_error("mdb_env_copy2: " + std::string(mdb_strerror(rc)));
  // mdb_env_copy2 closes the file without fsync: make the copy durable before reporting it.
  for (const std::string& path : {target, out_dir}) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::io_error(errno_text("cannot open", path));
    bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced) return Status::io_error(errno_text("fsync", path));
  }
  return Status::ok();
}

}  // namespace spillway::queue
