// Fuzzes the InfluxQL parser (any text must parse or fail with a Status, never crash or hang)
// and, when it parses, renders every expression back to text.
#include <cstdint>
#include <string_view>
#include <variant>

#include "query/parser.h"

namespace {

size_t Touch(const verbund::query::Expr* e) {
  if (!e) return 0;
  return verbund::query::ExprToString(*e).size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto q = verbund::query::ParseQuery(text);
  if (!q.ok()) return 0;
  size_t n = 0;
  for (const auto& st : q->statements) {
    if (const auto* s = std::get_if<verbund::query::SelectStatement>(&st)) {
      for (const auto& f : s->fields) n += Touch(f.expr.get());
      n += Touch(s->condition.get());
    }
  }
  return n == SIZE_MAX ? 1 : 0;
}
