#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "queue/detail/txn_context.h"
#include "queue/replay_job/replay_job.h"
#include "queue/types.h"

// The changes the writer applies inside a group-commit transaction, one function per message.
// Each validates before it writes, so a refused operation (quota, unknown account, existing
// name) leaves the transaction untouched and the rest of the group commits. A storage error is
// recorded with ctx.fail() and dooms the whole transaction. Writer thread only.
namespace spillway::queue::detail {

Result<AppendResult> apply_append(TxnContext& ctx, const AppendRequest& request);
Status apply_settle(TxnContext& ctx, const SettleRequest& request);
Result<AccountId> apply_create_account(TxnContext& ctx, const CreateAccountRequest& request);
Status apply_add_credential(TxnContext& ctx, AccountId account, const Credential& credential);
Status apply_set_paused(TxnContext& ctx, AccountId account, bool paused);
Status apply_set_weight(TxnContext& ctx, AccountId account, uint32_t weight);
Status apply_put_meta(TxnContext& ctx, const std::string& key, const std::string& value);
Result<uint64_t> apply_requeue_dead(TxnContext& ctx, AccountId account, uint32_t max);
Result<uint64_t> apply_purge_dead(TxnContext& ctx, AccountId account, uint32_t max);
Result<ReplayJob> apply_create_replay(TxnContext& ctx, const ReplaySpec& spec);
// Cancels a running job, or a done one with undelivered events: it becomes kCancelling, and
// apply_replay_drop_step() then removes its queued events. Other states are left as they are.
Result<ReplayJob> apply_cancel_replay(TxnContext& ctx, uint64_t id);
// Retained rows one replay step looks at, across all running jobs: bounds the writer's stall.
inline constexpr uint64_t kReplayStepRows = 512;
// Advances the running replay jobs by one bounded step (queue/detail/replay_ops.cc).
Status apply_replay_step(TxnContext& ctx);
// Advances the cancelling jobs' drops by one bounded step (queue/detail/replay_drop.cc).
Status apply_replay_drop_step(TxnContext& ctx);

// Stores one event at the account's next seq and counts it (appends and replays).
Result<Seq> store_event(TxnContext& ctx, AccountRecord& rec, std::string_view payload,
                        int64_t enqueue_ms, const ReplayMark& mark = {});

// Account names: 1..128 bytes of [A-Za-z0-9._:@-]; they appear in URLs and metric labels.
Status validate_account_name(const std::string& name);

}  // namespace spillway::queue::detail
