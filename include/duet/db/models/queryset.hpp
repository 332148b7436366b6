// QuerySet<T>: lazy, immutable, chainable — every method returns a new QuerySet or runs the query.
#pragma once

#include <atomic>
#include <boost/asio/this_coro.hpp>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "duet/db/connection.hpp"
#include "duet/db/detail/async_query.hpp"
#include "duet/db/detail/on_strand.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/models/model.hpp"
#include "duet/db/models/query.hpp"
#include "duet/db/transaction.hpp"
#include "duet/runtime/safety.hpp"
#include "duet/runtime/sync_to_async.hpp"
#include "duet/runtime/task.hpp"

namespace duet::db {

/// Field values by name, for create(), get_or_create(), update(): {{"title", "Dune"}, {"pages", 412}}.
using Values = std::vector<std::pair<std::string, Value>>;
/// A values() row: field name → value.
using ValuesDict = std::map<std::string, Value, std::less<>>;

template <class T>
class AsyncIterator;

template <class T>
class QuerySet {
 public:
  explicit QuerySet(std::shared_ptr<const Query> query) : q_(std::move(query)) {}
  QuerySet() : q_(std::make_shared<Query>(T::_meta())), made_here_(true) {}

  const Query& query() const noexcept { return *q_; }
  const ModelMeta& model() const noexcept { return *q_->model; }

  // ---- Chaining: each returns a new QuerySet; nothing runs. ----
  QuerySet all() const { return *this; }
  // filter() and exclude() of a temporary (`Book::objects().filter(...).exclude(...)`) change its Query in
  // place when nothing else shares it, instead of copying it (see change()).
  QuerySet filter(const Q& q) const& {
    return change([&](Query& n) { n.add_q(q, false); });
  }
  QuerySet filter(const Q& q) && {
    return std::move(*this).change([&](Query& n) { n.add_q(q, false); });
  }
  QuerySet filter(std::string lookup, Expr value) const& {
    return filter(Q(std::move(lookup), std::move(value)));
  }
  QuerySet filter(std::string lookup, Expr value) && {
    return std::move(*this).filter(Q(std::move(lookup), std::move(value)));
  }
  QuerySet exclude(const Q& q) const& {
    return change([&](Query& n) { n.add_q(q, true); });
  }
  QuerySet exclude(const Q& q) && {
    return std::move(*this).change([&](Query& n) { n.add_q(q, true); });
  }
  QuerySet exclude(std::string lookup, Expr value) const& {
    return exclude(Q(std::move(lookup), std::move(value)));
  }
  QuerySet exclude(std::string lookup, Expr value) && {
    return std::move(*this).exclude(Q(std::move(lookup), std::move(value)));
  }
  /// order_by({"-published", "title"}) or order_by({F(&Book::title).desc()}); order_by({}) clears ordering.
  QuerySet order_by(std::vector<OrderBy> order) const {
    return change([&](Query& n) { n.add_ordering(std::move(order)); });
  }
  /// Django's spelling: order_by("-published", "title"), order_by(F(&Book::title).desc()).
  template <class... S>
  requires(std::convertible_to<S, OrderBy>&&...) QuerySet order_by(S&&... order)
  const { return order_by(std::vector<OrderBy>{OrderBy(std::forward<S>(order))...}); }
  QuerySet reverse() const {
    return change([](Query& n) { n.reversed = !n.reversed; });
  }
  QuerySet distinct() const {
    return change([](Query& n) { n.distinct = true; });
  }
  /// qs[start:stop] — LIMIT/OFFSET. Slicing a sliced QuerySet narrows the window.
  QuerySet slice(std::int64_t start, std::optional<std::int64_t> stop = std::nullopt) const {
    return change([&](Query& n) { n.set_limits(start, stop); });
  }
  /// Follows keys in the same query (JOIN): select_related({"author", "author__publisher"}).
  QuerySet select_related(std::vector<std::string> paths) const {
    return change([&](Query& n) { n.add_select_related(std::move(paths)); });
  }
  template <class... S>
  requires(sizeof...(S) > 0 && (std::convertible_to<S, std::string> && ...)) QuerySet
      select_related(S&&... paths)
  const { return select_related(std::vector<std::string>{std::string(std::forward<S>(paths))...}); }
  /// Loads relations of the results in one extra query each (Django's prefetch_related): reverse keys
  /// ("books", or "book_set" without related_name), many-to-many either way ("tags", "posts"), forward keys,
  /// and paths of them ("tags__posts"). The managers (`post.tags()`, `related_set`) then answer from memory.
  /// An empty list clears them (Django's prefetch_related(None)).
  QuerySet prefetch_related(std::vector<std::string> paths) const {
    return change([&](Query& n) { n.add_prefetch_related(std::move(paths)); });
  }
  template <class... S>
  requires(sizeof...(S) > 0 && (std::convertible_to<S, std::string> && ...)) QuerySet
      prefetch_related(S&&... paths)
  const { return prefetch_related(std::vector<std::string>{std::string(std::forward<S>(paths))...}); }
  QuerySet annotate(std::vector<NamedExpr> exprs) const {
    return change([&](Query& n) { n.add_annotations(std::move(exprs)); });
  }
  /// The database alias to run on (`using` is a C++ keyword).
  QuerySet using_(std::string alias) const {
    return change([&](Query& n) { n.alias = std::move(alias); });
  }

  // ---- Terminal operations, sync (they throw SynchronousOnlyOperation on an event loop). ----
  std::vector<T> list() const {
    // Rows already in memory (prefetch_related) may be read anywhere, also on the event loop.
    if (cache_) return *cache_;
    ensure_sync_context("QuerySet::list()", "alist()");
    return fetch();
  }
  /// Range-for evaluates the QuerySet once and iterates the result.
  auto begin() const {
    if (!cache_) cache_ = std::make_shared<std::vector<T>>(list());
    return cache_->cbegin();
  }
  auto end() const {
    if (!cache_) cache_ = std::make_shared<std::vector<T>>(list());
    return cache_->cend();
  }

  T get(const Q& q = {}) const {
    ensure_sync_context("QuerySet::get()", "aget()");
    return do_get(q);
  }
  T get(std::string lookup, Expr value) const { return get(Q(std::move(lookup), std::move(value))); }

  T create(const Values& values) const {
    ensure_sync_context("QuerySet::create()", "acreate()");
    return do_create(values);
  }
  /// Saves a prepared instance (a template so a braced list always means Values).
  template <class U>
  requires std::same_as<U, T> T create(U obj)
  const {
    ensure_sync_context("QuerySet::create()", "acreate()");
    detail::save_object(model(), &obj, obj._state, q_->alias, true, {});
    return obj;
  }
  /// (object, created): looks up with `lookup`, creates with lookup's exact values plus `defaults`.
  std::pair<T, bool> get_or_create(const Values& lookup, const Values& defaults = {}) const {
    ensure_sync_context("QuerySet::get_or_create()", "aget_or_create()");
    return do_get_or_create(lookup, defaults);
  }
  std::pair<T, bool> update_or_create(const Values& lookup, const Values& defaults = {}) const {
    ensure_sync_context("QuerySet::update_or_create()", "aupdate_or_create()");
    return do_update_or_create(lookup, defaults);
  }
  /// Inserts all in batches of `batch_size` rows; the returned objects have their primary keys set.
  std::vector<T> bulk_create(std::vector<T> objs, std::size_t batch_size = 500) const {
    ensure_sync_context("QuerySet::bulk_create()", "abulk_create()");
    return do_bulk_create(std::move(objs), batch_size);
  }
  std::int64_t bulk_update(const std::vector<T>& objs, const std::vector<std::string>& fields,
                           std::size_t batch_size = 500) const {
    ensure_sync_context("QuerySet::bulk_update()", "abulk_update()");
    return do_bulk_update(objs, fields, batch_size);
  }
  std::int64_t count() const {
    if (cache_) return static_cast<std::int64_t>(cache_->size());
    ensure_sync_context("QuerySet::count()", "acount()");
    return detail::run_count(*q_);
  }
  bool exists() const {
    ensure_sync_context("QuerySet::exists()", "aexists()");
    return detail::run_exists(*q_);
  }
  bool contains(const T& obj) const {
    ensure_sync_context("QuerySet::contains()", "acontains()");
    return do_contains(obj);
  }
  std::optional<T> first() const {
    ensure_sync_context("QuerySet::first()", "afirst()");
    return do_first(false);
  }
  std::optional<T> last() const {
    ensure_sync_context("QuerySet::last()", "alast()");
    return do_first(true);
  }
  /// The newest/oldest by `field` (e.g. "published"); DoesNotExist when empty.
  T latest(std::string field) const {
    ensure_sync_context("QuerySet::latest()", "alatest()");
    return order_by({OrderBy(std::move(field), true)}).do_get_first_or_throw();
  }
  T earliest(std::string field) const {
    ensure_sync_context("QuerySet::earliest()", "aearliest()");
    return order_by({OrderBy(std::move(field), false)}).do_get_first_or_throw();
  }
  /// pk → object for the given keys (all rows when `ids` is empty... as Django: only when no ids given).
  std::map<Value, T> in_bulk(std::optional<std::vector<Value>> ids = std::nullopt) const {
    ensure_sync_context("QuerySet::in_bulk()", "ain_bulk()");
    return do_in_bulk(ids);
  }
  /// {"pages__sum": 1234} for aggregate({Sum("pages")}), or with names: aggregate({{"total", Sum("pages")}}).
  std::map<std::string, Value> aggregate(std::vector<NamedExpr> exprs) const {
    ensure_sync_context("QuerySet::aggregate()", "aaggregate()");
    return detail::run_aggregate(*q_, exprs);
  }
  std::map<std::string, Value> aggregate(const Expr& expr) const {
    return aggregate({{expr.default_alias(), expr}});
  }
  /// UPDATE of every matched row: update({{"pages", F("pages") + 1}}); returns the number of rows.
  std::int64_t update(std::vector<NamedExpr> values) const {
    ensure_sync_context("QuerySet::update()", "aupdate()");
    return detail::run_update(*q_, values);
  }
  /// Deletes every matched row, honouring on_delete (`delete` is a C++ keyword).
  DeleteResult delete_() const {
    ensure_sync_context("QuerySet::delete_()", "adelete()");
    return detail::run_delete(*q_);
  }
  /// Dicts of the named fields (or all) and annotations. Non-aggregate fields group aggregate annotations.
  std::vector<ValuesDict> values(std::vector<std::string> fields = {}) const {
    ensure_sync_context("QuerySet::values()", "avalues()");
    return do_values(fields);
  }
  template <class... S>
  requires(sizeof...(S) > 0 &&
           (std::convertible_to<S, std::string> && ...)) std::vector<ValuesDict> values(S&&... fields)
  const { return values(std::vector<std::string>{std::string(std::forward<S>(fields))...}); }
  template <class... S>
  requires(sizeof...(S) > 0 &&
           (std::convertible_to<S, std::string> && ...)) std::vector<Row> values_list(S&&... fields)
  const { return values_list(std::vector<std::string>{std::string(std::forward<S>(fields))...}); }
  std::vector<Row> values_list(std::vector<std::string> fields = {}) const {
    ensure_sync_context("QuerySet::values_list()", "avalues_list()");
    return detail::run_values(*q_, fields, nullptr);
  }
  /// values_list(field, flat=True), typed: values_list_flat<std::string>("title").
  template <class V>
  std::vector<V> values_list_flat(std::string field) const {
    ensure_sync_context("QuerySet::values_list_flat()", "avalues_list_flat()");
    return do_flat<V>(std::move(field));
  }

  /// Streams rows without loading them all: `for (auto& book : qs.iterator(500))`.
  class Iterator;
  Iterator iterator(std::size_t chunk_size = 2000) const {
    ensure_sync_context("QuerySet::iterator()", "aiterator()");
    return Iterator(*this, chunk_size);
  }

  // ---- Async twins: the same operations, native on the event loop on PostgreSQL (compiled and hydrated on
  // the loop, run on the loop's pool: no thread hop), run on the flow's sync strand on SQLite. ----
  Task<std::vector<T>> alist() const {
    if (!cache_ && native() && q_->prefetch_related.empty())
      return detail::on_loop([self = *this] { return self.native_list(); });
    return detail::on_strand([self = *this] { return self.cache_ ? *self.cache_ : self.fetch(); });
  }
  Task<T> aget(Q q = {}) const& {
    if (native() && q_->prefetch_related.empty()) return native_get(*this, std::move(q));
    return detail::on_strand([self = *this, q] { return self.do_get(q); });
  }
  /// aget() of a temporary (`World::objects().filter(...).aget()`): its query moves into the task, with no
  /// copy of the handle (a reference count up and down less).
  Task<T> aget(Q q = {}) && {
    if (native() && q_->prefetch_related.empty()) return native_get(std::move(*this), std::move(q));
    return detail::on_strand([self = std::move(*this), q] { return self.do_get(q); });
  }
  Task<T> aget(std::string lookup, Expr value) const& { return aget(Q(std::move(lookup), std::move(value))); }
  Task<T> aget(std::string lookup, Expr value) && {
    return std::move(*this).aget(Q(std::move(lookup), std::move(value)));
  }
  // The Values overloads are plain functions over the coroutines: g++ 12 mis-compiles a braced list of
  // string literals bound directly to a coroutine's parameter.
  Task<T> acreate(Values values) const { return acreate_values(std::move(values)); }
  template <class U>
  requires std::same_as<U, T> Task<T> acreate(U obj)
  const {
    if (native()) return detail::on_loop([self = *this, obj]() mutable { return self.native_save_new(obj); });
    return detail::on_strand([self = *this, obj]() mutable {
      detail::save_object(self.model(), &obj, obj._state, self.q_->alias, true, {});
      return obj;
    });
  }
  Task<std::pair<T, bool>> aget_or_create(Values lookup, Values defaults = {}) const {
    return aget_or_create_values(std::move(lookup), std::move(defaults), false);
  }
  Task<std::pair<T, bool>> aupdate_or_create(Values lookup, Values defaults = {}) const {
    return aget_or_create_values(std::move(lookup), std::move(defaults), true);
  }
  Task<std::vector<T>> abulk_create(std::vector<T> objs, std::size_t batch_size = 500) const {
    return detail::on_strand([self = *this, objs = std::move(objs), batch_size]() mutable {
      return self.do_bulk_create(std::move(objs), batch_size);
    });
  }
  Task<std::int64_t> abulk_update(std::vector<T> objs, std::vector<std::string> fields,
                                  std::size_t batch_size = 500) const {
    if (native()) {
      return detail::on_loop([=, self = *this] { return self.native_bulk_update(objs, fields, batch_size); });
    }
    return detail::on_strand([=, self = *this] { return self.do_bulk_update(objs, fields, batch_size); });
  }
  Task<std::int64_t> acount() const {
    if (cache_) return detail::on_loop([n = static_cast<std::int64_t>(cache_->size())] { return ready(n); });
    if (native()) {
      return detail::on_loop([self = *this] { return self.native_count(); });
    }
    return detail::on_strand([self = *this] { return detail::run_count(*self.q_); });
  }
  Task<bool> aexists() const {
    if (native()) return detail::on_loop([self = *this] { return self.native_exists(*self.q_); });
    return detail::on_strand([self = *this] { return detail::run_exists(*self.q_); });
  }
  Task<bool> acontains(T obj) const {
    if (native()) {
      auto pk = obj.pk();
      if (pk.is_null()) throw ValueError("QuerySet::contains() cannot be used on unsaved objects.");
      return detail::on_loop([qs = filter(Q("pk", pk))] { return qs.native_exists(*qs.q_); });
    }
    return detail::on_strand([self = *this, obj] { return self.do_contains(obj); });
  }
  Task<std::optional<T>> afirst() const {
    if (native() && q_->prefetch_related.empty())
      return detail::on_loop([qs = first_qs(false)] { return qs.native_first(); });
    return detail::on_strand([self = *this] { return self.do_first(false); });
  }
  Task<std::optional<T>> alast() const {
    if (native() && q_->prefetch_related.empty())
      return detail::on_loop([qs = first_qs(true)] { return qs.native_first(); });
    return detail::on_strand([self = *this] { return self.do_first(true); });
  }
  Task<T> alatest(std::string field) const {
    auto qs = order_by({OrderBy(std::move(field), true)});
    if (native() && q_->prefetch_related.empty())
      return detail::on_loop([qs] { return qs.native_first_or_throw(); });
    return detail::on_strand([qs] { return qs.do_get_first_or_throw(); });
  }
  Task<T> aearliest(std::string field) const {
    auto qs = order_by({OrderBy(std::move(field), false)});
    if (native() && q_->prefetch_related.empty())
      return detail::on_loop([qs] { return qs.native_first_or_throw(); });
    return detail::on_strand([qs] { return qs.do_get_first_or_throw(); });
  }
  Task<std::map<Value, T>> ain_bulk(std::optional<std::vector<Value>> ids = std::nullopt) const {
    if (native() && q_->prefetch_related.empty())
      return detail::on_loop([self = *this, ids] { return self.native_in_bulk(ids); });
    return detail::on_strand([self = *this, ids] { return self.do_in_bulk(ids); });
  }
  Task<std::map<std::string, Value>> aaggregate(std::vector<NamedExpr> exprs) const {
    if (native()) return detail::on_loop([self = *this, exprs] { return self.native_aggregate(exprs); });
    return detail::on_strand([self = *this, exprs] { return detail::run_aggregate(*self.q_, exprs); });
  }
  Task<std::map<std::string, Value>> aaggregate(Expr expr) const {
    return aaggregate(std::vector<NamedExpr>{{expr.default_alias(), expr}});
  }
  Task<std::int64_t> aupdate(std::vector<NamedExpr> values) const {
    if (native()) return detail::on_loop([self = *this, values] { return self.native_update(values); });
    return detail::on_strand([self = *this, values] { return detail::run_update(*self.q_, values); });
  }
  Task<DeleteResult> adelete() const {
    return detail::on_strand([self = *this] { return detail::run_delete(*self.q_); });
  }
  Task<std::vector<ValuesDict>> avalues(std::vector<std::string> fields = {}) const {
    if (native()) return detail::on_loop([self = *this, fields] { return self.native_values(fields); });
    return detail::on_strand([self = *this, fields] { return self.do_values(fields); });
  }
  template <class... S>
  requires(sizeof...(S) > 0 &&
           (std::convertible_to<S, std::string> && ...)) Task<std::vector<ValuesDict>> avalues(S&&... fields)
  const { return avalues(std::vector<std::string>{std::string(std::forward<S>(fields))...}); }
  template <class... S>
  requires(sizeof...(S) > 0 &&
           (std::convertible_to<S, std::string> && ...)) Task<std::vector<Row>> avalues_list(S&&... fields)
  const { return avalues_list(std::vector<std::string>{std::string(std::forward<S>(fields))...}); }
  Task<std::vector<Row>> avalues_list(std::vector<std::string> fields = {}) const {
    if (native()) return detail::on_loop([self = *this, fields] { return self.native_values_list(fields); });
    return detail::on_strand(
        [self = *this, fields] { return detail::run_values(*self.q_, fields, nullptr); });
  }
  template <class V>
  Task<std::vector<V>> avalues_list_flat(std::string field) const {
    if (native())
      return detail::on_loop([self = *this, field] { return self.template native_flat<V>(field); });
    return detail::on_strand([self = *this, field] { return self.template do_flat<V>(field); });
  }
  /// An async stream: `auto it = qs.aiterator(); while (auto book = co_await it.next()) { ... }`.
  AsyncIterator<T> aiterator(std::size_t chunk_size = 2000) const {
    return AsyncIterator<T>(*this, chunk_size);
  }

  /// Evaluated already (prefetch_related() results): list(), alist(), range-for and count() use these rows.
  void _set_result_cache(std::shared_ptr<const void> rows) const {
    cache_ = std::static_pointer_cast<std::vector<T>>(std::const_pointer_cast<void>(std::move(rows)));
  }

  // ---- The implementations, run on whichever thread the sync or async entry chose. ----
  std::vector<T> fetch() const {
    std::vector<T> out;
    detail::run_select(*q_, [&](const Row& row, const SelectPlan& plan) {
      T& obj = out.emplace_back();
      detail::hydrate(model(), &obj, obj._state, row, plan, q_->alias);
    });
    if (!q_->prefetch_related.empty() && !out.empty()) {
      std::vector<void*> ptrs;
      ptrs.reserve(out.size());
      for (auto& o : out)
        ptrs.push_back(&o);
      detail::prefetch_related_objects(model(), ptrs, q_->prefetch_related, q_->alias);
    }
    return out;
  }

 private:
  Task<T> acreate_values(Values values) const {
    if (native()) {
      T obj;
      for (auto& [name, v] : values)
        detail::set_field(model(), &obj, name, v);
      return detail::on_loop([self = *this, obj]() mutable { return self.native_save_new(obj); });
    }
    return detail::on_strand([self = *this, values] { return self.do_create(values); });
  }
  Task<std::pair<T, bool>> aget_or_create_values(Values lookup, Values defaults, bool update) const {
    return detail::on_strand([=, self = *this] {
      return update ? self.do_update_or_create(lookup, defaults) : self.do_get_or_create(lookup, defaults);
    });
  }

  // ---- The native async implementations (PostgreSQL). Member coroutines: the QuerySet they run on is the
  // copy a detail::on_loop closure holds for their whole run. ----
  bool native() const { return detail::native_async(q_->alias); }
  template <class V>
  static Task<V> ready(V v) {
    co_return v;
  }
  std::vector<T> hydrate_all(const postgresql::Result& result, const CompiledQuery& compiled) const {
    std::vector<T> out;
    const std::size_t n = result.row_count();
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      T& obj = out.emplace_back();
      detail::hydrate(model(), &obj, obj._state, result, i, compiled.plan, q_->alias);
    }
    return out;
  }
  Task<std::vector<T>> native_list() const {
    auto compiled = detail::compile_select_native(*q_);
    auto executor = co_await boost::asio::this_coro::executor;
    // The rows as the driver received them: each value is decoded once, into its object's field.
    auto result =
        co_await detail::async_run(q_->alias, compiled, /*read=*/true, executor, postgresql::RowsAs::raw);
    co_return hydrate_all(result, compiled);
  }
  /// aget() natively: get() is the hottest a-method, so it is one coroutine, not detail::on_loop's closure
  /// coroutine around a member one (one frame, one resumption and one move of the object less). Its frame
  /// holds the QuerySet it runs on and the extra condition (parameters by value, as the driver's run_query
  /// takes its own: no closure is involved, which g++ 12 may relocate bitwise; see on_strand).
  static Task<T> native_get(QuerySet qs, Q q) {
    if (!q.empty()) qs = std::move(qs).filter(q);
    // native_list()'s steps inline. Limited as do_get() does, without a copy of the query for the slice.
    auto compiled = detail::compile_get_native(*qs.q_);
    auto executor = co_await boost::asio::this_coro::executor;
    auto result =
        co_await detail::async_run(qs.q_->alias, compiled, /*read=*/true, executor, postgresql::RowsAs::raw);
    const std::size_t rows = result.row_count();
    if (rows == 0) throw typename T::DoesNotExist(detail::does_not_exist_message(qs.model()));
    if (rows > 1) {
      throw typename T::MultipleObjectsReturned(
          detail::multiple_returned_message(qs.model(), static_cast<std::int64_t>(rows)));
    }
    // The one row straight from the driver's result into the object returned (no Row, no vector of one).
    T obj;
    detail::hydrate(qs.model(), &obj, obj._state, result, 0, compiled.plan, qs.q_->alias);
    co_return obj;
  }
  QuerySet first_qs(bool last) const {
    auto qs = *this;
    if (!q_->ordering_set && q_->model->ordering.empty()) qs = qs.order_by({"pk"});
    if (last) qs = qs.reverse();
    return qs.slice(0, 1);
  }
  Task<std::optional<T>> native_first() const {
    auto rows = co_await native_list();
    if (rows.empty()) co_return std::nullopt;
    co_return std::move(rows.front());
  }
  Task<T> native_first_or_throw() const {
    auto qs = slice(0, 1);
    auto rows = co_await qs.native_list();
    if (rows.empty()) throw typename T::DoesNotExist(detail::does_not_exist_message(model()));
    co_return std::move(rows.front());
  }
  Task<std::int64_t> native_count() const {
    auto compiled = detail::compile_count(*q_);
    auto result = co_await detail::async_run(q_->alias, compiled, /*read=*/true);
    co_return result.rows.at(0).at(0).as_int();
  }
  Task<bool> native_exists(const Query& q) const {
    auto compiled = detail::compile_exists(q);
    auto result = co_await detail::async_run(q_->alias, compiled, /*read=*/true);
    co_return !result.rows.empty();
  }
  Task<std::map<std::string, Value>> native_aggregate(const std::vector<NamedExpr>& exprs) const {
    std::map<std::string, Value> out;
    if (exprs.empty()) co_return out;
    auto compiled = detail::compile_aggregate(*q_, exprs);
    auto result = co_await detail::async_run(q_->alias, compiled, /*read=*/true);
    for (std::size_t i = 0; i < exprs.size(); ++i)
      out.emplace(exprs[i].first, result.rows.at(0).at(i));
    co_return out;
  }
  Task<std::int64_t> native_update(const std::vector<NamedExpr>& values) const {
    if (values.empty()) {
      if (q_->is_sliced()) throw TypeError("Cannot update a query once a slice has been taken.");
      co_return 0;
    }
    auto compiled = detail::compile_update(*q_, values);
    auto result = co_await detail::async_run(q_->alias, compiled);
    co_return result.rows_affected;
  }
  Task<std::map<Value, T>> native_in_bulk(const std::optional<std::vector<Value>>& ids) const {
    std::map<Value, T> out;
    if (ids && ids->empty()) co_return out;
    auto qs = ids ? filter(Q("pk__in", *ids)) : *this;
    for (auto& obj : co_await qs.native_list()) {
      auto pk = obj.pk();
      out.emplace(std::move(pk), std::move(obj));
    }
    co_return out;
  }
  Task<std::vector<Row>> native_values_rows(const std::vector<std::string>& fields,
                                            std::vector<std::string>& names) const {
    auto compiled = detail::compile_values(*q_, fields, names);
    auto result = co_await detail::async_run(q_->alias, compiled, /*read=*/true);
    co_return std::move(result.rows);
  }
  Task<std::vector<Row>> native_values_list(const std::vector<std::string>& fields) const {
    std::vector<std::string> names;
    co_return co_await native_values_rows(fields, names);
  }
  Task<std::vector<ValuesDict>> native_values(const std::vector<std::string>& fields) const {
    std::vector<std::string> names;
    auto rows = co_await native_values_rows(fields, names);
    std::vector<ValuesDict> out;
    out.reserve(rows.size());
    for (auto& row : rows) {
      ValuesDict d;
      for (std::size_t i = 0; i < names.size() && i < row.size(); ++i)
        d.emplace(names[i], std::move(row[i]));
      out.push_back(std::move(d));
    }
    co_return out;
  }
  template <class V>
  Task<std::vector<V>> native_flat(const std::string& field) const {
    std::vector<std::string> fields{field}, names;
    auto rows = co_await native_values_rows(fields, names);
    std::vector<V> out;
    out.reserve(rows.size());
    for (auto& r : rows)
      out.push_back(r.at(0).template as<V>());
    co_return out;
  }
  Task<T> native_save_new(T& obj) const {
    std::vector<std::string> no_fields;
    co_await detail::async_save(model(), &obj, obj._state, q_->alias, true, no_fields);
    co_return obj;
  }
  Task<std::int64_t> native_bulk_update(const std::vector<T>& objs, const std::vector<std::string>& fields,
                                        std::size_t batch_size) const {
    std::vector<const void*> ptrs;
    ptrs.reserve(objs.size());
    for (auto& o : objs)
      ptrs.push_back(&o);
    co_return co_await detail::async_update_many(model(), ptrs, fields, q_->alias, batch_size);
  }

  template <class Fn>
  QuerySet change(Fn&& fn) const& {
    auto n = std::make_shared<Query>(*q_);
    fn(*n);
    QuerySet out(std::move(n));
    out.made_here_ = true;
    return out;
  }
  /// change() of a temporary: its Query is changed in place when this QuerySet is its only owner (no copy
  /// of the QuerySet shares it, so nobody can see the change) and it was created here, as a mutable Query
  /// (one passed to the public constructor may be const). If `fn` throws, the temporary is left valid but
  /// unspecified, as any moved-from object.
  template <class Fn>
  QuerySet change(Fn&& fn) && {
    if (!made_here_ || q_.use_count() != 1) return static_cast<const QuerySet&>(*this).change(fn);
    // Pairs with the release of the last other owner's count: its reads of the Query happened before.
    std::atomic_thread_fence(std::memory_order_acquire);
    fn(const_cast<Query&>(*q_));
    cache_.reset();
    return std::move(*this);
  }

  T do_get(const Q& q) const {
    auto qs = q.empty() ? *this : filter(q);
    // Two rows are enough to tell "one" from "several" (Django fetches up to 21 to report the count). A
    // condition that can match one row at most needs no limit.
    auto limited = qs.q_->is_sliced() || detail::matches_at_most_one_row(*qs.q_) ? qs : qs.slice(0, 21);
    auto rows = limited.fetch();
    if (rows.empty()) throw typename T::DoesNotExist(detail::does_not_exist_message(model()));
    if (rows.size() > 1) {
      throw typename T::MultipleObjectsReturned(
          detail::multiple_returned_message(model(), static_cast<std::int64_t>(rows.size())));
    }
    return std::move(rows.front());
  }
  T do_create(const Values& values) const {
    T obj;
    for (auto& [name, v] : values)
      detail::set_field(model(), &obj, name, v);
    detail::save_object(model(), &obj, obj._state, q_->alias, true, {});
    return obj;
  }
  Q kwargs_q(const Values& lookup) const {
    Q q;
    for (auto& [k, v] : lookup)
      q = q & Q(k, v);
    return q;
  }
  std::pair<T, bool> do_get_or_create(const Values& lookup, const Values& defaults) const {
    try {
      return {do_get(kwargs_q(lookup)), false};
    } catch (const typename T::DoesNotExist&) {
    }
    Values all;
    for (auto& [k, v] : lookup) {
      if (k.find("__") == std::string::npos) all.emplace_back(k, v);
    }
    for (auto& kv : defaults)
      all.push_back(kv);
    try {
      transaction::atomic tx(q_->alias);
      return {do_create(all), true};
    } catch (const IntegrityError&) {
      // Another writer created it between our get and our insert.
      try {
        return {do_get(kwargs_q(lookup)), false};
      } catch (const typename T::DoesNotExist&) {
      }
      throw;
    }
  }
  std::pair<T, bool> do_update_or_create(const Values& lookup, const Values& defaults) const {
    transaction::atomic tx(q_->alias);
    try {
      T obj = do_get(kwargs_q(lookup));
      for (auto& [k, v] : defaults)
        detail::set_field(model(), &obj, k, v);
      detail::save_object(model(), &obj, obj._state, q_->alias, false, {});
      return {std::move(obj), false};
    } catch (const typename T::DoesNotExist&) {
    }
    return do_get_or_create(lookup, defaults);
  }
  std::vector<T> do_bulk_create(std::vector<T> objs, std::size_t batch_size) const {
    std::vector<void*> ptrs;
    std::vector<ModelState*> states;
    for (auto& o : objs) {
      ptrs.push_back(&o);
      states.push_back(&o._state);
    }
    detail::insert_many(model(), ptrs, states, q_->alias, batch_size);
    return objs;
  }
  std::int64_t do_bulk_update(const std::vector<T>& objs, const std::vector<std::string>& fields,
                              std::size_t batch_size) const {
    std::vector<const void*> ptrs;
    for (auto& o : objs)
      ptrs.push_back(&o);
    return detail::update_many(model(), ptrs, fields, q_->alias, batch_size);
  }
  bool do_contains(const T& obj) const {
    auto pk = obj.pk();
    if (pk.is_null()) throw ValueError("QuerySet::contains() cannot be used on unsaved objects.");
    return detail::run_exists(*filter(Q("pk", pk)).q_);
  }
  std::optional<T> do_first(bool last) const {
    auto qs = *this;
    if (!q_->ordering_set && q_->model->ordering.empty()) qs = qs.order_by({"pk"});
    if (last) qs = qs.reverse();
    auto rows = qs.slice(0, 1).fetch();
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
  }
  T do_get_first_or_throw() const {
    auto rows = slice(0, 1).fetch();
    if (rows.empty()) throw typename T::DoesNotExist(detail::does_not_exist_message(model()));
    return std::move(rows.front());
  }
  std::map<Value, T> do_in_bulk(const std::optional<std::vector<Value>>& ids) const {
    std::map<Value, T> out;
    if (ids && ids->empty()) return out;
    auto qs = ids ? filter(Q("pk__in", *ids)) : *this;
    for (auto& obj : qs.fetch()) {
      auto pk = obj.pk();
      out.emplace(std::move(pk), std::move(obj));
    }
    return out;
  }
  std::vector<ValuesDict> do_values(const std::vector<std::string>& fields) const {
    std::vector<std::string> names;
    auto rows = detail::run_values(*q_, fields, &names);
    std::vector<ValuesDict> out;
    out.reserve(rows.size());
    for (auto& row : rows) {
      ValuesDict d;
      for (std::size_t i = 0; i < names.size() && i < row.size(); ++i)
        d.emplace(names[i], std::move(row[i]));
      out.push_back(std::move(d));
    }
    return out;
  }
  template <class V>
  std::vector<V> do_flat(std::string field) const {
    auto rows = detail::run_values(*q_, {std::move(field)}, nullptr);
    std::vector<V> out;
    out.reserve(rows.size());
    for (auto& r : rows)
      out.push_back(r.at(0).template as<V>());
    return out;
  }

  friend class AsyncIterator<T>;
  std::shared_ptr<const Query> q_;
  mutable std::shared_ptr<std::vector<T>> cache_;
  /// q_ was made by this class (a mutable Query), not handed to the public constructor.
  bool made_here_ = false;
};

/// The sync streaming iterator: rows are stepped from one open statement, `chunk_size` at a time.
template <class T>
class QuerySet<T>::Iterator {
 public:
  Iterator(QuerySet qs, std::size_t chunk_size) : qs_(std::move(qs)), chunk_(chunk_size ? chunk_size : 1) {}

  /// The next object, or nullopt at the end.
  std::optional<T> next() {
    if (!cursor_) cursor_ = detail::open_cursor(*qs_.q_, plan_);
    if (!cursor_->fetch(row_)) return std::nullopt;
    T obj;
    detail::hydrate(qs_.model(), &obj, obj._state, row_, plan_, qs_.q_->alias);
    return obj;
  }

  struct Sentinel {};
  class It {
   public:
    explicit It(Iterator* owner) : owner_(owner) { advance(); }
    const T& operator*() const { return *current_; }
    It& operator++() {
      advance();
      return *this;
    }
    friend bool operator==(const It& it, Sentinel) { return !it.current_; }

   private:
    void advance() { current_ = owner_->next(); }
    Iterator* owner_;
    std::optional<T> current_;
  };
  It begin() { return It(this); }
  Sentinel end() { return {}; }

 private:
  QuerySet qs_;
  std::size_t chunk_;
  SelectPlan plan_;
  Row row_;
  std::unique_ptr<Cursor> cursor_;
};

/// aiterator(): rows are stepped on the flow's sync strand, `chunk_size` per hop, and handed out one by one.
template <class T>
class AsyncIterator {
 public:
  AsyncIterator(QuerySet<T> qs, std::size_t chunk_size)
      : state_(std::make_shared<State>(std::move(qs), chunk_size ? chunk_size : 1)) {}

  /// The next object, or nullopt at the end.
  Task<std::optional<T>> next() {
    if (state_->buffer.empty() && !state_->done) {
      auto state = state_;
      auto fill = detail::on_strand([state] { state->fill(); });
      co_await std::move(fill);
    }
    if (state_->buffer.empty()) co_return std::nullopt;
    T obj = std::move(state_->buffer.front());
    state_->buffer.pop_front();
    co_return obj;
  }

 private:
  struct State {
    State(QuerySet<T> q, std::size_t c) : qs(std::move(q)), chunk(c) {}
    // On the strand thread, whose connection the cursor belongs to.
    void fill() {
      if (!cursor) cursor = detail::open_cursor(*qs.q_, plan);
      Row row;
      while (buffer.size() < chunk) {
        if (!cursor->fetch(row)) {
          done = true;
          cursor.reset();
          return;
        }
        T& obj = buffer.emplace_back();
        detail::hydrate(qs.model(), &obj, obj._state, row, plan, qs.q_->alias);
      }
    }
    QuerySet<T> qs;
    std::size_t chunk;
    SelectPlan plan;
    std::unique_ptr<Cursor> cursor;
    std::deque<T> buffer;
    bool done = false;
  };
  std::shared_ptr<State> state_;
};

template <class T>
QuerySet<T> Model<T>::objects() {
  return QuerySet<T>();
}

template <class T>
template <class R, class FK>
QuerySet<R> Model<T>::related_set(FK R::*key) const {
  static_assert(std::is_same_v<typename FK::related_type, T>,
                "related_set(&X::key): X::key must point to this model");
  auto qs = R::objects().filter(Q(F(key).path(), pk()));
  if (!_state.prefetched.empty()) {
    const FieldInfo* f = R::_meta().field_at_offset(detail::member_offset<R>(key));
    if (f) {
      auto name = f->related_name.empty() ? R::_meta().model_name + "_set" : f->related_name;
      if (auto cached = _state.find_prefetched(name)) qs._set_result_cache(std::move(cached));
    }
  }
  return qs;
}

}  // namespace duet::db

#include "duet/db/models/related_manager.hpp"
