// main() of reliability_disk_test: enters a private mount namespace before any thread starts
// (root: CLONE_NEWNS; otherwise a user namespace mapping us to root, like `unshare -Urm`), so
// FM-06 can mount a small tmpfs that nobody else sees and that vanishes with the test.
#define DOCTEST_CONFIG_IMPLEMENT
#include "test/reliability/disk_main.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace spillway::test {
namespace {

bool write_file(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY);
  if (fd < 0) return false;
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

bool enter_private_mounts() {
  const uid_t uid = getuid();
  const gid_t gid = getgid();
  if (unshare(CLONE_NEWNS) != 0) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return false;
    (void)write_file("/proc/self/setgroups", "deny");
    if (!write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
        !write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
      return false;
  }
  return mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

bool& private_flag() {
  static bool flag = false;
  return flag;
}

}  // namespace

bool private_mounts() { return private_flag(); }

std::string holder_binary() {
  const char* p = std::getenv("SPILLWAY_READER_HOLDER");
  return p != nullptr ? p : "reliability_reader_holder";
}

}  // namespace spillway::test

int main(int argc, char** argv) {
  spillway::test::private_flag() = spillway::test::enter_private_mounts();
  doctest::Context context(argc, argv);
  return context.run();
}
