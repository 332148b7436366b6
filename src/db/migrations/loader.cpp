#include "duet/db/migrations/loader.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "duet/db/exceptions.hpp"

namespace duet::db::migrations {

namespace {
std::string label(const Dependency& d) {
  return d.app + "." + d.name;
}
}  // namespace

MigrationLoader::MigrationLoader(std::vector<Migration> migrations) : migrations_(std::move(migrations)) {
  std::map<Dependency, const Migration*> nodes;
  for (auto& m : migrations_) {
    if (m.app.empty() || m.name.empty()) throw ImproperlyConfigured("A migration needs an app and a name");
    if (!nodes.emplace(m.key(), &m).second)
      throw ImproperlyConfigured(fmt::format("Migration {} is registered twice", label(m.key())));
  }
  std::map<Dependency, std::size_t> pending;  // unmet dependencies per node
  std::map<Dependency, std::vector<Dependency>> children;
  for (auto& [key, m] : nodes) {
    pending[key] = 0;
    for (auto& d : m->dependencies) {
      if (!nodes.count(d)) {
        throw ImproperlyConfigured(
            fmt::format("Migration {} dependencies reference nonexistent parent node ('{}', '{}')",
                        label(key), d.app, d.name));
      }
      ++pending[key];
      children[d].push_back(key);
    }
  }
  // Kahn's algorithm; the ready set is ordered so the result does not depend on registration order.
  std::set<Dependency> ready;
  for (auto& [key, n] : pending)
    if (n == 0) ready.insert(key);
  while (!ready.empty()) {
    Dependency key = *ready.begin();
    ready.erase(ready.begin());
    position_[key] = order_.size();
    order_.push_back(nodes.at(key));
    for (auto& child : children[key])
      if (--pending[child] == 0) ready.insert(child);
  }
  if (order_.size() != nodes.size()) {
    std::string cycle;
    for (auto& [key, n] : pending)
      if (n > 0) cycle += (cycle.empty() ? "" : ", ") + label(key);
    throw ImproperlyConfigured("Circular dependency between migrations: " + cycle);
  }
}

const Migration* MigrationLoader::find(std::string_view app, std::string_view name) const noexcept {
  auto it = position_.find(Dependency{std::string(app), std::string(name)});
  return it == position_.end() ? nullptr : order_[it->second];
}

const Migration& MigrationLoader::get(std::string_view app, std::string_view name) const {
  if (auto* m = find(app, name)) return *m;
  throw ImproperlyConfigured(fmt::format("Cannot find a migration matching '{}' from app '{}'.", name, app));
}

const Migration& MigrationLoader::get_by_prefix(std::string_view app, std::string_view prefix) const {
  if (auto* exact = find(app, prefix)) return *exact;
  const Migration* found = nullptr;
  for (auto* m : order_) {
    if (m->app != app || !m->name.starts_with(prefix)) continue;
    if (found)
      throw ImproperlyConfigured(fmt::format(
          "More than one migration matches '{}' in app '{}'. Please be more specific.", prefix, app));
    found = m;
  }
  if (!found)
    throw ImproperlyConfigured(
        fmt::format("Cannot find a migration matching '{}' from app '{}'.", prefix, app));
  return *found;
}

std::vector<const Migration*> MigrationLoader::app_migrations(std::string_view app) const {
  std::vector<const Migration*> out;
  for (auto* m : order_)
    if (m->app == app) out.push_back(m);
  return out;
}

std::set<std::string> MigrationLoader::apps() const {
  std::set<std::string> out;
  for (auto* m : order_)
    out.insert(m->app);
  return out;
}

std::optional<Dependency> MigrationLoader::leaf(std::string_view app) const {
  std::set<Dependency> leaves;
  for (auto* m : order_)
    if (m->app == app) leaves.insert(m->key());
  for (auto* m : order_)
    for (auto& d : m->dependencies)
      if (d.app == app && m->app == app) leaves.erase(d);
  if (leaves.empty()) return std::nullopt;
  if (leaves.size() > 1) {
    std::string names;
    for (auto& l : leaves)
      names += (names.empty() ? "" : ", ") + l.name;
    throw ImproperlyConfigured(fmt::format(
        "Conflicting migrations detected; multiple leaf nodes in the migration graph: ({} in {}).", names,
        app));
  }
  return *leaves.begin();
}

std::vector<const Migration*> MigrationLoader::ancestors(const Dependency& key) const {
  std::set<Dependency> seen{key};
  std::vector<Dependency> stack{key};
  while (!stack.empty()) {
    auto k = stack.back();
    stack.pop_back();
    for (auto& d : get(k.app, k.name).dependencies)
      if (seen.insert(d).second) stack.push_back(d);
  }
  std::vector<const Migration*> out;
  for (auto* m : order_)
    if (seen.count(m->key())) out.push_back(m);
  return out;
}

std::vector<const Migration*> MigrationLoader::descendants(const Dependency& key) const {
  get(key.app, key.name);
  std::set<Dependency> seen{key};
  std::vector<const Migration*> out;
  // order_ is topological: one pass finds every node reachable from key.
  for (auto* m : order_) {
    if (m->key() == key) {
      out.push_back(m);
      continue;
    }
    for (auto& d : m->dependencies) {
      if (seen.count(d)) {
        seen.insert(m->key());
        out.push_back(m);
        break;
      }
    }
  }
  return out;
}

ProjectState MigrationLoader::state_at(const Dependency& key, bool inclusive) const {
  ProjectState state;
  for (auto* m : ancestors(key)) {
    if (!inclusive && m->key() == key) continue;
    for (auto& op : m->operations)
      op->state_forwards(m->app, state);
  }
  return state;
}

ProjectState MigrationLoader::project_state() const {
  ProjectState state;
  for (auto* m : order_)
    for (auto& op : m->operations)
      op->state_forwards(m->app, state);
  return state;
}

}  // namespace duet::db::migrations
