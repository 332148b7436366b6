#include "duet/server/command_line.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "duet/runtime/runtime.hpp"
#include "duet/server/server.hpp"
#include "duet/server/threaded_server.hpp"

namespace duet::server {

namespace {
std::size_t parse_number(std::string_view flag, std::string_view text, std::size_t max) {
  std::size_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || p != text.data() + text.size() || n > max) {
    throw std::invalid_argument(std::string(flag) + ": expected a number up to " + std::to_string(max) +
                                ", got '" + std::string(text) + "'");
  }
  return n;
}
}  // namespace

std::string usage(const char* program) {
  return std::string("usage: ") + program +
         " [--host HOST] [--port PORT] [--unix PATH] [--workers N] [--threads N]\n"
         "       [--mode async|threaded] [--access-log|--no-access-log] [--graceful-timeout SECONDS]\n"
         "       [--certfile PEM --keyfile PEM]\n"
         "  --host HOST              address or name to listen on (default 127.0.0.1)\n"
         "  --port PORT              TCP port (default 8000; 0 picks a free one)\n"
         "  --unix PATH              listen on a Unix socket instead of TCP\n"
         "  --workers N              event-loop threads in async mode (default: one per core)\n"
         "  --threads N              async: sync-pool threads; threaded: connection threads (default 64)\n"
         "  --mode async|threaded    event loops + coroutines, or one thread per connection\n"
         "  --no-access-log          do not log each request to stdout\n"
         "  --graceful-timeout S     seconds in-flight requests get on SIGTERM/SIGINT (default 30)\n"
         "  --certfile PEM           serve HTTPS/wss with this certificate chain (async mode, TCP)\n"
         "  --keyfile PEM            the certificate's private key\n";
}

CommandLine parse_command_line(int argc, const char* const* argv, CommandLine defaults) {
  CommandLine line = std::move(defaults);
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    // --flag=value and --flag value both work.
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto next = [&]() -> std::string_view {
      if (!value.empty()) return value;
      if (i + 1 >= argc) throw std::invalid_argument(std::string(arg) + ": missing value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      line.help = true;
    } else if (arg == "--host") {
      line.server.host = next();
    } else if (arg == "--port") {
      line.server.port = static_cast<std::uint16_t>(parse_number(arg, next(), 65535));
    } else if (arg == "--unix") {
      line.server.unix_socket = next();
    } else if (arg == "--workers") {
      line.workers = parse_number(arg, next(), 1024);
    } else if (arg == "--threads") {
      line.server.threads = parse_number(arg, next(), 100'000);
      if (line.server.threads == 0) throw std::invalid_argument("--threads: must be at least 1");
    } else if (arg == "--mode") {
      std::string_view mode = next();
      if (mode == "async") {
        line.mode = Mode::async;
      } else if (mode == "threaded") {
        line.mode = Mode::threaded;
      } else {
        throw std::invalid_argument("--mode: expected async or threaded, got '" + std::string(mode) + "'");
      }
    } else if (arg == "--access-log") {
      line.server.access_log = true;
    } else if (arg == "--no-access-log") {
      line.server.access_log = false;
    } else if (arg == "--graceful-timeout") {
      line.server.graceful_timeout = std::chrono::seconds(parse_number(arg, next(), 24 * 3600));
    } else if (arg == "--certfile") {
      line.server.tls.certfile = next();
    } else if (arg == "--keyfile") {
      line.server.tls.keyfile = next();
    } else {
      throw std::invalid_argument("unknown argument '" + std::string(arg) + "'");
    }
  }
  if (line.server.tls.certfile.empty() != line.server.tls.keyfile.empty())
    throw std::invalid_argument("--certfile and --keyfile go together");
  if (line.server.tls.enabled() && line.mode == Mode::threaded)
    throw std::invalid_argument("--certfile/--keyfile: TLS is served in async mode only");
  return line;
}

int run_main(int argc, const char* const* argv, asgi::Application app, asgi::SyncApplication sync_app,
             CommandLine defaults) {
  const char* program = argc > 0 ? argv[0] : "duet";
  CommandLine line;
  try {
    line = parse_command_line(argc, argv, std::move(defaults));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s: %s\n%s", program, e.what(), usage(program).c_str());
    return 2;
  }
  if (line.help) {
    std::fputs(usage(program).c_str(), stdout);
    return 0;
  }
  if (!app && !sync_app) {
    std::fprintf(stderr, "%s: no application\n", program);
    return 2;
  }
  try {
    if (line.mode == Mode::threaded) {
      if (!sync_app) sync_app = asgi::to_sync(std::move(app));
      ThreadedServer server(std::move(sync_app), line.server);
      return server.serve();
    }
    if (!app) app = asgi::from_sync(std::move(sync_app));
    RuntimeOptions runtime_options;
    runtime_options.loops = line.workers;
    runtime_options.sync_threads = line.server.threads;
    if (const char* spin = std::getenv("DUET_LOOP_SPIN_US"); spin && *spin) {
      runtime_options.loop_spin = std::chrono::microseconds(std::strtol(spin, nullptr, 10));
    }
    Runtime runtime(runtime_options);
    Server server(runtime, std::move(app), line.server);
    return server.serve();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  }
}

}  // namespace duet::server
