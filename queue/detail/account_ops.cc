// Account, credential and meta changes.
#include "queue/detail/store_ops.h"
#include "queue/record_codec.h"

namespace spillway::queue::detail {

Status validate_account_name(const std::string& name) {
  if (name.empty() || name.size() > codec::kMaxAccountName) {
    return Status::invalid_argument("account name must be 1 to 128 bytes");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == ':' || c == '@';
    if (!ok) return Status::invalid_argument("account name may contain only A-Z a-z 0-9 . _ - : @");
  }
  return Status::ok();
}

namespace {

Status check_credential_free(TxnContext& ctx, const Credential& c) {
  if (c.secret.empty()) return Status::invalid_argument("credential must not be empty");
  auto found = ctx.txn().find(ctx.tables().keys, codec::credential_key(c.kind, c.secret));
  if (!found) return ctx.fail(found.status());
  if (*found) return Status::already_exists("credential is already in use");
  return Status::ok();
}

Status put_credential(TxnContext& ctx, AccountId account, const Credential& c) {
  Status s = ctx.txn().put(ctx.tables().keys, codec::credential_key(c.kind, c.secret),
                           codec::credential_value(account, c.kind, ctx.now_ms), MDB_NOOVERWRITE);
  return s.is_ok() ? s : ctx.fail(s);
}

}  // namespace

Result<AccountId> apply_create_account(TxnContext& ctx, const CreateAccountRequest& request) {
  if (Status s = validate_account_name(request.name); !s.is_ok()) return s;
  if (request.weight == 0) return Status::invalid_argument("weight must be at least 1");
  auto existing = ctx.txn().find(ctx.tables().account_names, request.name);
  if (!existing) return ctx.fail(existing.status());
  if (*existing) return Status::already_exists("account " + request.name + " already exists");
  for (const Credential& c : request.credentials) {
    if (Status s = check_credential_free(ctx, c); !s.is_ok()) return s;
  }
  AccountRecord rec;
  rec.id = AccountId{ctx.next_account_id++};
  ctx.next_account_id_changed = true;
  rec.name = request.name;
  rec.weight = request.weight;
  rec.created_ms = ctx.now_ms;
  Status s = ctx.txn().put(ctx.tables().account_names, rec.name, codec::u32_value(rec.id.value),
                           MDB_NOOVERWRITE);
  if (!s.is_ok()) return ctx.fail(s);
  for (const Credential& c : request.credentials) {
    if (Status st = put_credential(ctx, rec.id, c); !st.is_ok()) return st;
  }
  AccountId id = rec.id;
  ctx.summary().changed.push_back(id);
  ctx.add_account(std::move(rec));
  return id;
}

Status apply_add_credential(TxnContext& ctx, AccountId account, const Credential& credential) {
  if (ctx.account(account) == nullptr) return Status::not_found("unknown account");
  if (Status s = check_credential_free(ctx, credential); !s.is_ok()) return s;
  return put_credential(ctx, account, credential);
}

Status apply_set_paused(TxnContext& ctx, AccountId account, bool paused) {
  AccountRecord* rec = ctx.account(account);
  if (rec == nullptr) return Status::not_found("unknown account");
  rec->paused = paused;
  ctx.summary().changed.push_back(account);
  return Status::ok();
}

Status apply_set_weight(TxnContext& ctx, AccountId account, uint32_t weight) {
  if (weight == 0 || weight > 1000) return Status::invalid_argument("weight must be 1..1000");
  AccountRecord* rec = ctx.account(account);
  if (rec == nullptr) return Status::not_found("unknown account");
  rec->weight = weight;
  ctx.summary().changed.push_back(account);
  return Status::ok();
}

Status apply_put_meta(TxnContext& ctx, const std::string& key, const std::string& value) {
  if (key.empty() || key.size() > 256)
    return Status::invalid_argument("meta key must be 1..256 bytes");
  if (key == codec::kMetaFormatVersion || key == codec::kMetaNextAccountId) {
    return Status::invalid_argument("meta key " + key + " is reserved");
  }
  Status s = ctx.txn().put(ctx.tables().meta, key, value);
  return s.is_ok() ? s : ctx.fail(s);
}

}  // namespace spillway::queue::detail
