// Unicode case mapping of lower, upper, title and capfirst, against outputs of Django 3.2 (Python 3.11)
// produced with /usr/bin/python3 (the cases below are what it printed).
#include <gtest/gtest.h>

#include <duet/template/engine.hpp>

#include <string>
#include <tuple>
#include <vector>

using namespace duet::templates;

TEST(UnicodeCase, MatchesPython) {
  // (filter, input, Django's output)
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"upper", "straße ǆemal ﬁsh ŉ", "STRASSE ǄEMAL FISH ʼN"},
      {"lower", "straße ǆemal ﬁsh ŉ", "straße ǆemal ﬁsh ŉ"},
      {"title", "straße ǆemal ﬁsh ŉ", "Straße ǅemal Fish ʼN"},
      {"capfirst", "straße ǆemal ﬁsh ŉ", "Straße ǆemal ﬁsh ŉ"},
      {"upper", "ΟΔΥΣΣΕΥΣ σοφός", "ΟΔΥΣΣΕΥΣ ΣΟΦΌΣ"},
      {"lower", "ΟΔΥΣΣΕΥΣ σοφός", "οδυσσευς σοφός"},
      {"title", "ΟΔΥΣΣΕΥΣ σοφός", "Οδυσσευς Σοφός"},
      {"capfirst", "ΟΔΥΣΣΕΥΣ σοφός", "ΟΔΥΣΣΕΥΣ σοφός"},
      {"upper", "ΣΑΣ Σ.", "ΣΑΣ Σ."},
      {"lower", "ΣΑΣ Σ.", "σας σ."},
      {"title", "ΣΑΣ Σ.", "Σας Σ."},
      {"capfirst", "ΣΑΣ Σ.", "ΣΑΣ Σ."},
      {"upper", "İstanbul ärger ÀÉÎ", "İSTANBUL ÄRGER ÀÉÎ"},
      {"lower", "İstanbul ärger ÀÉÎ", "i̇stanbul ärger àéî"},
      {"title", "İstanbul ärger ÀÉÎ", "İstanbul Ärger Àéî"},
      {"capfirst", "İstanbul ärger ÀÉÎ", "İstanbul ärger ÀÉÎ"},
      {"upper", "ǅungla ARMENIAN: ԱԲԳ աբգ", "ǄUNGLA ARMENIAN: ԱԲԳ ԱԲԳ"},
      {"lower", "ǅungla ARMENIAN: ԱԲԳ աբգ", "ǆungla armenian: աբգ աբգ"},
      {"title", "ǅungla ARMENIAN: ԱԲԳ աբգ", "ǅungla Armenian: Աբգ Աբգ"},
      {"capfirst", "ǅungla ARMENIAN: ԱԲԳ աբգ", "Ǆungla ARMENIAN: ԱԲԳ աբգ"},
      {"upper", "joe's 1st o'NEIL 2ND ٣rd", "JOE&#x27;S 1ST O&#x27;NEIL 2ND ٣RD"},
      {"lower", "joe's 1st o'NEIL 2ND ٣rd", "joe&#x27;s 1st o&#x27;neil 2nd ٣rd"},
      {"title", "joe's 1st o'NEIL 2ND ٣rd", "Joe&#x27;s 1st O&#x27;Neil 2nd ٣rd"},
      {"capfirst", "joe's 1st o'NEIL 2ND ٣rd", "Joe&#x27;s 1st o&#x27;NEIL 2ND ٣rd"},
      {"upper", "ǰ ΐ ꝺ Ꞵ ᏸ", "J̌ Ϊ́ Ꝺ Ꞵ Ᏸ"},
      {"lower", "ǰ ΐ ꝺ Ꞵ ᏸ", "ǰ ΐ ꝺ ꞵ ᏸ"},
      {"title", "ǰ ΐ ꝺ Ꞵ ᏸ", "J̌ Ϊ́ Ꝺ Ꞵ Ᏸ"},
      {"capfirst", "ǰ ΐ ꝺ Ꞵ ᏸ", "J̌ ΐ ꝺ Ꞵ ᏸ"},
      {"upper", "ĀĂĄ ЀЁЂ ѠѢ ӁӃ ⰀⰁ ａｂｃ", "ĀĂĄ ЀЁЂ ѠѢ ӁӃ ⰀⰁ ＡＢＣ"},
      {"lower", "ĀĂĄ ЀЁЂ ѠѢ ӁӃ ⰀⰁ ａｂｃ", "āăą ѐёђ ѡѣ ӂӄ ⰰⰱ ａｂｃ"},
      {"title", "ĀĂĄ ЀЁЂ ѠѢ ӁӃ ⰀⰁ ａｂｃ", "Āăą Ѐёђ Ѡѣ Ӂӄ Ⰰⰱ Ａｂｃ"},
      {"capfirst", "ĀĂĄ ЀЁЂ ѠѢ ӁӃ ⰀⰁ ａｂｃ", "ĀĂĄ ЀЁЂ ѠѢ ӁӃ ⰀⰁ ａｂｃ"},
  };
  Engine engine;
  for (const auto& [filter, input, expected] : cases) {
    auto t = engine.from_string("{{ v|" + filter + " }}");
    EXPECT_EQ(t->render(Context{{"v", input}}), expected) << filter << " of " << input;
  }
}
