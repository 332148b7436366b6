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
  // run_loop()'s mode (runtime.cpp): inside io_context::run(), which a sync job submitted from this thread
  // makes it leave (leave_run_for_sync_work), and whether that is under way.
  bool in_run = false;
  bool leave_posted = false;
  bool leaving_run = false;
};

/// Called on a loop thread that runs io_context::run() when it submits a sync job: the loop goes back to
/// polling (and spinning before it sleeps) once the handlers already queued have run.
void leave_run_for_sync_work(LoopThread& thread);

/// Set for the lifetime of a thread that runs a duet loop; null elsewhere.
extern thread_local LoopThread* this_loop_thread;

}  // namespace duet::detail
