#include "app/client_command.h"

#include <charconv>
#include <iostream>

namespace spillway::app {

int run_client_command(const ClientCommand& command, const std::vector<std::string>& args,
                       const std::function<int(AdminClient&, const CliArgs&)>& body) {
  std::set<std::string> known = command.options;
  known.insert("url");
  known.insert("data");
  auto parsed = parse_cli_args(args, known, command.flags);
  if (parsed && parsed->help) {
    std::cout << command.usage;
    return kExitOk;
  }
  std::string problem = !parsed ? parsed.status().message() : "";
  if (parsed && (parsed->positional.size() < command.min_positional ||
                 parsed->positional.size() > command.max_positional)) {
    problem = "wrong number of arguments";
  }
  if (!problem.empty()) {
    std::cerr << "spillway " << command.name << ": " << problem << "\n" << command.usage;
    return kExitUsage;
  }
  auto token = client_admin_token(parsed->data_dir());
  if (!token) {
    std::cerr << "spillway " << command.name << ": " << token.status().message() << "\n";
    return kExitAuth;
  }
  AdminClient client(parsed->url(), *token);
  return body(client, *parsed);
}

bool parse_count(const std::string& command, const std::string& key, const std::string& text,
                 uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec == std::errc() && end == text.data() + text.size()) return true;
  std::cerr << "spillway " << command << ": --" << key << " expects a non-negative integer, got \""
            << text << "\"\n";
  return false;
}

}  // namespace spillway::app
