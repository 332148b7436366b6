// The command-line front every example binary shares: --host --port --workers --threads --mode ...
#pragma once

#include <cstddef>
#include <string>

#include "duet/asgi/application.hpp"
#include "duet/asgi/sync.hpp"
#include "duet/server/options.hpp"

namespace duet::server {

enum class Mode { async, threaded };

struct CommandLine {
  ServerOptions server;
  /// Event-loop threads (async mode); 0: one per core.
  std::size_t workers = 0;
  Mode mode = Mode::async;
  bool help = false;
};

/// Parses --host H, --port P, --unix PATH, --workers N, --threads N, --mode async|threaded,
/// --access-log / --no-access-log, --graceful-timeout SECONDS, --help, starting from `defaults`.
/// Throws std::invalid_argument naming the bad argument.
CommandLine parse_command_line(int argc, const char* const* argv, CommandLine defaults = {});

/// The usage text.
std::string usage(const char* program);

/// main() of a site: parses the command line, then serves `app` on the async server (async mode) or
/// `sync_app` on the thread-per-connection server (threaded mode) until SIGINT/SIGTERM. Either application
/// may be empty: the other is adapted (asgi::from_sync / asgi::to_sync). The access log is on unless
/// --no-access-log. Returns the process exit status.
int run_main(int argc, const char* const* argv, asgi::Application app, asgi::SyncApplication sync_app = {},
             CommandLine defaults = {});

}  // namespace duet::server
