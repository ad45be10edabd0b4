#include "replay/flight.h"

#include "common/digest.h"

namespace spillway::replay {

std::string batch_id_of(const DeliveryBatch& batch) {
  std::string material;
  material.reserve(batch.items.size() * 12);
  for (const DeliveryItem& item : batch.items) {
    material += std::to_string(item.account.value);
    material += ':';
    material += std::to_string(item.seq.value);
    material += ',';
  }
  Sha256 h = sha256(material);
  return "b-" + to_hex(std::string_view(reinterpret_cast<const char*>(h.data()), 12));
}

std::pair<std::shared_ptr<DeliveryBatch>, std::shared_ptr<DeliveryBatch>> split_batch(
    const DeliveryBatch& batch) {
  auto first = std::make_shared<DeliveryBatch>();
  auto second = std::make_shared<DeliveryBatch>();
  size_t half = batch.items.size() / 2;
  first->items.assign(batch.items.begin(), batch.items.begin() + static_cast<long>(half));
  second->items.assign(batch.items.begin() + static_cast<long>(half), batch.items.end());
  first->batch_id = batch_id_of(*first);
  second->batch_id = batch_id_of(*second);
  return {first, second};
}

}  // namespace spillway::replay
