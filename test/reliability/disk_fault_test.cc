// FM-06 (disk full on a small tmpfs), FM-07 (LMDB map full) and FM-12 (a long-lived reader):
// ingest is refused with 503 before anything fails, draining frees space, ingest resumes by
// itself; a stuck reader is reported by the watchdog and file growth stays bounded.
// main() (disk_main.cc) enters a private mount namespace so the tmpfs stays inside the test.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "test/reliability/cluster.h"
#include "test/reliability/disk_main.h"

using namespace spillway::test;
using namespace std::chrono_literals;

namespace {

uint64_t file_size(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}

// Polls `pred` every 50 ms until it holds or `timeout` passes.
template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

size_t count_since(const Ledger& ledger, Outcome o, double since) {
  size_t n = 0;
  for (const auto& a : ledger.snapshot()) n += a.outcome == o && a.answered_at > since ? 1 : 0;
  return n;
}

// Fill with the downstream down until ingest answers 503, then bring it up: draining must
// free space and ingest must resume without help. Returns the seconds until it resumed.
double fill_drain_resume(Cluster& c) {
  c.downstream().set_mode(FakeMode::kDown);
  c.start_producers();
  REQUIRE(wait_until([&] { return c.ledger().count(Outcome::kFailed) >= 20; }, 90s));
  const auto attempts = c.ledger().snapshot();
  size_t other = 0;
  for (const auto& a : attempts) other += a.status != 200 && a.status != 503 ? 1 : 0;
  CHECK_MESSAGE(other == 0, "only 200 and 503 while filling");
  CHECK_MESSAGE(c.server().log().find("commit failed") == std::string::npos,
                "ingest must be refused before a commit fails:\n"
                    << c.server().log());
  const double healed = wall_now();
  c.downstream().set_mode(FakeMode::kUp);
  bool resumed = wait_until([&] { return count_since(c.ledger(), Outcome::kOk, healed) > 0; }, 90s);
  const double resumed_s = wall_now() - healed;
  c.stop_producers();
  CHECK_MESSAGE(resumed, "ingest did not resume after draining:\n" << c.server().log());
  CHECK(c.wait_drained(90s));
  return resumed_s;
}

struct Holder {
  pid_t pid = -1;
  int stdin_fd = -1;
};

Holder start_holder(const std::string& data_dir) {
  int in[2], out[2];
  REQUIRE(pipe(in) == 0);
  REQUIRE(pipe(out) == 0);
  Holder h;
  h.pid = fork();
  if (h.pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    execl(holder_binary().c_str(), "reliability_reader_holder", data_dir.c_str(), nullptr);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  char buf[128] = {};
  REQUIRE(read(out[0], buf, sizeof buf - 1) > 0);  // "holding txnid=N"
  close(out[0]);
  h.stdin_fd = in[1];
  std::cout << "FM-12 reader pid " << h.pid << ": " << buf;
  return h;
}

}  // namespace

TEST_CASE("FM-06: disk full on a small tmpfs: 503 first, drain frees space, ingest resumes") {
  if (!private_mounts()) {
    MESSAGE("SKIPPED: no private mount namespace (unshare -Urm not permitted)");
    return;
  }
  TempDir dir;
  const std::string disk = dir.sub("disk");
  std::filesystem::create_directories(disk);
  const long mib = env_int("SPILLWAY_FM06_TMPFS_MIB", 48);
  const std::string opts = "size=" + std::to_string(mib) + "m";
  REQUIRE(mount("none", disk.c_str(), "tmpfs", 0, opts.c_str()) == 0);
  {
    Cluster c({"--min-free-disk-bytes", std::to_string(uint64_t{12} << 20)}, disk + "/data");
    REQUIRE(c.start());
    c.add_accounts(2, 2, 5, 16 * 1024);
    const double resumed_s = fill_drain_resume(c);
    c.kill9();
    CheckReport r = c.check();
    std::cout << "FM-06: " << mib << " MiB tmpfs, 12 MiB reserve, data.mdb "
              << (file_size(disk + "/data/data.mdb") >> 20) << " MiB; ingest resumed " << resumed_s
              << " s after the downstream came back\n"
              << r.text();
    CHECK(r.ok());
  }
  umount2(disk.c_str(), MNT_DETACH);
}

TEST_CASE("FM-07: map full: 503 at the watermark, drain frees pages, ingest resumes") {
  const std::string map = std::to_string(uint64_t{8} << 20);
  Cluster c({"--map-size", map});
  REQUIRE(c.start());
  c.add_accounts(2, 2, 5, 8 * 1024);
  const double resumed_s = fill_drain_resume(c);
  c.kill9();
  CheckReport r = c.check();
  const bool map_full = c.logs().find("map full") != std::string::npos;
  std::cout << "FM-07: 8 MiB map; MAP_FULL reached: " << (map_full ? "yes" : "no")
            << "; ingest resumed " << resumed_s << " s after the downstream came back\n"
            << r.text();
  CHECK(r.ok());
}

TEST_CASE("FM-12: a long-lived reader is reported by the watchdog; file growth is bounded") {
  const uint64_t map_size = uint64_t{64} << 20;
  Cluster c({"--map-size", std::to_string(map_size)});
  REQUIRE(c.start());
  c.add_accounts(2, 1, 5, 2048);
  Holder h = start_holder(c.data_dir());
  const std::string data_file = c.data_dir() + "/data.mdb";
  const uint64_t before = file_size(data_file);
  c.start_producers(20);  // slow enough that the map does not fill while the reader holds
  const auto t0 = std::chrono::steady_clock::now();
  const std::string expect = "reader lag";
  bool reported =
      wait_until([&] { return c.server().log().find(expect) != std::string::npos; }, 40s);
  const double detect_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const uint64_t held_size = file_size(data_file);
  const std::string log = c.server().log();
  CHECK(reported);
  CHECK(log.find("pid=" + std::to_string(h.pid)) != std::string::npos);
  close(h.stdin_fd);
  waitpid(h.pid, nullptr, 0);
  std::this_thread::sleep_for(500ms);
  const uint64_t released_size = file_size(data_file);
  std::this_thread::sleep_for(4s);
  const uint64_t after = file_size(data_file);
  c.stop_producers();
  bool drained = c.wait_drained(60s);
  if (!drained)
    std::cout << "FM-12 not drained; backlog: " << c.get("/v1/backlog") << "\n" << c.log_tail();
  CHECK(drained);
  c.kill9();
  CheckReport r = c.check();
  std::cout << "FM-12: reader lag reported after " << detect_s << " s; data.mdb " << (before >> 10)
            << " KiB -> " << (held_size >> 10) << " KiB while held, " << (released_size >> 10)
            << " -> " << (after >> 10) << " KiB in 4 s of ingest+drain after release (map "
            << (map_size >> 20) << " MiB)\n"
            << r.text();
  CHECK(held_size <= map_size);
  CHECK(after <= released_size + (uint64_t{1} << 20));
  CHECK(r.ok());
}
