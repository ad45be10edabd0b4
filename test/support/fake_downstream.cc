#include "test/support/fake_downstream.h"

#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <nlohmann/json.hpp>
#include <utility>

#include "test/support/fake_wire.h"

namespace spillway::test {
namespace {

using nlohmann::json;
constexpr const char* kJson = "application/json";

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void answer(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), kJson);
}

void answer_retry(httplib::Response& res, int status, int retry_after_s, const char* why) {
  if (retry_after_s > 0) res.set_header("Retry-After", std::to_string(retry_after_s));
  answer(res, status, {{"error", why}});
}

std::string deliveries_ndjson(const std::vector<FakeDelivery>& ds) {
  std::string out;
  for (const auto& d : ds) {
    json j = {{"account", d.account},
              {"seq", d.seq},
              {"batch_id", d.batch_id},
              {"idempotency_key", d.idempotency_key},
              {"received_at_ms", d.received_at_ms},
              {"delivered_at", d.delivered_at}};
    if (d.replay_id != 0) {
      j["replay_id"] = d.replay_id;
      j["original_seq"] = d.original_seq;
    }
    if (!d.event.empty()) j["event"] = json::parse(d.event, nullptr, false);
    out += j.dump();
    out += '\n';
  }
  return out;
}

// `tls`: the deliveries listener of an https:// fake (the control listener stays plain).
std::unique_ptr<httplib::Server> make_server(const FakeDownstreamOptions& o, bool tls) {
  const char* client_ca = o.tls_client_ca.empty() ? nullptr : o.tls_client_ca.c_str();
  auto srv =
      tls ? std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str(), client_ca)
          : std::make_unique<httplib::Server>();
  const size_t threads = o.threads;
  srv->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // A real downstream answers without Nagle stalls: httplib writes the status line and the
  // body separately, and the second write would wait for the client's delayed ACK (40 ms).
  srv->set_tcp_nodelay(true);
  srv->set_keep_alive_timeout(o.keep_alive_timeout_s);
  srv->set_keep_alive_max_count(100000);
  srv->set_read_timeout(5, 0);
  srv->set_write_timeout(5, 0);
  return srv;
}

// Binds `port` (0 = any). Re-binding the port of a listener just closed can race with
// TIME_WAIT sockets or another process, so it retries for up to 2 s.
int bind_server(httplib::Server& srv, const std::string& host, int port) {
  if (port == 0) return srv.bind_to_any_port(host);
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (srv.bind_to_port(host, port)) return port;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

// httplib's stop() is a no-op until listen_after_bind() has set is_running(), so a listener
// stopped right after start would block in accept() forever: wait until it runs.
std::thread run_listener(httplib::Server& srv) {
  std::thread t([&srv] { srv.listen_after_bind(); });
  while (!srv.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return t;
}

}  // namespace

FakeDownstream::FakeDownstream(FakeDownstreamOptions options) : options_(std::move(options)) {}

FakeDownstream::~FakeDownstream() { stop(); }

Status FakeDownstream::start() {
  // A client that goes away while we write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  log_.set_keep_payloads(options_.keep_payloads);
  if (!options_.delivery_log.empty()) {
    if (Status s =
            log_.open_csv(options_.delivery_log, options_.log_message_ids, options_.log_replay);
        !s.is_ok())
      return s;
  }
  std::lock_guard<std::mutex> life(lifecycle_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    port_ = options_.port;
  }
  running_ = true;
  if (Status s = start_data_locked(); !s.is_ok()) return s;
  if (options_.control_port >= 0) return start_control();
  return Status::ok();
}

void FakeDownstream::stop() {
  std::lock_guard<std::mutex> life(lifecycle_mu_);
  if (!running_) return;
  running_ = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++generation_;
  }
  changed_.notify_all();
  stop_data_locked();
  if (control_) {
    control_->stop();
    control_thread_.join();
    control_.reset();
  }
}

Status FakeDownstream::start_data_locked() {
  data_ = make_server(options_, !options_.tls_cert.empty());
  if (!data_->is_valid()) {
    data_.reset();
    return Status::invalid_argument("fake downstream: cannot load the TLS certificate or key");
  }
  data_->Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    handle_delivery(req, res);
  });
  const int bound = bind_server(*data_, options_.host, port());
  if (bound <= 0) {
    data_.reset();
    return Status::io_error("fake downstream: cannot bind " + options_.host);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    port_ = bound;
  }
  data_thread_ = run_listener(*data_);
  return Status::ok();
}

void FakeDownstream::stop_data_locked() {
  if (!data_) return;
  data_->stop();
  data_thread_.join();
  data_.reset();
}

Status FakeDownstream::start_control() {
  control_ = make_server(options_, false);
  control_->Post("/control", [this](const httplib::Request& req, httplib::Response& res) {
    Result<std::string> r = control(req.body);
    if (!r) return answer(res, 400, {{"error", r.status().message()}});
    res.set_content(*r, kJson);
  });
  control_->Get("/control", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(script_to_json(script()), kJson);
  });
  control_->Get("/stats", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(stats_json(), kJson);
  });
  control_->Get("/deliveries", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(deliveries_ndjson(deliveries()), "application/x-ndjson");
  });
  control_->Get("/ambiguous", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(deliveries_ndjson(ambiguous()), "application/x-ndjson");
  });
  control_->Post("/clear", [this](const httplib::Request&, httplib::Response& res) {
    clear();
    res.set_content("{}", kJson);
  });
  control_port_ = bind_server(*control_, options_.host, options_.control_port);
  if (control_port_ <= 0) return Status::io_error("fake downstream: cannot bind control port");
  control_thread_ = run_listener(*control_);
  return Status::ok();
}

int FakeDownstream::port() const {
  std::lock_guard<std::mutex> lock(mu_);
  return port_;
}

std::string FakeDownstream::url() const {
  return (options_.tls_cert.empty() ? "http://" : "https://") + options_.host + ":" +
         std::to_string(port()) + "/events";
}

FakeScript FakeDownstream::script() const {
  std::lock_guard<std::mutex> lock(mu_);
  return script_;
}

void FakeDownstream::set_script(const FakeScript& script) {
  std::lock_guard<std::mutex> life(lifecycle_mu_);
  FakeMode old = FakeMode::kUp;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = script_.mode;
    script_ = script;
    ++generation_;
  }
  changed_.notify_all();
  if (!running_) return;
  if (old != FakeMode::kDown && script.mode == FakeMode::kDown) stop_data_locked();
  if (old == FakeMode::kDown && script.mode != FakeMode::kDown) {
    if (Status s = start_data_locked(); !s.is_ok())
      std::fprintf(stderr, "%s\n", s.message().c_str());
  }
}

void FakeDownstream::set_mode(FakeMode mode) {
  FakeScript s = script();
  s.mode = mode;
  set_script(s);
}

Result<std::string> FakeDownstream::control(std::string_view text) {
  Result<FakeScript> next = apply_script_json(script(), text);
  if (!next) return next.status();
  const json j = json::parse(text, nullptr, false);
  if (j.contains("clear") && j["clear"] == true) clear();
  set_script(*next);
  return script_to_json(*next);
}

std::string FakeDownstream::stats_json() const {
  const FakeStats s = stats();
  const json j = {{"mode", mode_name(script().mode)},
                  {"requests", s.requests},
                  {"accepted_batches", s.accepted_batches},
                  {"accepted_events", s.accepted_events},
                  {"unique_events", s.unique_events},
                  {"duplicate_events", s.duplicate_events},
                  {"rejected_batches", s.rejected_batches},
                  {"malformed_batches", s.malformed_batches},
                  {"throttled", s.throttled},
                  {"errors", s.errors},
                  {"ambiguous_batches", s.ambiguous_batches},
                  {"ambiguous_events", s.ambiguous_events},
                  {"hung", s.hung},
                  {"missing_idempotency_key", s.missing_idempotency_key}};
  return j.dump();
}

bool FakeDownstream::wait_for_unique(uint64_t n, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (log_.stats().unique_events < n) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void FakeDownstream::handle_delivery(const httplib::Request& req, httplib::Response& res) {
  log_.count([](FakeStats& s) { s.requests++; });
  FakeScript script;
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    script = script_;
    generation = generation_;
  }
  switch (script.mode) {
    case FakeMode::kUp:
      return accept(req, res, script, generation);
    case FakeMode::kError:
      log_.count([](FakeStats& s) { s.errors++; });
      return answer_retry(res, script.error_status,
                          script.error_retry_after ? script.retry_after_s : 0, "scripted error");
    case FakeMode::kThrottle:
      log_.count([](FakeStats& s) { s.throttled++; });
      return answer_retry(res, 429, script.retry_after_s, "scripted throttle");
    case FakeMode::kHang:
      return hang(req, generation);
    case FakeMode::kResetAfterBody:
      record_ambiguous(req);
      close_connection_of(req);
      return;
    case FakeMode::kTrickle:
      record_ambiguous(req);
      return trickle(res, script.trickle_interval, generation);
    case FakeMode::kDown:
      close_connection_of(req);
      return;
  }
}

void FakeDownstream::accept(const httplib::Request& req, httplib::Response& res,
                            const FakeScript& script, uint64_t generation) {
  const std::string key = req.get_header_value("Idempotency-Key");
  const bool keep_events = log_.keep_payloads() || !script.reject_marker.empty();
  Result<std::vector<FakeDelivery>> batch = parse_batch(req.body, key, keep_events);
  if (!batch) {
    log_.count([](FakeStats& s) { s.malformed_batches++; });
    return answer(res, 400, {{"error", batch.status().message()}});
  }
  if (!script.reject_marker.empty()) {
    if (auto hit = find_marker(*batch, script.reject_marker)) {
      log_.count([](FakeStats& s) { s.rejected_batches++; });
      return answer(res, 400,
                    {{"error", "rejected: event contains marker"},
                     {"marker", script.reject_marker},
                     {"account", hit->account},
                     {"seq", hit->seq}});
    }
  }
  if (script.capacity > 0) {
    const Admission a = admit(batch->size(), script);
    if (!a.admitted) {
      log_.count([](FakeStats& s) { s.throttled++; });
      return answer_retry(res, 429, a.retry_after_s, "over capacity");
    }
    if (a.wait_s > 0 && wait_changed(generation, std::chrono::duration<double>(a.wait_s)) &&
        this->script().mode != FakeMode::kUp) {
      return answer_retry(res, 503, 1, "script changed while delayed");
    }
  }
  const bool id_ok = !batch->empty() && key == batch->front().batch_id;
  const double now = wall_seconds();
  for (auto& d : *batch) {
    d.delivered_at = now;
    if (!log_.keep_payloads()) d.event.clear();
  }
  const size_t n = batch->size();
  if (!id_ok && n > 0) log_.count([](FakeStats& s) { s.missing_idempotency_key++; });
  log_.record_accepted(std::move(batch).value());
  answer(res, 200, {{"accepted", n}});
}

void FakeDownstream::record_ambiguous(const httplib::Request& req) {
  Result<std::vector<FakeDelivery>> batch =
      parse_batch(req.body, req.get_header_value("Idempotency-Key"));
  if (!batch) return;
  const double now = wall_seconds();
  for (auto& d : *batch) d.delivered_at = now;
  log_.record_ambiguous(std::move(batch).value());
}

void FakeDownstream::hang(const httplib::Request& req, uint64_t generation) {
  log_.count([](FakeStats& s) { s.hung++; });
  {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return generation_ != generation; });
  }
  close_connection_of(req);
}

void FakeDownstream::trickle(httplib::Response& res, std::chrono::milliseconds interval,
                             uint64_t generation) {
  res.status = 200;
  res.set_chunked_content_provider(kJson,
                                   [this, interval, generation](size_t, httplib::DataSink& sink) {
                                     if (!sink.write(" ", 1)) return false;
                                     return !wait_changed(generation, interval);
                                   });
}

bool FakeDownstream::wait_changed(uint64_t generation, std::chrono::duration<double> d) {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, d, [&] { return generation_ != generation; });
}

// kDelay: the downstream serves batches one after another at `capacity` events/s, so a batch
// of n completes n/C after the previous one (the fairsim.py model); with several workers, each
// serves its batches one after another at capacity / workers, and a batch goes to the worker
// free first. kThrottle: a token bucket holding one second of capacity (or one batch, if
// larger).
FakeDownstream::Admission FakeDownstream::admit(size_t events, const FakeScript& script) {
  const double n = static_cast<double>(events);
  const double c = script.capacity;
  const double now = steady_seconds();
  std::lock_guard<std::mutex> lock(mu_);
  if (script.capacity_mode == CapacityMode::kDelay) {
    next_free_s_.resize(static_cast<size_t>(std::max(1, script.workers)), 0.0);
    auto free = std::min_element(next_free_s_.begin(), next_free_s_.end());
    const double start = std::max(now, *free);
    const double ready =
        start + script.request_cost_ms / 1000.0 + n * static_cast<double>(next_free_s_.size()) / c;
    if ((ready - now) * 1000.0 > static_cast<double>(script.max_delay.count()))
      return {false, 0, std::max(1, static_cast<int>(std::ceil(start - now)))};
    *free = ready;
    return {true, ready - now, 0};
  }
  const double burst = std::max(c, n);
  tokens_ = tokens_ < 0 ? burst : std::min(burst, tokens_ + (now - tokens_at_s_) * c);
  tokens_at_s_ = now;
  if (tokens_ >= n) {
    tokens_ -= n;
    return {true, 0, 0};
  }
  return {false, 0, std::max(1, static_cast<int>(std::ceil((n - tokens_) / c)))};
}

}  // namespace spillway::test
