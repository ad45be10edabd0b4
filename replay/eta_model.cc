#include "replay/eta_model.h"

#include <algorithm>
#include <limits>

namespace spillway::replay {
namespace {

uint32_t weight_of(BacklogShare s) { return s.weight == 0 ? 1 : s.weight; }

double ratio_of(BacklogShare s) {
  return static_cast<double>(s.depth) / static_cast<double>(weight_of(s));
}

constexpr double kInfinity = std::numeric_limits<double>::infinity();

}  // namespace

EtaModel::EtaModel(std::span<const BacklogShare> backlog) : input_(backlog.begin(), backlog.end()) {
  rows_.reserve(input_.size());
  for (BacklogShare s : input_) {
    // Empty accounts take no capacity and are done at once; leaving them out keeps sums exact.
    if (s.depth > 0) rows_.push_back(Row{ratio_of(s), s.depth, weight_of(s)});
  }
  std::sort(rows_.begin(), rows_.end(),
            [](const Row& a, const Row& b) { return a.ratio < b.ratio; });
  const size_t n = rows_.size();
  depth_prefix_.assign(n + 1, 0);
  weight_suffix_.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) depth_prefix_[i + 1] = depth_prefix_[i] + rows_[i].depth;
  for (size_t i = n; i > 0; --i) weight_suffix_[i - 1] = weight_suffix_[i] + rows_[i - 1].weight;
}

size_t EtaModel::upper(double ratio) const {
  auto it = std::upper_bound(rows_.begin(), rows_.end(), ratio,
                             [](double r, const Row& row) { return r < row.ratio; });
  return static_cast<size_t>(it - rows_.begin());
}

double EtaModel::fair_eta(BacklogShare account, double capacity) const {
  if (account.depth == 0) return 0.0;
  if (capacity <= 0) return kInfinity;
  const double r = ratio_of(account);
  const size_t k = upper(r);
  // Accounts with a smaller ratio finish first and contribute their whole backlog; the others
  // have drained r × w_j each when this account finishes.
  const double work =
      static_cast<double>(depth_prefix_[k]) + r * static_cast<double>(weight_suffix_[k]);
  return work / capacity;
}

double EtaModel::catchup_eta(BacklogShare account, double capacity) const {
  if (account.depth == 0) return 0.0;
  if (capacity <= 0) return kInfinity;
  return static_cast<double>(depth_prefix_[upper(ratio_of(account))]) / capacity;
}

std::vector<double> EtaModel::fair_etas(double capacity) const {
  std::vector<double> out;
  out.reserve(input_.size());
  for (BacklogShare s : input_) out.push_back(fair_eta(s, capacity));
  return out;
}

double EtaModel::drain_time(double capacity) const {
  if (rows_.empty()) return 0.0;
  if (capacity <= 0) return kInfinity;
  return static_cast<double>(depth_prefix_.back()) / capacity;
}

}  // namespace spillway::replay
