// What a thread knows about the event loop it runs, if any.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <mutex>
#include <string>

namespace duet {
class Runtime;
}

namespace duet::detail {

/// Shared between a loop thread and the watchdog: what the loop is running right now.
struct LoopActivity {
  std::mutex mutex;
  // Points into the running handler's Context, which that handler keeps alive while this is set.
  const std::string* running = nullptr;
};

struct LoopThread {
  boost::asio::io_context* loop = nullptr;
  Runtime* runtime = nullptr;
  std::size_t index = 0;
  // Non-null while the watchdog is on.
  LoopActivity* activity = nullptr;
};

/// Set for the lifetime of a thread that runs a duet loop; null elsewhere.
extern thread_local LoopThread* this_loop_thread;

}  // namespace duet::detail
