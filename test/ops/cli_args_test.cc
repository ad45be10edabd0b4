#include "app/cli_args.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <fstream>

#include "test/support/temp_dir.h"

namespace spillway::app {

TEST_CASE("cli args: positional words, options in both spellings, flags, help") {
  auto a = parse_cli_args({"create", "acme", "--url=http://h:1/", "--data", "/d", "--yes", "-h"},
                          {"url", "data"}, {"yes"});
  REQUIRE(a.is_ok());
  CHECK(a->positional == std::vector<std::string>{"create", "acme"});
  CHECK(a->url() == "http://h:1");
  CHECK(a->data_dir() == "/d");
  CHECK(a->option("yes") == "1");
  CHECK(a->help);
}

TEST_CASE("cli args: unknown options and missing values are usage errors") {
  CHECK_FALSE(parse_cli_args({"--bogus", "1"}, {"url"}).is_ok());
  CHECK_FALSE(parse_cli_args({"--url"}, {"url"}).is_ok());
  auto d = parse_cli_args({}, {});
  REQUIRE(d.is_ok());
  CHECK(d->url() == "http://127.0.0.1:8080");
  CHECK(d->data_dir() == "./spillway-data");
}

TEST_CASE("cli args: the admin token comes from the environment first, then DATA_DIR") {
  test::TempDir dir;
  unsetenv("SPILLWAY_ADMIN_TOKEN");
  CHECK(client_admin_token(dir.path()).status().code() == Status::Code::kNotFound);
  std::ofstream(dir.sub("admin.token")) << "  file-token\n";
  CHECK(client_admin_token(dir.path()).value() == "file-token");
  setenv("SPILLWAY_ADMIN_TOKEN", "env-token", 1);
  CHECK(client_admin_token(dir.path()).value() == "env-token");
  unsetenv("SPILLWAY_ADMIN_TOKEN");
}

}  // namespace spillway::app
