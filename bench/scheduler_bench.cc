// Cost of one scheduling decision as the number of backlogged accounts grows. The fair
// scheduler must be O(1) per decision (100,000 backlogged accounts must not slow dispatch);
// catchup and fifo are O(log n). Run: meson test --benchmark -C <release build> scheduler.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/ids.h"
#include "replay/eta_model.h"
#include "replay/scheduler.h"

namespace spillway::replay {
namespace {

constexpr uint64_t kDeepBacklog = uint64_t{1} << 40;

std::unique_ptr<Scheduler> backlogged(DrainPolicy policy, int64_t accounts) {
  SchedulerOptions options;
  options.policy = policy;
  auto s = make_scheduler(options);
  for (int64_t i = 0; i < accounts; ++i) s->set_backlog(AccountId{uint32_t(i)}, kDeepBacklog);
  return s;
}

// One decision = grant a quantum, seal, complete it, and append as many events again, so the
// backlog (and the scheduler's working set) stays the same size throughout.
void decide(benchmark::State& state, DrainPolicy policy) {
  auto s = backlogged(policy, state.range(0));
  for (auto _ : state) {
    std::optional<Grant> g = s->next(4);
    benchmark::DoNotOptimize(g);
    s->seal();
    s->complete(g->account, g->max_events);
    s->appended(g->account, g->max_events);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_FairNext(benchmark::State& state) { decide(state, DrainPolicy::kFair); }
void BM_CatchupNext(benchmark::State& state) { decide(state, DrainPolicy::kCatchup); }
void BM_FifoNext(benchmark::State& state) { decide(state, DrainPolicy::kFifo); }

// The drainer's real pattern: fill a 500-event request from many accounts' slices, seal it,
// complete each account once (with few accounts, one account takes several turns in a request).
// Items are slices (decisions).
void BM_FairFillRequest(benchmark::State& state) {
  auto s = backlogged(DrainPolicy::kFair, state.range(0));
  std::vector<Grant> grants;
  std::unordered_map<AccountId, uint64_t> taken;
  int64_t slices = 0;
  for (auto _ : state) {
    grants.clear();
    uint64_t room = 500;
    while (room > 0) {
      std::optional<Grant> g = s->next(room);
      if (!g) break;
      room -= g->max_events;
      grants.push_back(*g);
    }
    s->seal();
    taken.clear();
    for (const Grant& g : grants) taken[g.account] += g.max_events;
    for (const auto& [account, n] : taken) {
      s->complete(account, n);
      s->appended(account, n);
    }
    slices += static_cast<int64_t>(grants.size());
  }
  state.SetItemsProcessed(slices);
}

// ETA for every account (the backlog API's eta_s), O(N log N).
void BM_EtaModelAll(benchmark::State& state) {
  std::vector<BacklogShare> shares;
  for (int64_t i = 0; i < state.range(0); ++i) shares.push_back({uint64_t(i * 7919 % 100'003), 1});
  for (auto _ : state) {
    EtaModel model(shares);
    benchmark::DoNotOptimize(model.fair_etas(10'000));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_FairNext)->Arg(10)->Arg(1'000)->Arg(100'000);
BENCHMARK(BM_FairFillRequest)->Arg(10)->Arg(1'000)->Arg(100'000);
BENCHMARK(BM_CatchupNext)->Arg(10)->Arg(1'000)->Arg(100'000);
BENCHMARK(BM_FifoNext)->Arg(10)->Arg(1'000)->Arg(100'000);
BENCHMARK(BM_EtaModelAll)->Arg(1'000)->Arg(100'000);

}  // namespace
}  // namespace spillway::replay

BENCHMARK_MAIN();
