#include "duet/runtime/context.hpp"

#include <algorithm>
#include <utility>

#include "context_executor.hpp"
#include "duet/runtime/local.hpp"
#include "duet/runtime/runtime.hpp"
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
    : loop_(&loop), label_(std::move(label)), pool_(&pool) {}

Context::~Context() {
  for (auto& local : locals_)
    local.destroy(local.value);
  if (strand_leased_) pool_->release(strand_.load(std::memory_order_acquire));
}

void Context::end_flow() noexcept {
  // Nothing else holds this Context (see ContextSlot::leave()), so no other thread can reach its locals.
  if (has_locals_) {
    for (auto& local : locals_)
      local.destroy(local.value);
    locals_.clear();
    has_locals_ = false;
  }
  if (strand_leased_) pool_->release(strand_.load(std::memory_order_acquire));
  strand_leased_ = false;
  strand_.store(nullptr, std::memory_order_relaxed);
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
      has_locals_ = true;
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
  // Only the slot holds it: no task, sync call or handle of the flow is left, so ending it here is what its
  // destruction would do, and the object can serve the next flow (enter_new()).
  if (context_ && context_->use_count() == 1) {
    context_->end_flow();
    spare_ = std::move(context_);
  } else {
    context_.reset();
  }
}

void ContextSlot::enter_new(Runtime& runtime, std::string_view head, std::string_view tail) {
  if (!spare_ || &spare_->loop() != loop_) {
    std::string label;
    label.reserve(head.size() + 1 + tail.size());
    label.append(head).append(" ").append(tail);
    enter(runtime.new_context(*loop_, std::move(label)));
    return;
  }
  spare_->label_.assign(head).append(" ").append(tail);
  enter(std::move(spare_));
}

ContextScope::ContextScope(Context* context) noexcept
    : previous_(std::exchange(this_thread_context, context)) {}

ContextScope::~ContextScope() {
  this_thread_context = previous_;
}

}  // namespace duet
