// The differential corpus: every case rendered by Django (scripts/template_corpus.py) must render the
// same, byte for byte, in duet. Syntax-error cases compare Django's message.
#include <duet/template/engine.hpp>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <fstream>
#include <sstream>

using namespace duet::templates;
namespace json = boost::json;

namespace {

const std::string kCorpus = DUET_TEMPLATE_CORPUS;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Case {
  std::string name, tmpl;
  json::value context;
  friend void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }
};

std::vector<Case> load_cases() {
  std::vector<Case> out;
  json::value doc = json::parse(read_file(kCorpus + "/cases.json"));
  for (const auto& c : doc.as_array()) {
    const auto& o = c.as_object();
    out.push_back(
        {std::string(o.at("name").as_string()), std::string(o.at("template").as_string()), o.at("context")});
  }
  return out;
}

int field(std::string_view s, std::size_t pos, std::size_t len) {
  return std::stoi(std::string(s.substr(pos, len)));
}

// The corpus' JSON conventions for values JSON has no type for.
Value to_value(const json::value& v) {
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.size() == 1 && o.contains("__datetime__")) {
      std::string_view s = o.at("__datetime__").as_string();
      DateTime d{field(s, 0, 4),  field(s, 5, 2),  field(s, 8, 2),
                 field(s, 11, 2), field(s, 14, 2), field(s, 17, 2)};
      return Value(d);
    }
    if (o.size() == 1 && o.contains("__date__")) {
      std::string_view s = o.at("__date__").as_string();
      DateTime d{field(s, 0, 4), field(s, 5, 2), field(s, 8, 2)};
      d.has_time = false;
      return Value(d);
    }
    if (o.size() == 1 && o.contains("__safe__")) return mark_safe(std::string(o.at("__safe__").as_string()));
    bool special = false;
    for (const auto& kv : o)
      special |= kv.value().is_object() || kv.value().is_array();
    if (!special) return Value(v);  // plain JSON stays JSON (exercises the borrowed-JSON path)
    Dict d;
    for (const auto& kv : o)
      d.emplace_back(std::string(kv.key()), to_value(kv.value()));
    return Value(std::move(d));
  }
  if (v.is_array()) {
    List l;
    for (const auto& e : v.get_array())
      l.push_back(to_value(e));
    return Value(std::move(l));
  }
  return Value(v);
}

std::shared_ptr<Library> extras() {
  auto lib = std::make_shared<Library>();
  lib->filter("shout", [](const Value& v) { return Value(v.str() + "!"); });
  lib->filter("shout", [](const Value& v) {
    std::string s = v.str();
    for (auto& c : s)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return Value(s + "!");
  });
  lib->simple_tag("greet", [](Context&, const List& args, const Dict&) {
    return Value("Hello, " + (args.empty() ? std::string() : args[0].str()));
  });
  return lib;
}

const Engine& engine() {
  static const Engine e = [] {
    EngineOptions o;
    o.dirs.push_back(kCorpus + "/templates");
    o.libraries["corpus_extras"] = extras();
    return Engine(std::move(o));
  }();
  return e;
}

class Corpus : public ::testing::TestWithParam<Case> {};

TEST_P(Corpus, MatchesDjango) {
  const Case& c = GetParam();
  std::string expected = read_file(kCorpus + "/expected/" + c.name + ".txt");
  Context ctx;
  if (c.context.is_object())
    for (const auto& kv : c.context.get_object())
      ctx.set(kv.key(), to_value(kv.value()));
  std::string got;
  try {
    got = engine().get_template(c.tmpl)->render(ctx);
  } catch (const TemplateSyntaxError& e) {
    got = "!TemplateSyntaxError: " + e.detail();
    // Library lists differ (Django has its own built-in ones): compare the first line of messages.
    expected = expected.substr(0, expected.find('\n'));
    got = got.substr(0, got.find('\n'));
  }
  EXPECT_EQ(got, expected) << "template " << c.tmpl;
}

INSTANTIATE_TEST_SUITE_P(Django, Corpus, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
