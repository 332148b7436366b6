#include "transaction_boundary.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "duet/runtime/context.hpp"

namespace duet::db::detail {

namespace {

// Each thread that opens a sync atomic block gets a record, found by the thread's id. Records live in an
// append-only list that readers walk without a lock (a native a-call asks about the thread serving its
// flow's strand, not about itself); a record whose thread has exited is claimed again by the next thread.
// The only lock is the record's own, taken by its thread and by a reader asking about that thread while it
// has a block open: no lock is shared by all threads on the a-calls' path.
struct ThreadRecord {
  std::atomic<std::thread::id> owner;
  std::atomic<std::size_t> open{0};
  std::mutex mutex;
  std::vector<std::string> aliases;  // guarded by mutex
  ThreadRecord* next = nullptr;      // set once, before the record is published
};

struct Registry {
  std::atomic<ThreadRecord*> head{nullptr};
  // Blocks open in the whole process: while zero (the usual case of an async server) a native query does
  // not look further.
  std::atomic<std::size_t> open{0};
};

Registry& registry() {
  static Registry* instance = new Registry;  // never destroyed: threads may close blocks at exit
  return *instance;
}

ThreadRecord* find_record(std::thread::id thread) {
  for (ThreadRecord* record = registry().head.load(std::memory_order_acquire); record;
       record = record->next) {
    if (record->owner.load(std::memory_order_acquire) == thread) return record;
  }
  return nullptr;
}

ThreadRecord* claim_record() {
  const auto me = std::this_thread::get_id();
  auto& reg = registry();
  for (ThreadRecord* record = reg.head.load(std::memory_order_acquire); record; record = record->next) {
    std::thread::id free{};
    if (record->owner.compare_exchange_strong(free, me, std::memory_order_acq_rel)) return record;
  }
  auto* record = new ThreadRecord;  // never freed: readers may hold it; reused after its thread exits
  record->owner.store(me, std::memory_order_relaxed);
  record->next = reg.head.load(std::memory_order_relaxed);
  while (!reg.head.compare_exchange_weak(record->next, record, std::memory_order_release,
                                         std::memory_order_relaxed)) {
  }
  return record;
}

// The calling thread's record, released for reuse when the thread exits.
struct OwnRecord {
  ThreadRecord* record = nullptr;
  ~OwnRecord() {
    if (!record) return;
    {
      std::lock_guard lock(record->mutex);
      registry().open.fetch_sub(record->aliases.size(), std::memory_order_release);
      record->aliases.clear();
      record->open.store(0, std::memory_order_release);
    }
    record->owner.store(std::thread::id{}, std::memory_order_release);
  }
};

ThreadRecord& own_record() {
  thread_local OwnRecord own;
  if (!own.record) own.record = claim_record();
  return *own.record;
}

}  // namespace

void note_sync_atomic_block(std::string_view alias, bool open) {
  auto& record = own_record();
  std::lock_guard lock(record.mutex);
  if (open) {
    record.aliases.emplace_back(alias);
    record.open.fetch_add(1, std::memory_order_release);
    registry().open.fetch_add(1, std::memory_order_release);
    return;
  }
  auto it = std::find(record.aliases.begin(), record.aliases.end(), alias);
  if (it == record.aliases.end()) return;
  record.aliases.erase(it);
  record.open.fetch_sub(1, std::memory_order_release);
  registry().open.fetch_sub(1, std::memory_order_release);
}

bool flow_sync_code_in_atomic_block(std::string_view alias) {
  if (registry().open.load(std::memory_order_acquire) == 0) return false;
  const Context* flow = Context::current();
  if (!flow) return false;
  const auto thread = flow->sync_thread();
  if (thread == std::thread::id{}) return false;
  ThreadRecord* record = find_record(thread);
  if (!record || record->open.load(std::memory_order_acquire) == 0) return false;
  std::lock_guard lock(record->mutex);
  return record->owner.load(std::memory_order_acquire) == thread &&
         std::find(record->aliases.begin(), record->aliases.end(), alias) != record->aliases.end();
}

}  // namespace duet::db::detail
