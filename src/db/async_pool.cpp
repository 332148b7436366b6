// The per-loop pool registry: one postgresql::Pool per (event loop, alias), kept in an Asio service of the
// loop's io_context so that the pools go away with the loop.
#include <fmt/format.h>

#include <atomic>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/query.hpp>
#include <map>
#include <mutex>

#include "duet/db/backends/postgresql/pool.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/settings.hpp"

namespace duet::db::postgresql {

namespace asio = boost::asio;

namespace {

struct SizingTable {
  std::mutex mutex;
  std::map<std::string, PoolSizing, std::less<>> by_alias;
};

SizingTable& sizing_table() {
  static SizingTable table;
  return table;
}

// Lives as long as the io_context; touched only by the thread running it (a pool is single-threaded).
class PoolRegistry : public asio::execution_context::service {
 public:
  using key_type = PoolRegistry;
  static inline asio::execution_context::id id;

  explicit PoolRegistry(asio::execution_context& context) : service(context) {}
  ~PoolRegistry() override { destroyed_registries().fetch_add(1, std::memory_order_release); }

  /// Counts registries destroyed: a thread's cached registry (loop_pool) is stale once it changes, since a
  /// new io_context may take the address of a destroyed one.
  static std::atomic<std::uint64_t>& destroyed_registries() {
    static std::atomic<std::uint64_t> n{0};
    return n;
  }

  /// Changes whenever a pool is made or dropped: a Pool* remembered with it (loop_pool) is valid while
  /// it stays the same.
  std::uint64_t version() const noexcept { return version_; }

  Pool& get(std::string_view alias, std::uint64_t generation) {
    auto it = pools_.find(alias);
    if (it != pools_.end() && it->second.generation == generation) return *it->second.pool;
    // First use, or a new configuration (the old pool's connections may point at another server).
    auto settings = database_settings(alias);
    if (vendor_of(alias) != "postgresql") {
      throw ImproperlyConfigured(fmt::format(
          "DATABASES['{}'] is not PostgreSQL (ENGINE '{}'): it has no async pool", alias, settings.engine));
    }
    auto sizing = pool_sizing(alias);
    PoolOptions options;
    options.config.conninfo = settings.conninfo();
    options.min_size = sizing.min_size;
    options.max_size = sizing.max_size;
    options.acquire_timeout = sizing.acquire_timeout;
    options.pipeline_depth = sizing.pipeline_depth;
    // The old pool (if any) is closed by its destructor; leases and queries in flight keep its state alive.
    auto& entry = it != pools_.end() ? it->second : pools_[std::string(alias)];
    ++version_;
    entry = {generation, std::make_unique<Pool>(std::move(options))};
    return *entry.pool;
  }

 private:
  void shutdown() override {
    for (auto& [_, entry] : pools_)
      entry.pool->close();
    ++version_;
    pools_.clear();
  }

  struct Entry {
    std::uint64_t generation = 0;
    std::unique_ptr<Pool> pool;
  };
  std::map<std::string, Entry, std::less<>> pools_;
  std::uint64_t version_ = 0;
};

}  // namespace

void set_pool_sizing(std::string_view alias, PoolSizing sizing) {
  if (sizing.max_size == 0) throw ImproperlyConfigured("PostgreSQL pool max_size must be at least 1");
  auto& t = sizing_table();
  std::lock_guard lock(t.mutex);
  t.by_alias.insert_or_assign(std::string(alias), sizing);
}

PoolSizing pool_sizing(std::string_view alias) {
  auto& t = sizing_table();
  std::lock_guard lock(t.mutex);
  auto it = t.by_alias.find(alias);
  return it == t.by_alias.end() ? PoolSizing{} : it->second;
}

Pool& loop_pool(const Executor& executor, std::string_view alias) {
  auto& context = asio::query(executor, asio::execution::context);
  // Every query asks: the last loop's registry is remembered per thread, which keeps Asio's service lookup
  // (two lookups under the context's mutex) off that path.
  // So is the last alias's pool, with the registry's version and the configuration it was found for: the
  // registry's map lookup is skipped too while neither changes.
  struct Cached {
    asio::execution_context* context = nullptr;
    PoolRegistry* registry = nullptr;
    std::uint64_t destroyed = 0;
    std::string alias;
    Pool* pool = nullptr;
    std::uint64_t version = 0;
    std::uint64_t generation = 0;
  };
  thread_local Cached cached;
  auto destroyed = PoolRegistry::destroyed_registries().load(std::memory_order_acquire);
  if (cached.context != &context || cached.destroyed != destroyed) {
    // Services shut down newest first: the reactor the pool's sockets use must be created before the
    // registry so that it is still there when the registry closes them.
    if (!asio::has_service<PoolRegistry>(context)) asio::posix::stream_descriptor probe(executor);
    cached.context = &context;
    cached.registry = &asio::use_service<PoolRegistry>(context);
    cached.destroyed = destroyed;
    cached.pool = nullptr;
  }
  const auto generation = configuration_generation();
  if (cached.pool && cached.version == cached.registry->version() && cached.generation == generation &&
      cached.alias == alias)
    return *cached.pool;
  Pool& pool = cached.registry->get(alias, generation);
  cached.alias.assign(alias);
  cached.pool = &pool;
  cached.version = cached.registry->version();
  cached.generation = generation;
  return pool;
}

}  // namespace duet::db::postgresql
