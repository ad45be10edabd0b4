#pragma once

#include <memory>
#include <string>

#include "replay/downstream.h"

namespace spillway::app {

// The sink named by --sink, with this node's id written into every delivered event ("node"),
// so a downstream fed by several nodes can tell where an event waited. Copies each batch once
// per attempt to stamp it (the drainer's batches are shared and const). Same threading as the
// wrapped sink; owns it.
class NodeDownstream final : public replay::Downstream {
 public:
  NodeDownstream(std::unique_ptr<replay::Downstream> inner, std::string node)
      : inner_(std::move(inner)), node_(std::move(node)) {}

  void deliver(std::shared_ptr<const replay::DeliveryBatch> batch, Done done) override {
    auto stamped = std::make_shared<replay::DeliveryBatch>(*batch);
    stamped->node = node_;
    inner_->deliver(std::move(stamped), std::move(done));
  }
  void stop() override { inner_->stop(); }

 private:
  std::unique_ptr<replay::Downstream> inner_;
  std::string node_;
};

}  // namespace spillway::app
