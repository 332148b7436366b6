// The runtime in one page: a coroutine "request" that calls blocking code through sync_to_async, which
// calls back into async code through async_to_sync — all on the loop and the request's one sync thread.
#include <duet/runtime.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

duet::Local<std::string> request_id;

std::string thread_name() {
  std::ostringstream out;
  out << (duet::in_event_loop() ? "loop thread " : "sync thread ") << std::hex
      << (std::hash<std::thread::id>{}(std::this_thread::get_id()) & 0xffff);
  return out.str();
}

duet::Task<int> fetch_answer() {
  std::printf("  [%s] fetch_answer(): awaiting a 50 ms sleep without blocking the loop\n",
              thread_name().c_str());
  co_await duet::sleep(50ms);
  co_return 42;
}

int legacy_blocking_code() {
  std::printf("  [%s] legacy_blocking_code() for request %s\n", thread_name().c_str(),
              request_id.get()->c_str());
  try {
    duet::ensure_sync_context("legacy_blocking_code()");
  } catch (const duet::SynchronousOnlyOperation&) {
    std::printf("  unexpected: blocking code was refused on a sync thread\n");
  }
  // Back to async code from sync code: runs on the request's loop while this thread waits.
  return duet::async_to_sync([] { return fetch_answer(); });
}

duet::Task<void> handle_request(int n) {
  request_id.set("req-" + std::to_string(n));
  std::printf("[%s] request %d starts\n", thread_name().c_str(), n);
  int answer = co_await duet::sync_to_async([] { return legacy_blocking_code(); });
  auto [a, b] = co_await duet::gather(fetch_answer(), fetch_answer());
  std::printf("[%s] request %d: answer %d, gathered %d and %d\n", thread_name().c_str(), n, answer, a, b);
  try {
    co_await duet::with_timeout(duet::sleep(1s), 20ms);
  } catch (const duet::TimeoutError& e) {
    std::printf("[%s] request %d: with_timeout: %s\n", thread_name().c_str(), n, e.what());
  }
}

}  // namespace

int main() {
  duet::Runtime runtime;
  std::printf("duet runtime demo: %zu event loops, up to %zu sync threads\n", runtime.loop_count(),
              runtime.max_sync_threads());
  for (int n = 1; n <= 2; ++n)
    runtime.block_on(handle_request(n), "demo request " + std::to_string(n));
  std::printf("done\n");
}
