#include "duet/runtime/context.hpp"

#include <algorithm>
#include <utility>

#include "context_executor.hpp"
#include "duet/runtime/local.hpp"
#include "sync_pool.hpp"

namespace duet {

namespace {
thread_local Context* this_thread_context = nullptr;
}

namespace detail {
std::size_t next_local_id() noexcept {
  static std::atomic<std::size_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace detail

Context::Context(boost::asio::io_context& loop, detail::SyncPool& pool, std::string label)
    : loop_(&loop), pool_(&pool), label_(std::move(label)) {}

Context::~Context() {
  for (auto& local : locals_)
    local.destroy(local.value);
  if (strand_leased_) pool_->release(strand_.load(std::memory_order_acquire));
}

ContextPtr Context::create(boost::asio::io_context& loop, detail::SyncPool& pool, std::string label) {
  return ContextPtr(new Context(loop, pool, std::move(label)));
}

Context* Context::current() noexcept {
  return this_thread_context;
}

Executor Context::executor() {
  return detail::ContextExecutor<boost::asio::io_context::executor_type>(loop_->get_executor(),
                                                                         ContextPtr(this));
}

std::thread::id Context::sync_thread() const noexcept {
  const detail::SyncStrand* strand = strand_.load(std::memory_order_acquire);
  return strand ? strand->server() : std::thread::id{};
}

void Context::set_strand(detail::SyncStrand* strand, bool leased) noexcept {
  strand_leased_ = leased;
  strand_.store(strand, std::memory_order_release);
}

void Context::set_local(std::size_t id, void* value, void (*destroy)(void*)) {
  void* replaced = nullptr;
  void (*destroy_replaced)(void*) = nullptr;
  {
    std::lock_guard lock(locals_mutex_);
    auto it = std::find_if(locals_.begin(), locals_.end(), [id](const LocalValue& v) { return v.id == id; });
    if (it == locals_.end()) {
      locals_.push_back({id, value, destroy});
    } else {
      replaced = std::exchange(it->value, value);
      destroy_replaced = it->destroy;
    }
  }
  if (replaced) destroy_replaced(replaced);
}

void* Context::find_local(std::size_t id) noexcept {
  std::lock_guard lock(locals_mutex_);
  for (const auto& local : locals_) {
    if (local.id == id) return local.value;
  }
  return nullptr;
}

boost::intrusive_ptr<ContextSlot> ContextSlot::create(boost::asio::io_context& loop) {
  return boost::intrusive_ptr<ContextSlot>(new ContextSlot(loop));
}

Executor ContextSlot::executor() {
  return detail::SlotExecutor<boost::asio::io_context::executor_type>(
      loop_->get_executor(), boost::intrusive_ptr<ContextSlot>(this));
}

void ContextSlot::enter(ContextPtr context) {
  this_thread_context = context.get();
  if (detail::LoopActivity* activity =
          detail::this_loop_thread ? detail::this_loop_thread->activity : nullptr) {
    std::lock_guard lock(activity->mutex);
    activity->running = &context->label();
  }
  context_ = std::move(context);
}

void ContextSlot::leave() noexcept {
  this_thread_context = nullptr;
  if (detail::LoopActivity* activity =
          detail::this_loop_thread ? detail::this_loop_thread->activity : nullptr) {
    // Before the Context (and its label) may go.
    std::lock_guard lock(activity->mutex);
    activity->running = nullptr;
  }
  context_.reset();
}

ContextScope::ContextScope(Context* context) noexcept
    : previous_(std::exchange(this_thread_context, context)) {}

ContextScope::~ContextScope() {
  this_thread_context = previous_;
}

}  // namespace duet
