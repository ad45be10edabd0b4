#pragma once

#include <cstdint>
#include <string>

namespace spillway::app {

// Where a node stands in a scale-down (docs/cluster.md): "serving", "draining" (not ready,
// refusing ingest, still delivering) or "drained" (draining, nothing queued, nothing in flight:
// safe to remove). Dead letters do not hold a drain back; they are reported so the operator
// can replay or export them first. Copyable value type.
struct NodeState {
  std::string node;
  bool draining = false;
  uint64_t depth = 0;  // queued events, all accounts
  uint64_t dead_letters = 0;
  uint64_t appends_in_flight = 0;  // ingest requests admitted before the drain, not answered
  uint32_t deliveries_in_flight = 0;

  bool drained() const {
    return draining && depth == 0 && appends_in_flight == 0 && deliveries_in_flight == 0;
  }
  std::string phase() const { return !draining ? "serving" : drained() ? "drained" : "draining"; }
};

}  // namespace spillway::app
