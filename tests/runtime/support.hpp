// Helpers shared by the runtime tests.
#pragma once

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <duet/runtime.hpp>
#include <future>
#include <string>
#include <thread>
#include <utility>

namespace duet::testing {

/// Starts `task` in a new flow of `runtime` and returns a future for its result: lets a test run two
/// "requests" at once.
template <class T>
std::future<T> start_request(Runtime& runtime, Task<T> task, std::string label = "test request") {
  return boost::asio::co_spawn(runtime.new_context(std::move(label))->executor(), std::move(task),
                               boost::asio::use_future);
}

/// A Local value that counts its destructions: shows when a flow's Local values go.
struct Counted {
  explicit Counted(std::atomic<int>* destroyed) : destroyed(destroyed) {}
  Counted(Counted&& other) noexcept : destroyed(std::exchange(other.destroyed, nullptr)) {}
  ~Counted() {
    if (destroyed) ++*destroyed;
  }
  std::atomic<int>* destroyed;
};

}  // namespace duet::testing
