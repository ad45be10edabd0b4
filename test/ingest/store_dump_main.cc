// Test helper: prints every stored event and dead letter of DATA_DIR as JSON lines
// {"account":..., "seq":..., "dead":..., "messageId":...} for the SDK test script.
#include <iostream>
#include <nlohmann/json.hpp>

#include "test/ingest/store_reader.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: ingest_store_dump DATA_DIR\n";
    return 2;
  }
  try {
    for (const auto& row : spillway::test::read_store(argv[1])) {
      nlohmann::json line = {{"account", row.account},
                             {"seq", row.seq},
                             {"dead", row.dead},
                             {"messageId", row.message_id}};
      std::cout << line.dump() << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "ingest_store_dump: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
