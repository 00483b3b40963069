// InfluxQL abstract syntax tree for the subset Verbund supports (doc/query.md). Produced by
// ParseQuery() (query/parser.h), consumed by the Executor (query/executor.h). Plain values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace verbund::query {

enum class BinaryOp {
  kAdd, kSub, kMul, kDiv, kMod, kBitAnd, kBitOr, kBitXor,
  kAnd, kOr,
  kEq, kNeq, kLt, kLte, kGt, kGte, kEqRegex, kNeqRegex,
};

// `::field` / `::tag` / `::float` ... suffix of a variable reference.
enum class RefType { kUnknown, kField, kTag, kFloat, kInteger, kString, kBoolean };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

//! One expression node; `kind` says which members are meaningful.
struct Expr {
  enum class Kind {
    kVarRef,    // name, ref_type
    kCall,      // name (lower-case function name), args
    kNumber,    // number
    kInteger,   // integer
    kString,    // text
    kBool,      // boolean
    kDuration,  // integer (nanoseconds)
    kRegex,     // text (the pattern)
    kBinary,    // op, lhs, rhs
    kParen,     // lhs
    kWildcard,  // `*` (in SELECT fields and count(*))
  };
  Kind kind = Kind::kInteger;
  std::string name;
  std::string text;
  RefType ref_type = RefType::kUnknown;
  double number = 0;
  int64_t integer = 0;
  bool boolean = false;
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs, rhs;
  std::vector<ExprPtr> args;
};

// InfluxQL's own rendering of an expression (used for column names and error messages).
std::string ExprToString(const Expr& e);
ExprPtr CloneExpr(const Expr& e);

struct SelectField {
  ExprPtr expr;
  std::string alias;  // "" = none
};

// A measurement source: name or /regex/, optionally qualified by database and retention policy.
struct Source {
  std::string database;
  std::string retention_policy;
  std::string name;
  bool is_regex = false;  // `name` holds the pattern
};

enum class FillMode { kNull, kNone, kPrevious, kLinear, kNumber };

struct Dimensions {
  std::optional<int64_t> interval;  // GROUP BY time(interval[, offset]) in ns
  int64_t offset = 0;
  std::vector<std::string> tags;
  std::vector<std::string> tag_regexes;
  bool all_tags = false;            // GROUP BY *
  bool multiple_intervals = false;  // more than one time(); an error at execution, like InfluxDB
};

struct SelectStatement {
  std::vector<SelectField> fields;
  std::vector<Source> sources;
  ExprPtr condition;  // may be null
  Dimensions group_by;
  FillMode fill = FillMode::kNull;
  double fill_number = 0;
  bool fill_number_is_int = false;
  bool order_desc = false;
  int64_t limit = 0, offset = 0, slimit = 0, soffset = 0;
};

struct ShowDatabasesStatement {};

struct ShowMeasurementsStatement {
  std::string database;            // ON db; "" = the request's database
  std::optional<Source> with;      // WITH MEASUREMENT = name | =~ /re/
  ExprPtr condition;
  int64_t limit = 0, offset = 0;
};

struct ShowTagKeysStatement {
  std::string database;
  std::vector<Source> sources;
  ExprPtr condition;
  int64_t limit = 0, offset = 0;
};

struct ShowTagValuesStatement {
  std::string database;
  std::vector<Source> sources;
  BinaryOp key_op = BinaryOp::kEq;  // kEq, kNeq, kEqRegex, kNeqRegex; `IN` = kEq with many keys
  std::vector<std::string> keys;    // literal keys (or the single regex pattern)
  ExprPtr condition;
  int64_t limit = 0, offset = 0;
};

struct ShowFieldKeysStatement {
  std::string database;
  std::vector<Source> sources;
  int64_t limit = 0, offset = 0;
};

struct ShowSeriesStatement {
  std::string database;
  std::vector<Source> sources;
  ExprPtr condition;
  int64_t limit = 0, offset = 0;
};

struct ShowRetentionPoliciesStatement {
  std::string database;
};

struct CreateDatabaseStatement {
  std::string name;
};

// DELETE [FROM sources] [WHERE cond]; DROP SERIES [FROM sources] [WHERE cond] and
// DROP MEASUREMENT name are parsed into this too (they differ only in their required parts).
struct DeleteStatement {
  std::vector<Source> sources;
  ExprPtr condition;
};

using Statement =
    std::variant<SelectStatement, ShowDatabasesStatement, ShowMeasurementsStatement,
                 ShowTagKeysStatement, ShowTagValuesStatement, ShowFieldKeysStatement,
                 ShowSeriesStatement, ShowRetentionPoliciesStatement, CreateDatabaseStatement,
                 DeleteStatement>;

struct Query {
  std::vector<Statement> statements;
};

}  // namespace verbund::query
