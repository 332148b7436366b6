// The client's benchmarks, printed as a table:
//  1. plaintext: the AsyncClient's own requests/s against a local duet endpoint, next to wrk's on the same
//     endpoint in the same run (same connection count, one thread/loop each);
//  2. fan-out: requests/s and p99 of an aggregating view (ten calls to a backend that sleeps 100 ms), async
//     client + gather vs blocking client in a loop in a sync view, at 100 and 1,000 concurrent clients (wrk).
//
//   client_bench [--seconds N] [--only plaintext|fanout|serve]   (serve: only the server, for N seconds,
//                                                               to probe with curl, wrk or perf)
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <duet/client/client.hpp>
#include <duet/conf/settings.hpp>
#include <duet/handlers/asgi.hpp>
#include <duet/http/response.hpp>
#include <duet/runtime.hpp>
#include <duet/server/server.hpp>
#include <duet/urls/resolvers.hpp>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using duet::Task;
using duet::http::HttpRequest;
using duet::http::HttpResponse;

namespace {

std::string upstream;  // http://127.0.0.1:<port>

duet::client::ClientOptions gateway_options() {
  // 1,000 clients x 10 calls: let the pool open what the fan-out needs.
  return {.timeout = duet::client::Timeout::all(60s), .max_connections_per_origin = 20'000};
}
duet::client::AsyncClient& async_client() {
  static duet::client::AsyncClient client(gateway_options());
  return client;
}
duet::client::Client& sync_client() {
  static duet::client::Client client(gateway_options());
  return client;
}

HttpResponse plaintext(HttpRequest&) {
  return HttpResponse("Hello, World!", 200, "text/plain");
}

Task<HttpResponse> backend(HttpRequest&) {
  co_await duet::sleep(100ms);
  co_return HttpResponse("{\"ok\":true}", 200, "application/json");
}

Task<HttpResponse> fanout_async(HttpRequest&) {
  std::vector<Task<duet::client::Response>> calls;
  for (int i = 0; i < 10; ++i)
    calls.push_back(async_client().get(upstream + "/backend/"));
  auto responses = co_await duet::gather(std::move(calls));
  co_return HttpResponse(std::to_string(responses.size()), 200, "text/plain");
}

HttpResponse fanout_sync(HttpRequest&) {
  int ok = 0;
  for (int i = 0; i < 10; ++i)
    ok += sync_client().get(upstream + "/backend/").is_success();
  return HttpResponse(std::to_string(ok), 200, "text/plain");
}

struct WrkResult {
  double requests_per_second = 0;
  std::string p99 = "?";
  std::string errors;
};

/// Runs wrk with only stdin/stdout/stderr open. Asio opens sockets without close-on-exec, so a popen'd wrk
/// inherited every socket of this process (the gateway's pooled upstream connections, the server's accepted
/// ones): its own sockets then got descriptor numbers past the epoll set wrk sizes for its connections
/// (10 + 3 x connections), and wrk counted each one it could not register as a "connect" error. That, not
/// the server, was the 98-of-100 connect errors of the blocking fan-out row (it ran after the async row had
/// opened ~2,000 sockets).
WrkResult wrk(const std::string& url, int connections, int seconds, int threads = 2) {
  std::vector<std::string> args = {"wrk",
                                   "--latency",
                                   "-t" + std::to_string(threads),
                                   "-c" + std::to_string(connections),
                                   "-d" + std::to_string(seconds) + "s",
                                   "--timeout",
                                   "30s",
                                   url};
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  WrkResult result;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return result;
  pid_t pid = ::fork();
  if (pid < 0) return result;
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close_range(3, ~0U, 0);
    ::execvp("wrk", argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  FILE* pipe = ::fdopen(fds[0], "r");
  char line[512];
  while (std::fgets(line, sizeof line, pipe)) {
    std::string text(line);
    if (text.find("Requests/sec:") != std::string::npos) {
      result.requests_per_second = std::atof(text.c_str() + text.find(':') + 1);
    } else if (text.find(" 99%") != std::string::npos) {
      auto start = text.find_first_not_of(' ', text.find('%') + 1);
      result.p99 = text.substr(start, text.find_last_not_of(" \n") - start + 1);
    } else if (text.find("Socket errors") != std::string::npos || text.find("Non-2xx") != std::string::npos) {
      result.errors += text.substr(0, text.find_last_not_of(" \n") + 1) + "; ";
    }
  }
  std::fclose(pipe);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return result;
}

/// `workers` coroutines on one loop, each sending GETs back to back for `seconds`.
double client_requests_per_second(const std::string& url, int workers, int seconds) {
  duet::Runtime runtime(duet::RuntimeOptions{.loops = 1});
  duet::client::AsyncClient client({.max_connections_per_origin = static_cast<std::size_t>(workers)});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  auto started = std::chrono::steady_clock::now();
  std::uint64_t done = runtime.block_on([&]() -> Task<std::uint64_t> {
    std::vector<Task<std::uint64_t>> loops;
    for (int i = 0; i < workers; ++i) {
      loops.push_back([](duet::client::AsyncClient& c, std::string u,
                         std::chrono::steady_clock::time_point end) -> Task<std::uint64_t> {
        std::uint64_t n = 0;
        while (std::chrono::steady_clock::now() < end) {
          auto response = co_await c.get(u);
          n += response.status_code == 200;
        }
        co_return n;
      }(client, url, deadline));
    }
    auto counts = co_await duet::gather(std::move(loops));
    std::uint64_t total = 0;
    for (auto n : counts)
      total += n;
    co_return total;
  }());
  return static_cast<double>(done) /
         std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 5;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::max(1, std::atoi(argv[i + 1]));
    if (!std::strcmp(argv[i], "--only")) only = argv[i + 1];
  }
  duet::conf::Settings settings;
  settings.DEBUG = false;
  settings.ALLOWED_HOSTS = {"127.0.0.1"};
  settings.ROOT_URLCONF = "bench.urls";
  settings.MIDDLEWARE = {};
  duet::conf::configure(settings);
  duet::urls::register_urlconf("bench.urls", {
                                                 duet::urls::path("plaintext/", plaintext),
                                                 duet::urls::path("backend/", backend),
                                                 duet::urls::path("fanout/async/", fanout_async),
                                                 duet::urls::path("fanout/sync/", fanout_sync),
                                             });
  // The server: one loop for the plaintext comparison (the client and wrk get the other core).
  duet::Runtime server_runtime(duet::RuntimeOptions{.loops = only == "fanout" ? 2u : 1u, .sync_threads = 64});
  duet::server::ServerOptions server_options;
  server_options.port = 0;
  server_options.limits.max_connections = 200'000;
  duet::server::Server server(server_runtime, duet::handlers::get_asgi_application(), server_options);
  server.start();
  upstream = "http://127.0.0.1:" + std::to_string(server.port());
  std::printf("server on %s, %d s per run\n", upstream.c_str(), seconds);
  std::fflush(stdout);

  if (only == "serve") {
    // For probing by hand (curl, wrk, perf): serve for `seconds`, then stop as the runs do.
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
  }
  if (only.empty() || only == "plaintext") {
    for (int connections : {1, 64}) {
      auto url = upstream + "/plaintext/";
      double client = client_requests_per_second(url, connections, seconds);
      auto peer = wrk(url, connections, seconds, 1);
      std::printf("plaintext c=%-4d  duet AsyncClient %9.0f req/s   wrk %9.0f req/s   ratio %.2f\n",
                  connections, client, peer.requests_per_second,
                  peer.requests_per_second > 0 ? client / peer.requests_per_second : 0);
      std::fflush(stdout);
    }
  }
  if (only.empty() || only == "fanout") {
    for (int connections : {100, 1000}) {
      for (const char* mode : {"async", "sync"}) {
        auto result = wrk(upstream + "/fanout/" + mode + "/", connections, seconds);
        std::printf("fan-out 10x100ms c=%-5d %-5s  %8.1f req/s   p99 %-9s %s\n", connections, mode,
                    result.requests_per_second, result.p99.c_str(), result.errors.c_str());
        std::fflush(stdout);
      }
    }
  }
  // wrk has gone, but blocking fan-out views already running finish their ten calls (a sync view cannot be
  // interrupted): let them, rather than shut down under them and log their refused calls as 500s.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  server.shutdown();
  server.wait();
  return 0;
}
