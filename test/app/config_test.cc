#include "app/config.h"

#include <doctest/doctest.h>

#include <fstream>

#include "test/support/temp_dir.h"

using spillway::app::parse_listen;
using spillway::app::parse_serve_config;

TEST_CASE("Config: defaults work on a laptop") {
  auto c = parse_serve_config({});
  REQUIRE(c.is_ok());
  CHECK(c->data_dir == "./spillway-data");
  CHECK(c->listen_host == "127.0.0.1");
  CHECK(c->listen_port == 8080);
  CHECK(c->sink == "file:./spillway-data/sink.ndjson");
  CHECK(c->threads >= 1);
  CHECK(c->ingest.max_body_bytes == 5u << 20);
  CHECK(c->ingest.max_depth == 64);
  CHECK(c->wal.dir == "./spillway-data");
}

TEST_CASE("Config: flags in both spellings") {
  auto c = parse_serve_config({"--data", "/d", "--listen=0.0.0.0:0", "--threads", "3",
                               "--max-body-bytes=2048", "--max-event-bytes", "1024",
                               "--dedupe-window-s", "60", "--sink", "null:"});
  REQUIRE(c.is_ok());
  CHECK(c->wal.dir == "/d");
  CHECK(c->listen_port == 0);
  CHECK(c->threads == 3);
  CHECK(c->ingest.max_body_bytes == 2048);
  CHECK(c->wal.dedupe_window == std::chrono::seconds(60));
  CHECK(c->sink == "null:");
}

TEST_CASE("Config: the JSON file is read and flags win") {
  spillway::test::TempDir dir;
  std::ofstream(dir.sub("c.json")) << R"({"data":"/from-file","max_depth":10,"threads":"2"})";
  auto c = parse_serve_config({"--config", dir.sub("c.json"), "--threads", "4"});
  REQUIRE(c.is_ok());
  CHECK(c->data_dir == "/from-file");
  CHECK(c->ingest.max_depth == 10);
  CHECK(c->threads == 4);
}

TEST_CASE("Config: errors name the flag") {
  CHECK(parse_serve_config({"--bogus", "1"}).status().message() == "unknown option --bogus");
  CHECK(parse_serve_config({"--threads", "0"}).status().message().rfind("--threads:", 0) == 0);
  CHECK(parse_serve_config({"--threads", "x"}).status().message().rfind("--threads:", 0) == 0);
  CHECK_FALSE(parse_serve_config({"--sink", "ftp://x"}).is_ok());
  CHECK_FALSE(
      parse_serve_config({"--max-event-bytes", "9000", "--max-body-bytes", "4096"}).is_ok());
  CHECK_FALSE(parse_serve_config({"--data"}).is_ok());
  CHECK_FALSE(parse_serve_config({"--config", "/nonexistent.json"}).is_ok());
  CHECK(parse_serve_config({"--sink", "http://h/", "--sink-ca-file", "/ca.pem"})
            .status()
            .message()
            .rfind("--sink-ca-file:", 0) == 0);
  auto tls = parse_serve_config({"--sink", "https://h/", "--sink-ca-file", "/ca.pem"});
  REQUIRE(tls.is_ok());
  CHECK(tls->sink_http.tls.ca_file == "/ca.pem");
  CHECK(parse_serve_config({"--sink", "https://h/", "--sink-client-cert", "/c.pem"})
            .status()
            .message()
            .rfind("--sink-client-key:", 0) == 0);
  CHECK(parse_serve_config(
            {"--sink", "http://h/", "--sink-client-cert", "/c.pem", "--sink-client-key", "/c.key"})
            .status()
            .message()
            .rfind("--sink-client-cert:", 0) == 0);
}

TEST_CASE("Config: listen addresses") {
  CHECK(parse_listen("127.0.0.1:80").value() == std::pair<std::string, uint16_t>{"127.0.0.1", 80});
  CHECK(parse_listen("[::1]:9").value().first == "::1");
  CHECK_FALSE(parse_listen("nohost").is_ok());
  CHECK_FALSE(parse_listen("h:70000").is_ok());
}

TEST_CASE("Config: the fair scheduler's pipeline is three requests of --drain-batch-events") {
  auto d = parse_serve_config({});
  REQUIRE(d.is_ok());
  CHECK(d->replay.scheduler.pipeline_events == 3 * d->replay.max_batch_events);
  auto c = parse_serve_config({"--drain-batch-events", "2000", "--drain-policy", "fair"});
  REQUIRE(c.is_ok());
  CHECK(c->replay.max_batch_events == 2000);
  CHECK(c->replay.scheduler.pipeline_events == 6000);
}

TEST_CASE("Config: the request size target and its lower bound") {
  auto d = parse_serve_config({});
  REQUIRE(d.is_ok());
  CHECK(d->replay.request_size.target == std::chrono::milliseconds(250));
  auto fixed =
      parse_serve_config({"--drain-target-request-ms", "0", "--drain-min-batch-events", "10"});
  REQUIRE(fixed.is_ok());
  CHECK(fixed->replay.request_size.target.count() == 0);
  CHECK(fixed->replay.request_size.min_events == 10);
  CHECK_FALSE(parse_serve_config({"--drain-min-batch-events", "600", "--drain-batch-events", "500"})
                  .is_ok());
}

TEST_CASE("Config: --cluster-nodes takes http://HOST[:PORT] peers and names a bad one") {
  auto c = parse_serve_config(
      {"--cluster-nodes", "http://10.0.0.2:8080/,http://n3:8080,http://[::1]:9,http://n4"});
  REQUIRE(c.is_ok());
  CHECK(c->cluster_nodes == std::vector<std::string>{"http://10.0.0.2:8080", "http://n3:8080",
                                                     "http://[::1]:9", "http://n4"});
  CHECK(c->cluster_timeout == std::chrono::seconds(2));
  CHECK(parse_serve_config({}).value().cluster_nodes.empty());
  for (const char* bad : {"10.0.0.2:8080", "http://", "http://n2:0", "http://n2:99999",
                          "http://n2:80/v1", "http://u@n2:80", "https://n2:443", ","}) {
    auto r = parse_serve_config({"--cluster-nodes", bad});
    CAPTURE(bad);
    REQUIRE(!r.is_ok());
    CHECK(r.status().message().rfind("--cluster-nodes: ", 0) == 0);
  }
  CHECK(parse_serve_config({"--cluster-nodes", "n2:80"}).status().message() ==
        "--cluster-nodes: \"n2:80\" is not http://HOST:PORT");
  CHECK(parse_serve_config({"--cluster-timeout-ms", "500"}).value().cluster_timeout ==
        std::chrono::milliseconds(500));
}
