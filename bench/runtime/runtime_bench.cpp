// Runtime figures of DESIGN.md §4, printed as `name: value unit`, with Python's asgiref/asyncio measured in
// the same run for the ratio when Debian's python3-asgiref is installed.
//
//   build/bench/runtime/runtime_bench [--tasks N] [--threads N] [--no-peers] [--gather-only N
//   [ready|yielding]]
//
// --gather-only N [ready|yielding] runs just N gathers of each kind (or of one): the difference between two
// callgrind runs with different N gives instructions per gather.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <duet/runtime.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

long rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6) * 1024;
  }
  return 0;
}

double median_us(std::vector<double>& samples) {
  std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
  return samples[samples.size() / 2];
}

double us_since(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

void print(const char* name, double value, const char* unit) {
  std::printf("%s: %.3f %s\n", name, value, unit);
}

constexpr int kRoundTrips = 20000;

void measure_adapters(duet::Runtime& runtime) {
  auto sync_to_async_us = runtime.block_on([]() -> duet::Task<double> {
    std::vector<double> samples;
    samples.reserve(kRoundTrips);
    for (int i = 0; i < kRoundTrips + 1000; ++i) {
      auto start = Clock::now();
      co_await duet::sync_to_async([] {});
      if (i >= 1000) samples.push_back(us_since(start));  // the first ones start the strand thread
    }
    co_return median_us(samples);
  }());
  print("sync_to_async round trip (median)", sync_to_async_us, "us");

  auto async_to_sync_us = runtime.block_on([]() -> duet::Task<double> {
    co_return co_await duet::sync_to_async([] {
      std::vector<double> samples;
      samples.reserve(kRoundTrips);
      for (int i = 0; i < kRoundTrips + 1000; ++i) {
        auto start = Clock::now();
        duet::async_to_sync([]() -> duet::Task<void> { co_return; });
        if (i >= 1000) samples.push_back(us_since(start));
      }
      return median_us(samples);
    });
  }());
  print("async_to_sync from a strand (median)", async_to_sync_us, "us");

  std::vector<double> samples;
  for (int i = 0; i < 2000; ++i) {
    auto start = Clock::now();
    duet::async_to_sync([]() -> duet::Task<void> { co_return; });
    if (i >= 100) samples.push_back(us_since(start));
  }
  print("async_to_sync from a plain thread (median)", median_us(samples), "us");
}

duet::Task<void> sleeping_task(std::atomic<long>& started, std::atomic<long>& finished) {
  started.fetch_add(1, std::memory_order_relaxed);
  co_await duet::sleep(2s);
  finished.fetch_add(1, std::memory_order_relaxed);
}

void measure_tasks(long count) {
  duet::Runtime runtime(duet::RuntimeOptions{.loops = 1});
  std::atomic<long> started{0}, finished{0};
  long rss_before = rss_bytes();
  auto start = Clock::now();
  auto& loop = runtime.loop(0);
  // Spawned from the loop itself, as a server spawns per-connection tasks.
  boost::asio::co_spawn(
      loop,
      [&]() -> duet::Task<void> {
        for (long i = 0; i < count; ++i) {
          boost::asio::co_spawn(loop, sleeping_task(started, finished), boost::asio::detached);
        }
        co_return;
      },
      boost::asio::detached);
  while (started.load() < count)
    std::this_thread::sleep_for(1ms);
  long rss_suspended = rss_bytes();
  while (finished.load() < count)
    std::this_thread::sleep_for(1ms);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  print("suspended task memory", double(rss_suspended - rss_before) / count, "bytes/task");
  print("tasks spawned, slept 2 s and finished", double(count), "tasks");
  print("tasks total time", seconds, "s");
}

void measure_threads(int count) {
  long rss_before = rss_bytes();
  std::atomic<int> started{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  threads.reserve(count);
  for (int i = 0; i < count; ++i) {
    threads.emplace_back([&] {
      started.fetch_add(1);
      std::this_thread::sleep_for(2s);
    });
  }
  while (started.load() < count)
    std::this_thread::sleep_for(1ms);
  long rss_running = rss_bytes();
  for (auto& t : threads)
    t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  print("OS threads sleeping 2 s", double(count), "threads");
  print("OS thread memory (RSS)", double(rss_running - rss_before) / count, "bytes/thread");
  print("OS threads total time", seconds, "s");
}

duet::Task<int> ready_child(int value) {
  co_return value;
}

// Suspends once, as a child awaiting a query does: its result comes back through the loop.
duet::Task<int> yielding_child(int value) {
  auto executor = co_await boost::asio::this_coro::executor;
  auto yield = boost::asio::post(executor, boost::asio::deferred);
  co_await std::move(yield);
  co_return value;
}

constexpr int kGatherWidth = 20;  // TFB's /queries?queries=20

// Runs `count` gathers of kGatherWidth children made by `child` and returns the mean time per gather.
double gather_ns(duet::Runtime& runtime, long count, duet::Task<int> (*child)(int)) {
  return runtime.block_on([](long count, duet::Task<int> (*child)(int)) -> duet::Task<double> {
    long checksum = 0;
    auto start = Clock::now();
    for (long i = 0; i < count; ++i) {
      std::vector<duet::Task<int>> tasks;
      tasks.reserve(kGatherWidth);
      for (int j = 0; j < kGatherWidth; ++j)
        tasks.push_back(child(j));
      auto values = co_await duet::gather(std::move(tasks));
      checksum += values.back();
    }
    double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / double(count);
    if (checksum != long(kGatherWidth - 1) * count) std::abort();
    co_return ns;
  }(count, child));
}

// `kind`: "ready", "yielding" or null for both.
void measure_gather(long count, const char* kind = nullptr) {
  duet::Runtime runtime(duet::RuntimeOptions{.loops = 1});
  if (!kind || !std::strcmp(kind, "ready"))
    print("gather of 20 ready tasks (mean)", gather_ns(runtime, count, &ready_child), "ns");
  if (!kind || !std::strcmp(kind, "yielding"))
    print("gather of 20 tasks that suspend once (mean)", gather_ns(runtime, count, &yielding_child), "ns");
}

}  // namespace

int main(int argc, char** argv) {
  long tasks = 1'000'000;
  int threads = 10'000;
  bool peers = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--tasks") && i + 1 < argc) tasks = std::atol(argv[++i]);
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--no-peers")) peers = false;
    if (!std::strcmp(argv[i], "--gather-only") && i + 1 < argc) {
      long count = std::atol(argv[++i]);
      measure_gather(count, i + 1 < argc ? argv[i + 1] : nullptr);
      return 0;
    }
  }
  {
    duet::Runtime runtime(duet::RuntimeOptions{.loops = 1});
    measure_adapters(runtime);
  }
  measure_gather(100'000);
  measure_tasks(tasks);
  measure_threads(threads);
  if (peers) {
    std::string dir = argv[0];
    dir = dir.substr(0, dir.find_last_of('/') + 1);
    std::string command = "/usr/bin/python3 " + dir + "peers.py --tasks " + std::to_string(tasks);
    std::fflush(stdout);
    if (std::system(command.c_str()) != 0) std::printf("peers: not measured (see above)\n");
  }
}
