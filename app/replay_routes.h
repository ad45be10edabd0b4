#pragma once

namespace spillway {
class Logger;
}
namespace spillway::ingest {
class AdminToken;
class Router;
}  // namespace spillway::ingest
namespace spillway::queue {
class Wal;
}
namespace spillway::replay {
class Drainer;
}

namespace spillway::app {

// Registers the replay-job routes (docs/http_api.md, "Replay jobs"), all behind the admin token:
//   POST   /v1/replays[?dry_run=1] {"from","to","accounts"?,"types"?,"events"?}
//   GET    /v1/replays                  every job with its progress
//   DELETE /v1/replays/{id}             cancel: nothing more is enqueued
// Lives in app/ because a dry run's ETA joins the store (queue) and the drain rate (replay).
// Borrows all; they outlive the router.
void add_replay_routes(ingest::Router& router, replay::Drainer& drainer, queue::Wal& wal,
                       const ingest::AdminToken& token, Logger& log);

}  // namespace spillway::app
