#include "app/cli_args.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace spillway::app {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

}  // namespace

std::optional<std::string> CliArgs::option(const std::string& key) const {
  auto it = options.find(key);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

std::string CliArgs::url() const {
  std::string u = option("url").value_or("http://127.0.0.1:8080");
  while (!u.empty() && u.back() == '/') u.pop_back();
  return u;
}

std::string CliArgs::data_dir() const { return option("data").value_or("./spillway-data"); }

Result<CliArgs> parse_cli_args(const std::vector<std::string>& args,
                               const std::set<std::string>& known_options,
                               const std::set<std::string>& known_flags) {
  CliArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out.help = true;
      continue;
    }
    if (a.rfind("--", 0) != 0 || a == "--") {
      out.positional.push_back(a);
      continue;
    }
    auto eq = a.find('=');
    std::string key = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (known_flags.count(key) > 0 && eq == std::string::npos) {
      out.options[key] = "1";
      continue;
    }
    if (known_options.count(key) == 0) return Status::invalid_argument("unknown option --" + key);
    if (eq != std::string::npos) {
      out.options[key] = a.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      out.options[key] = args[++i];
    } else {
      return Status::invalid_argument("--" + key + " needs a value");
    }
  }
  return out;
}

Result<std::string> client_admin_token(const std::string& data_dir) {
  if (const char* env = std::getenv("SPILLWAY_ADMIN_TOKEN"); env != nullptr && *env != '\0') {
    return trim(env);
  }
  std::string path = data_dir + "/admin.token";
  std::ifstream in(path);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    std::string token = trim(ss.str());
    if (!token.empty()) return token;
  }
  return Status::not_found(
      "no admin token: set SPILLWAY_ADMIN_TOKEN or pass --data DIR with "
      "a readable DIR/admin.token (tried " +
      path + ")");
}

}  // namespace spillway::app
