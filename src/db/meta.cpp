#include "duet/db/models/meta.hpp"

#include <cxxabi.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <set>

#include "duet/db/exceptions.hpp"

namespace duet::db {

namespace {
struct Registry {
  std::mutex mutex;
  std::vector<const ModelMeta& (*)()> getters;
};
Registry& registry() {
  static Registry r;
  return r;
}
}  // namespace

void register_model(const ModelMeta& (*getter)()) noexcept {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  if (std::find(r.getters.begin(), r.getters.end(), getter) == r.getters.end()) r.getters.push_back(getter);
}

std::vector<const ModelMeta*> all_models() {
  std::vector<const ModelMeta& (*)()> getters;
  {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    getters = r.getters;
  }
  std::vector<const ModelMeta*> out;
  for (auto g : getters)
    out.push_back(&g());
  return out;
}

std::string_view field_type_name(FieldType t) noexcept {
  switch (t) {
    case FieldType::AutoField:
      return "AutoField";
    case FieldType::BigAutoField:
      return "BigAutoField";
    case FieldType::IntegerField:
      return "IntegerField";
    case FieldType::BigIntegerField:
      return "BigIntegerField";
    case FieldType::FloatField:
      return "FloatField";
    case FieldType::DecimalField:
      return "DecimalField";
    case FieldType::BooleanField:
      return "BooleanField";
    case FieldType::CharField:
      return "CharField";
    case FieldType::TextField:
      return "TextField";
    case FieldType::DateTimeField:
      return "DateTimeField";
    case FieldType::DateField:
      return "DateField";
    case FieldType::UUIDField:
      return "UUIDField";
    case FieldType::JSONField:
      return "JSONField";
    case FieldType::BinaryField:
      return "BinaryField";
    case FieldType::ForeignKey:
      return "ForeignKey";
    case FieldType::OneToOneField:
      return "OneToOneField";
  }
  return "Field";
}

const FieldInfo* ModelMeta::find_field(std::string_view name) const noexcept {
  for (auto& f : fields) {
    if (f.name == name) return &f;
  }
  for (auto& f : fields) {
    if (f.attname == name) return &f;
  }
  return nullptr;
}

const FieldInfo* ModelMeta::field_at_offset(std::size_t offset) const noexcept {
  for (auto& f : fields) {
    if (f.offset == offset) return &f;
  }
  return nullptr;
}

const std::vector<ReverseRelation>& ModelMeta::related_objects() const {
  std::call_once(related_once_, [this] {
    std::vector<const ModelMeta& (*)()> getters;
    {
      auto& r = registry();
      std::lock_guard lock(r.mutex);
      getters = r.getters;
    }
    std::vector<const ModelMeta*> models;
    for (auto g : getters) {
      // A model declared wrongly reports its error when it is used itself; it cannot point here meanwhile.
      try {
        models.push_back(&g());
      } catch (const ImproperlyConfigured&) {
      }
    }
    for (const ModelMeta* m : models) {
      for (auto& f : m->fields) {
        if (!f.is_relation() || &f.related_model() != this) continue;
        ReverseRelation r{m, &f, {}, {}};
        if (!f.related_name.empty()) {
          r.query_name = r.accessor = f.related_name;
        } else {
          r.query_name = m->model_name;
          r.accessor = f.type == FieldType::OneToOneField ? m->model_name : m->model_name + "_set";
        }
        related_.push_back(std::move(r));
      }
      for (auto& f : m->many_to_many) {
        if (&f.related_model() != this) continue;
        ReverseManyToMany r{m, &f, {}, {}};
        if (!f.related_name.empty()) {
          r.query_name = r.accessor = f.related_name;
        } else {
          r.query_name = m->model_name;
          r.accessor = m->model_name + "_set";
        }
        related_m2m_.push_back(std::move(r));
      }
    }
  });
  return related_;
}

const std::vector<ReverseManyToMany>& ModelMeta::related_many_to_many() const {
  related_objects();  // computes both lists once
  return related_m2m_;
}

const ReverseManyToMany* ModelMeta::find_related_many_to_many(std::string_view query_name) const {
  for (auto& r : related_many_to_many()) {
    if (r.query_name == query_name) return &r;
  }
  return nullptr;
}

const ManyToManyInfo* ModelMeta::find_many_to_many(std::string_view name) const noexcept {
  for (auto& f : many_to_many) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string ManyToManyInfo::through_label() const {
  return (model ? model->label() : std::string("?")) + "_" + name;
}

const ReverseRelation* ModelMeta::find_related(std::string_view query_name) const {
  for (auto& r : related_objects()) {
    if (r.query_name == query_name) return &r;
  }
  return nullptr;
}

std::string ModelMeta::field_choices() const {
  std::set<std::string> names;
  for (auto& f : fields)
    names.insert(f.name);
  for (auto& f : many_to_many)
    names.insert(f.name);
  for (auto& r : related_objects())
    names.insert(r.query_name);
  for (auto& r : related_many_to_many())
    names.insert(r.query_name);
  std::string out;
  for (auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

namespace detail {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string demangled_object_name(const char* mangled) {
  int status = 0;
  char* d = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = (status == 0 && d) ? d : mangled;
  std::free(d);
  // "blog::Book" → "Book"; a template's arguments are kept out of the name.
  if (auto lt = name.find('<'); lt != std::string::npos) name.resize(lt);
  if (auto colons = name.rfind("::"); colons != std::string::npos) name = name.substr(colons + 2);
  return name;
}

namespace {
// Only the declared fields: reverse relations need the other models' metas, which may be mid-build here.
std::string names_of(const ModelMeta& m) {
  std::set<std::string> names;
  for (auto& f : m.fields)
    names.insert(f.name);
  for (auto& f : m.many_to_many)
    names.insert(f.name);
  std::string out;
  for (auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}
}  // namespace

void finish_meta(ModelMeta& m) {
  m.model_name = lower(m.object_name);
  if (m.db_table.empty()) m.db_table = m.app_label.empty() ? m.model_name : m.app_label + "_" + m.model_name;
  std::set<std::string> seen;
  int pks = 0;
  for (std::size_t i = 0; i < m.fields.size(); ++i) {
    auto& f = m.fields[i];
    auto where = fmt::format("{}.{}", m.object_name, f.name);
    if (f.name.empty() || f.name.find("__") != std::string::npos || f.name == "pk") {
      throw ImproperlyConfigured(
          fmt::format("{}: field names must be non-empty, not 'pk' and contain no '__'", where));
    }
    if (!seen.insert(f.name).second) throw ImproperlyConfigured(fmt::format("{}: declared twice", where));
    f.attname = f.is_relation() ? f.name + "_id" : f.name;
    if (f.column.empty()) f.column = f.attname;
    if (f.primary_key) {
      ++pks;
      m.pk_index = i;
      f.unique = true;
    }
    if (f.type == FieldType::CharField && !f.max_length) {
      throw ImproperlyConfigured(fmt::format("{}: CharFields must define a 'max_length' attribute.", where));
    }
    if (f.max_length && *f.max_length <= 0) {
      throw ImproperlyConfigured(fmt::format("{}: 'max_length' must be a positive integer.", where));
    }
    if (f.is_relation()) {
      if (!f.on_delete)
        throw ImproperlyConfigured(fmt::format("{}: a ForeignKey needs .on_delete(...)", where));
      if (*f.on_delete == OnDelete::SetNull && !f.null) {
        throw ImproperlyConfigured(fmt::format("{}: on_delete SET_NULL needs .null()", where));
      }
      if (f.type == FieldType::OneToOneField) f.unique = true;
    }
    if (f.is_auto() && !f.primary_key) {
      throw ImproperlyConfigured(fmt::format("{}: AutoFields must set primary_key=True.", where));
    }
    if (f.type == FieldType::DecimalField &&
        (f.max_digits <= 0 || f.decimal_places < 0 || f.decimal_places > f.max_digits)) {
      throw ImproperlyConfigured(
          fmt::format("{}: DecimalField needs max_digits >= decimal_places >= 0", where));
    }
  }
  if (pks != 1)
    throw ImproperlyConfigured(fmt::format("{}: a model has exactly one primary key", m.object_name));
  for (auto& f : m.many_to_many) {
    auto where = fmt::format("{}.{}", m.object_name, f.name);
    if (f.name.empty() || f.name.find("__") != std::string::npos || f.name == "pk") {
      throw ImproperlyConfigured(
          fmt::format("{}: field names must be non-empty, not 'pk' and contain no '__'", where));
    }
    if (!seen.insert(f.name).second) throw ImproperlyConfigured(fmt::format("{}: declared twice", where));
    f.model = &m;
    if (f.through_table.empty()) f.through_table = m.db_table + "_" + f.name;
    // The target's name was taken from its type when the field was registered (its meta may be mid-build).
    if (f.self_referential) {
      f.source_column = "from_" + m.model_name + "_id";
      f.target_column = "to_" + m.model_name + "_id";
    } else {
      f.source_column = m.model_name + "_id";
      if (f.target_column == f.source_column) f.target_column = "to_" + f.target_column;
    }
  }
  for (auto& o : m.ordering) {
    auto name = std::string_view(o);
    if (!name.empty() && name[0] == '-') name.remove_prefix(1);
    if (name == "?" || name == "pk" || name.find("__") != std::string_view::npos) continue;
    if (!m.find_field(name)) {
      throw ImproperlyConfigured(
          fmt::format("{}: 'ordering' refers to the nonexistent field '{}'. Choices are: {}", m.object_name,
                      name, names_of(m)));
    }
  }
}

}  // namespace detail
}  // namespace duet::db
