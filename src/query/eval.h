// Evaluation of InfluxQL expressions against a row or a tag set, three-valued: a condition over
// fields is "unknown" when only tags are known (series-level filtering). Internal to src/query.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "query/ast.h"
#include "query/catalog_view.h"
#include "query/regex.h"
#include "query/rows.h"

namespace verbund::query {

struct EvalValue {
  enum Kind { kNull, kUnknown, kFloat, kInt, kBool, kString, kRegex } kind = kNull;
  double f = 0;
  int64_t i = 0;
  bool b = false;
  bool is_time = false;  // the value is `time` (strings compared with it are parsed as times)
  std::string_view s;
  const Regex* re = nullptr;
};

struct CompiledRegexes {
  std::unordered_map<const Expr*, Regex> by_expr;
};

// Compiles every regex literal of `e` into `out`.
Status CompileRegexes(const Expr* e, CompiledRegexes* out);

// The row an expression is evaluated against; fields are looked up by name.
struct RowContext {
  const std::vector<storage::Tag>* tags = nullptr;
  bool has_row = false;
  int64_t time = 0;
  const std::vector<std::string>* field_names = nullptr;  // parallel to field_values
  const std::vector<Cell>* field_values = nullptr;
};

class Evaluator {
 public:
  Evaluator(const Measurement* m, const CompiledRegexes* regexes, int64_t now,
            bool refs_are_tags = false)
      : m_(m), regexes_(regexes), now_(now), refs_are_tags_(refs_are_tags) {}

  bool IsTag(const Expr& ref) const {
    if (ref.ref_type == RefType::kTag || refs_are_tags_) return true;
    if (ref.ref_type != RefType::kUnknown) return false;
    if (!m_) return false;
    return m_->tag_keys.count(ref.name) > 0 && m_->fields.count(ref.name) == 0;
  }

  EvalValue Eval(const Expr& e, const RowContext& ctx) const;

  // Condition truth: 1 true, 0 false, -1 unknown.
  int Truth(const Expr* cond, const RowContext& ctx) const {
    if (!cond) return 1;
    EvalValue v = Eval(*cond, ctx);
    if (v.kind == EvalValue::kUnknown) return -1;
    return v.kind == EvalValue::kBool && v.b ? 1 : 0;
  }

  static EvalValue FromCell(const Cell& c);

 private:
  static EvalValue Unknown() {
    EvalValue v;
    v.kind = EvalValue::kUnknown;
    return v;
  }
  static EvalValue Bool(bool b) {
    EvalValue v;
    v.kind = EvalValue::kBool;
    v.b = b;
    return v;
  }

  EvalValue EvalBinary(const Expr& e, const RowContext& ctx) const;

  static EvalValue TimeFromString(const EvalValue& s);

  static EvalValue Arith(BinaryOp op, const EvalValue& l, const EvalValue& r);

  const Measurement* m_;
  const CompiledRegexes* regexes_;
  int64_t now_;
  bool refs_are_tags_;
};

// Fields (not tags, not time) that `e` refers to.
void CollectFieldRefs(const Expr* e, const Evaluator& ev, std::set<std::string>* out);
bool HasFieldRefs(const Expr* cond, const Evaluator& ev);

// Tag sets of a measurement that may match a WHERE clause over tags.
std::vector<const TagSet*> FilterTagSets(const Measurement& m, const Expr* cond,
                                         const CompiledRegexes& regexes, int64_t now);

}  // namespace verbund::query
