// Operations on one model instance: save, delete, refresh, validation, and the bulk forms.
#include <fmt/format.h>

#include <chrono>

#include "auto_fields.hpp"
#include "duet/db/connection.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/models/foreign_key.hpp"
#include "duet/db/models/query.hpp"
#include "duet/db/transaction.hpp"

namespace duet::db::detail {

DeleteResult delete_pks(const ModelMeta& meta, std::vector<Value> pks, std::string_view alias);

std::string placeholder_list(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += i ? ", ?" : "?";
  return out;
}

DateTime auto_field_now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

void stamp_auto_fields(const ModelMeta& meta, void* obj, bool adding) {
  for (auto& f : meta.fields) {
    if (f.auto_now || (f.auto_now_add && adding && f.value_of(obj).is_null())) {
      if (f.type == FieldType::DateField) {
        f.assign(obj, Value(Date(std::chrono::floor<std::chrono::days>(auto_field_now()))));
      } else {
        f.assign(obj, Value(auto_field_now()));
      }
    }
  }
}

void check_save_options(const ModelMeta& meta, const void* obj, bool force_insert,
                        const std::vector<std::string>& update_fields) {
  if (update_fields.empty()) return;
  if (force_insert) throw ValueError("Cannot force both insert and updating in model saving.");
  if (meta.pk().value_of(obj).is_null())
    throw ValueError("Cannot force an update in save() with no primary key.");
}

std::optional<CompiledQuery> compile_save_update(const ModelMeta& meta, void* obj, const ModelState& state,
                                                 const std::vector<std::string>& update_fields) {
  const FieldInfo& pk = meta.pk();
  CompiledQuery out;
  std::string sets;
  if (!update_fields.empty()) {
    for (auto& name : update_fields) {
      const FieldInfo* f = meta.find_field(name);
      if (!f || f->primary_key) {
        throw ValueError(
            fmt::format("The following fields do not exist in this model, are m2m fields, or are "
                        "non-concrete fields: {}",
                        name));
      }
      if (f->auto_now) f->assign(obj, Value(auto_field_now()));
      sets += (sets.empty() ? "" : ", ") + quote_name(f->column) + " = ?";
      out.params.push_back(f->value_of(obj));
    }
  } else {
    stamp_auto_fields(meta, obj, state.adding);
    for (auto& f : meta.fields) {
      if (f.primary_key) continue;
      sets += (sets.empty() ? "" : ", ") + quote_name(f.column) + " = ?";
      out.params.push_back(f.value_of(obj));
    }
  }
  if (sets.empty()) return std::nullopt;
  out.params.push_back(pk.value_of(obj));
  out.sql =
      fmt::format("UPDATE {} SET {} WHERE {} = ?", quote_name(meta.db_table), sets, quote_name(pk.column));
  return out;
}

namespace {

// The columns an INSERT writes: all but an auto key that is still NULL. Fills defaults first.
std::vector<const FieldInfo*> insert_fields(const ModelMeta& meta, void* obj) {
  std::vector<const FieldInfo*> out;
  for (auto& f : meta.fields) {
    Value v = f.value_of(obj);
    if (f.is_auto() && v.is_null()) continue;
    if (v.is_null() && f.default_value) f.assign(obj, *f.default_value);
    out.push_back(&f);
  }
  return out;
}

std::string select_by_pk_sql(const ModelMeta& meta) {
  std::string cols;
  for (auto& f : meta.fields)
    cols += (cols.empty() ? "" : ", ") + quote_name(f.column);
  return fmt::format("SELECT {} FROM {} WHERE {} = ?", cols, quote_name(meta.db_table),
                     quote_name(meta.pk().column));
}

std::string capitalized_label(const FieldInfo& f) {
  std::string label = f.verbose_name.empty() ? f.name : f.verbose_name;
  for (char& c : label) {
    if (c == '_') c = ' ';
  }
  if (!label.empty()) label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(label[0])));
  return label;
}

// Django's DecimalValidator over decimal text ("-12.50", "1e3"): the message of the first rule broken,
// or empty. Digits are counted as Python's Decimal.as_tuple() does (leading zeros do not count).
std::string decimal_error(std::string_view text, int max_digits, int decimal_places) {
  std::string_view s = text;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  std::string coefficient;
  int exponent = 0;
  bool dot = false, any = false;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      coefficient += c;
      any = true;
      if (dot) --exponent;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E') && any) {
    std::string_view e = s.substr(i + 1);
    bool neg = !e.empty() && e[0] == '-';
    if (!e.empty() && (e[0] == '-' || e[0] == '+')) e.remove_prefix(1);
    if (e.empty() || e.size() > 9) return fmt::format("\u201c{}\u201d value must be a decimal number.", text);
    int n = 0;
    for (char c : e) {
      if (c < '0' || c > '9') return fmt::format("\u201c{}\u201d value must be a decimal number.", text);
      n = n * 10 + (c - '0');
    }
    exponent += neg ? -n : n;
    i = s.size();
  }
  if (!any || i != s.size()) return fmt::format("\u201c{}\u201d value must be a decimal number.", text);
  auto first = coefficient.find_first_not_of('0');
  std::size_t ndigits = first == std::string::npos ? 1 : coefficient.size() - first;
  long digits, decimals;
  if (exponent >= 0) {
    digits = static_cast<long>(ndigits) + exponent;
    decimals = 0;
  } else if (static_cast<std::size_t>(-exponent) > ndigits) {
    digits = decimals = -exponent;
  } else {
    digits = static_cast<long>(ndigits);
    decimals = -exponent;
  }
  if (max_digits > 0 && digits > max_digits)
    return fmt::format("Ensure that there are no more than {} digits in total.", max_digits);
  if (decimals > decimal_places)
    return fmt::format("Ensure that there are no more than {} decimal places.", decimal_places);
  if (max_digits > 0 && digits - decimals > max_digits - decimal_places) {
    return fmt::format("Ensure that there are no more than {} digits before the decimal point.",
                       max_digits - decimal_places);
  }
  return {};
}

}  // namespace

Value pk_of(const ModelMeta& meta, const void* obj) {
  return meta.pk().value_of(obj);
}

std::string not_loaded_message(const ModelMeta& target, std::string_view) {
  return fmt::format(
      "Accessing the related {} here would run a query on the event loop. Load it in the query with "
      "select_related(), or fetch it explicitly with `co_await book.author.afetch()` (the key's afetch()).",
      target.object_name);
}

void set_field(const ModelMeta& meta, void* obj, std::string_view name, const Value& v) {
  const FieldInfo* f = name == "pk" ? &meta.pk() : meta.find_field(name);
  if (!f) {
    throw FieldError(fmt::format("{}() got unexpected keyword arguments: '{}'. Choices are: {}",
                                 meta.object_name, name, meta.field_choices()));
  }
  f->assign(obj, v);
}

void save_object(const ModelMeta& meta, void* obj, ModelState& state, std::string_view alias,
                 bool force_insert, const std::vector<std::string>& update_fields) {
  auto& conn = connections[alias];
  const FieldInfo& pk = meta.pk();
  check_save_options(meta, obj, force_insert, update_fields);
  if (!force_insert && !pk.value_of(obj).is_null()) {
    auto update = compile_save_update(meta, obj, state, update_fields);
    std::int64_t n = update ? conn.execute(update->sql, update->params) : 1;
    if (!update_fields.empty() && n == 0)
      throw DatabaseError("Save with update_fields did not affect any rows.");
    if (n > 0) {
      state.adding = false;
      state.db = std::string(alias);
      return;
    }
  } else {
    stamp_auto_fields(meta, obj, state.adding);
  }
  auto fields = insert_fields(meta, obj);
  std::string cols;
  std::vector<Value> params;
  for (auto* f : fields) {
    cols += (cols.empty() ? "" : ", ") + quote_name(f->column);
    params.push_back(f->value_of(obj));
  }
  std::string sql = fields.empty() ? fmt::format("INSERT INTO {} DEFAULT VALUES", quote_name(meta.db_table))
                                   : fmt::format("INSERT INTO {} ({}) VALUES ({})", quote_name(meta.db_table),
                                                 cols, placeholder_list(fields.size()));
  if (pk.is_auto() && pk.value_of(obj).is_null()) {
    // RETURNING rather than SQLite's last_insert_rowid(): the same statement on both backends.
    auto rows = conn.query(sql + " RETURNING " + quote_name(pk.column), params);
    if (rows.empty() || rows[0].empty()) throw DatabaseError("INSERT ... RETURNING returned no key");
    pk.assign(obj, rows[0][0]);
  } else {
    conn.execute(sql, params);
  }
  state.adding = false;
  state.db = std::string(alias);
}

DeleteResult delete_object(const ModelMeta& meta, const void* obj, ModelState& state,
                           std::string_view alias) {
  Value pk = meta.pk().value_of(obj);
  if (pk.is_null()) {
    throw ValueError(fmt::format("{} object can't be deleted because its {} attribute is set to None.",
                                 meta.object_name, meta.pk().attname));
  }
  auto result = delete_pks(meta, {pk}, alias);
  // As Django: the instance stays usable, its key cleared (saving it again inserts a new row).
  meta.pk().assign(const_cast<void*>(obj), Value());
  state.adding = true;
  return result;
}

bool refresh_object(const ModelMeta& meta, void* obj, ModelState& state, std::string_view alias) {
  Value pk = meta.pk().value_of(obj);
  if (pk.is_null())
    throw ValueError(fmt::format("{} object has no primary key to refresh from", meta.object_name));
  auto rows = connections[alias].query(select_by_pk_sql(meta), {pk});
  if (rows.empty()) return false;
  for (std::size_t i = 0; i < meta.fields.size(); ++i) {
    auto& f = meta.fields[i];
    f.assign(obj, rows[0][i]);
    if (f.clear_related) f.clear_related(f.member(obj));
  }
  state.adding = false;
  state.db = std::string(alias);
  return true;
}

void load_by_pk(const ModelMeta& meta, void* obj, const Value& pk, std::string_view alias) {
  auto rows = connections[alias].query(select_by_pk_sql(meta), {pk});
  if (rows.empty()) throw ObjectDoesNotExist(does_not_exist_message(meta));
  for (std::size_t i = 0; i < meta.fields.size(); ++i)
    meta.fields[i].assign(obj, rows[0][i]);
  auto& st = *reinterpret_cast<ModelState*>(static_cast<char*>(obj) + meta.state_offset);
  st.adding = false;
  st.db = std::string(alias);
}

void full_clean_object(const ModelMeta& meta, const void* obj, std::string_view alias) {
  std::vector<std::pair<std::string, std::string>> errors;
  Value pk = meta.pk().value_of(obj);
  for (auto& f : meta.fields) {
    Value v = f.value_of(obj);
    if (v.is_null()) {
      if (!f.null && !f.is_auto() && !f.default_value && !f.auto_now && !f.auto_now_add) {
        errors.emplace_back(f.name, "This field cannot be null.");
      }
      continue;
    }
    if (v.is_string() && v.as_string().empty() && !f.blank &&
        (f.type == FieldType::CharField || f.type == FieldType::TextField)) {
      errors.emplace_back(f.name, "This field cannot be blank.");
      continue;
    }
    if (f.max_length && v.is_string()) {
      // Characters, not bytes: count UTF-8 lead bytes.
      std::size_t chars = 0;
      for (unsigned char c : v.as_string())
        chars += (c & 0xC0) != 0x80;
      if (chars > static_cast<std::size_t>(*f.max_length)) {
        errors.emplace_back(f.name, fmt::format("Ensure this value has at most {} characters (it has {}).",
                                                *f.max_length, chars));
      }
    }
    if (f.type == FieldType::DecimalField) {
      auto error = decimal_error(v.is_string() ? v.as_string() : v.repr(), f.max_digits, f.decimal_places);
      if (!error.empty()) errors.emplace_back(f.name, std::move(error));
    }
    if (!f.choices.empty()) {
      bool ok = false;
      for (auto& [value, _] : f.choices)
        ok = ok || value == v;
      if (!ok) errors.emplace_back(f.name, fmt::format("Value {} is not a valid choice.", v.repr()));
    }
    if (f.unique && !f.primary_key) {
      auto sql = fmt::format("SELECT 1 FROM {} WHERE {} = ?{} LIMIT 1", quote_name(meta.db_table),
                             quote_name(f.column),
                             pk.is_null() ? "" : " AND " + quote_name(meta.pk().column) + " != ?");
      std::vector<Value> params{v};
      if (!pk.is_null()) params.push_back(pk);
      if (!connections[alias].query(sql, params).empty()) {
        errors.emplace_back(
            f.name, fmt::format("{} with this {} already exists.", meta.object_name, capitalized_label(f)));
      }
    }
  }
  if (errors.empty()) return;
  std::string msg;
  for (auto& [field, m] : errors)
    msg += (msg.empty() ? "" : "; ") + field + ": " + m;
  throw ValidationError(msg, std::move(errors));
}

void insert_many(const ModelMeta& meta, const std::vector<void*>& objs, std::vector<ModelState*>& states,
                 std::string_view alias, std::size_t batch_size) {
  if (objs.empty()) return;
  auto& conn = connections[alias];
  const FieldInfo& pk = meta.pk();
  transaction::atomic tx(alias);
  // Objects with and without a key write different column lists; each group is batched separately.
  // Grouped before inserting: inserting the first group gives its objects keys.
  std::vector<std::size_t> groups[2];
  for (std::size_t i = 0; i < objs.size(); ++i)
    groups[pk.value_of(objs[i]).is_null() ? 0 : 1].push_back(i);
  for (auto& group : groups) {
    if (group.empty()) continue;
    for (auto i : group)
      stamp_auto_fields(meta, objs[i], true);
    auto fields = insert_fields(meta, objs[group[0]]);
    for (auto i : group)
      insert_fields(meta, objs[i]);
    if (fields.empty()) {
      for (auto i : group) {
        auto rows = conn.query(fmt::format("INSERT INTO {} DEFAULT VALUES RETURNING {}",
                                           quote_name(meta.db_table), quote_name(pk.column)));
        pk.assign(objs[i], rows.at(0).at(0));
      }
      continue;
    }
    std::string cols;
    for (auto* f : fields)
      cols += (cols.empty() ? "" : ", ") + quote_name(f->column);
    // SQLite's limit on bound variables (32766 since 3.32) bounds the rows per statement too.
    std::size_t per =
        std::max<std::size_t>(1, std::min(batch_size ? batch_size : 500, 32000 / fields.size()));
    std::string row = "(" + placeholder_list(fields.size()) + ")";
    for (std::size_t start = 0; start < group.size(); start += per) {
      std::size_t end = std::min(group.size(), start + per);
      std::string values;
      std::vector<Value> params;
      params.reserve((end - start) * fields.size());
      for (std::size_t k = start; k < end; ++k) {
        values += (k == start ? "" : ", ") + row;
        for (auto* f : fields)
          params.push_back(f->value_of(objs[group[k]]));
      }
      auto sql = fmt::format("INSERT INTO {} ({}) VALUES {} RETURNING {}", quote_name(meta.db_table), cols,
                             values, quote_name(pk.column));
      std::size_t k = start;
      conn.for_each(sql, params, [&](const Row& r) {
        if (k < end) pk.assign(objs[group[k++]], r.at(0));
      });
    }
  }
  for (auto* st : states) {
    st->adding = false;
    st->db = std::string(alias);
  }
}

std::int64_t update_many(const ModelMeta& meta, const std::vector<const void*>& objs,
                         const std::vector<std::string>& fields, std::string_view alias, std::size_t) {
  if (fields.empty()) throw ValueError("Field names must be given to bulk_update().");
  std::vector<const FieldInfo*> fs;
  std::string sets;
  for (auto& name : fields) {
    const FieldInfo* f = meta.find_field(name);
    if (!f) throw FieldError(fmt::format("{} has no field named '{}'", meta.object_name, name));
    if (f->primary_key) throw ValueError("bulk_update() cannot be used with primary key fields.");
    fs.push_back(f);
    sets += (sets.empty() ? "" : ", ") + quote_name(f->column) + " = ?";
  }
  auto sql = fmt::format("UPDATE {} SET {} WHERE {} = ?", quote_name(meta.db_table), sets,
                         quote_name(meta.pk().column));
  auto& conn = connections[alias];
  // One prepared statement reused per row inside one transaction: as fast on SQLite as Django's CASE form.
  transaction::atomic tx(alias);
  std::int64_t n = 0;
  for (const void* obj : objs) {
    Value pk = meta.pk().value_of(obj);
    if (pk.is_null()) throw ValueError("All bulk_update() objects must have a primary key set.");
    std::vector<Value> params;
    for (auto* f : fs)
      params.push_back(f->value_of(obj));
    params.push_back(pk);
    n += conn.execute(sql, params);
  }
  return n;
}

}  // namespace duet::db::detail
