#include "app/admin_token.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/digest.h"

namespace spillway::app {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

Result<std::string> read_token(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::invalid_argument("cannot read admin token file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token = trim(ss.str());
  if (token.empty()) return Status::invalid_argument("admin token file " + path + " is empty");
  return token;
}

Result<std::string> create_token(const std::string& path) {
  std::string token = random_hex(32);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::io_error("cannot create " + path + ": " + std::strerror(errno));
  std::string line = token + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::io_error("cannot write " + path);
  return token;
}

}  // namespace

Result<std::string> resolve_admin_token(const std::string& token_file, const std::string& data_dir,
                                        Logger& logger) {
  if (const char* env = std::getenv("SPILLWAY_ADMIN_TOKEN"); env != nullptr && *env != '\0') {
    logger.info("serve", "admin token from environment", {{"source", "SPILLWAY_ADMIN_TOKEN"}});
    return trim(env);
  }
  if (!token_file.empty()) {
    logger.info("serve", "admin token from file", {{"path", token_file}});
    return read_token(token_file);
  }
  std::string path = data_dir + "/admin.token";
  if (::access(path.c_str(), F_OK) == 0) {
    logger.info("serve", "admin token from file", {{"path", path}});
    return read_token(path);
  }
  auto token = create_token(path);
  if (token) logger.info("serve", "generated admin token", {{"path", path}});
  return token;
}

}  // namespace spillway::app
