#pragma once

#include <string>

namespace spillway::test {

// True when main() entered a private mount namespace (tmpfs mounts stay inside the test).
bool private_mounts();
// Path of reliability_reader_holder ($SPILLWAY_READER_HOLDER).
std::string holder_binary();

}  // namespace spillway::test
