// spillway-fake-downstream: the scriptable webhook receiver as a process, for integration
// tests, the reliability suite and the outage drill. Prints
//   listening port=N control_port=M
// as its first stdout line, serves until SIGINT/SIGTERM, then prints the stats JSON to stdout.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "test/support/fake_downstream.h"

namespace {

using spillway::test::FakeDownstream;
using spillway::test::FakeDownstreamOptions;

constexpr const char* kUsage =
    "usage: spillway-fake-downstream [--host H] [--port N] [--control-port N]\n"
    "         [--log CSV] [--log-message-ids] [--log-replay] [--keep-payloads]\n"
    "         [--threads N]\n"
    "         [--script JSON] [--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]]\n"
    "  --port 0 / --control-port 0 pick free ports (default).\n"
    "  --log writes timestamp,account,seq,enqueue_time (fairsim.py analyze format);\n"
    "  --log-message-ids adds a message_id column (the event's messageId);\n"
    "  --log-replay adds replay_id,original_seq columns (empty unless replayed).\n"
    "  --script applies an initial POST /control body, e.g. '{\"capacity\":2000}'.\n";

struct Args {
  FakeDownstreamOptions options;
  std::string script;
};

bool parse_args(int argc, char** argv, Args& args) {
  args.options.control_port = 0;
  args.options.keep_payloads = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--keep-payloads") {
      args.options.keep_payloads = true;
    } else if (a == "--log-message-ids") {
      args.options.log_message_ids = true;
    } else if (a == "--log-replay") {
      args.options.log_replay = true;
    } else if (!has_value) {
      return false;
    } else if (a == "--host") {
      args.options.host = argv[++i];
    } else if (a == "--port") {
      args.options.port = std::atoi(argv[++i]);
    } else if (a == "--control-port") {
      args.options.control_port = std::atoi(argv[++i]);
    } else if (a == "--log") {
      args.options.delivery_log = argv[++i];
    } else if (a == "--threads") {
      args.options.threads = static_cast<size_t>(std::atoi(argv[++i]));
    } else if (a == "--tls-cert") {
      args.options.tls_cert = argv[++i];
    } else if (a == "--tls-key") {
      args.options.tls_key = argv[++i];
    } else if (a == "--tls-client-ca") {
      args.options.tls_client_ca = argv[++i];
    } else if (a == "--script") {
      args.script = argv[++i];
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts

  FakeDownstream fake(args.options);
  if (spillway::Status s = fake.start(); !s.is_ok()) {
    std::fprintf(stderr, "spillway-fake-downstream: %s\n", s.to_string().c_str());
    return 1;
  }
  if (!args.script.empty()) {
    if (auto r = fake.control(args.script); !r) {
      std::fprintf(stderr, "spillway-fake-downstream: %s\n", r.status().to_string().c_str());
      return 2;
    }
  }
  std::printf("listening port=%d control_port=%d\n", fake.port(), fake.control_port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  fake.stop();
  std::printf("%s\n", fake.stats_json().c_str());
  return 0;
}
