#include "transaction_boundary.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "duet/runtime/context.hpp"

namespace duet::db::detail {

namespace {

struct OpenBlocks {
  std::mutex mutex;
  std::vector<std::pair<std::thread::id, std::string>> blocks;
  // Read without the lock: most native queries run when no thread has a block open at all.
  std::atomic<std::size_t> count{0};
};

OpenBlocks& open_blocks() {
  static OpenBlocks* registry = new OpenBlocks;  // never destroyed: threads may close blocks at exit
  return *registry;
}

}  // namespace

void note_sync_atomic_block(std::string_view alias, bool open) {
  auto& registry = open_blocks();
  const auto me = std::this_thread::get_id();
  std::lock_guard lock(registry.mutex);
  if (open) {
    registry.blocks.emplace_back(me, std::string(alias));
    registry.count.fetch_add(1, std::memory_order_release);
    return;
  }
  auto it = std::find_if(registry.blocks.begin(), registry.blocks.end(),
                         [&](const auto& block) { return block.first == me && block.second == alias; });
  if (it == registry.blocks.end()) return;
  registry.blocks.erase(it);
  registry.count.fetch_sub(1, std::memory_order_release);
}

bool flow_sync_code_in_atomic_block(std::string_view alias) {
  auto& registry = open_blocks();
  if (registry.count.load(std::memory_order_acquire) == 0) return false;
  const Context* flow = Context::current();
  if (!flow) return false;
  const auto thread = flow->sync_thread();
  if (thread == std::thread::id{}) return false;
  std::lock_guard lock(registry.mutex);
  return std::any_of(registry.blocks.begin(), registry.blocks.end(),
                     [&](const auto& block) { return block.first == thread && block.second == alias; });
}

}  // namespace duet::db::detail
