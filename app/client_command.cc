#include "app/client_command.h"

#include <charconv>
#include <iostream>

namespace spillway::app {
namespace {

// The default fan-out: the command once per node, each under a header line.
int run_on_nodes(const ClientCommand& command, const std::vector<std::string>& urls,
                 const std::string& token, const CliArgs& args,
                 const std::function<int(AdminClient&, const CliArgs&)>& body) {
  std::vector<std::string> failed;
  int first_failure = kExitOk;
  for (const auto& url : urls) {
    std::cout << "== " << url << "\n" << std::flush;
    AdminClient client(url, token, std::chrono::seconds(10));
    int code = body(client, args);
    if (code == kExitOk) continue;
    failed.push_back(url);
    if (first_failure == kExitOk) first_failure = code;
  }
  return report_nodes(command.name, failed, first_failure);
}

}  // namespace

std::vector<std::string> split_nodes(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string url = list.substr(start, comma == std::string::npos ? comma : comma - start);
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (!url.empty()) out.push_back(url);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int report_nodes(const std::string& command, const std::vector<std::string>& failed,
                 int first_failure) {
  if (failed.empty()) return kExitOk;
  std::cerr << "spillway " << command << ": failed on " << failed.size() << " node(s):";
  for (const auto& url : failed) std::cerr << " " << url;
  std::cerr << "\n";
  return first_failure;
}

int run_client_command(const ClientCommand& command, const std::vector<std::string>& args,
                       const std::function<int(AdminClient&, const CliArgs&)>& body,
                       const AcrossNodes& across) {
  std::set<std::string> known = command.options;
  known.insert("url");
  known.insert("data");
  known.insert("nodes");
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
  if (auto nodes = parsed->option("nodes")) {
    auto urls = split_nodes(*nodes);
    if (across) return across(urls, *token, *parsed);
    return run_on_nodes(command, urls, *token, *parsed, body);
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
