#include "query/ast.h"

#include <cctype>
#include <charconv>

#include "query/parser.h"

namespace verbund::query {
namespace {

const char* OpText(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSub: return "-";
    case BinaryOp::kMul: return "*";
    case BinaryOp::kDiv: return "/";
    case BinaryOp::kMod: return "%";
    case BinaryOp::kBitAnd: return "&";
    case BinaryOp::kBitOr: return "|";
    case BinaryOp::kBitXor: return "^";
    case BinaryOp::kAnd: return "AND";
    case BinaryOp::kOr: return "OR";
    case BinaryOp::kEq: return "=";
    case BinaryOp::kNeq: return "!=";
    case BinaryOp::kLt: return "<";
    case BinaryOp::kLte: return "<=";
    case BinaryOp::kGt: return ">";
    case BinaryOp::kGte: return ">=";
    case BinaryOp::kEqRegex: return "=~";
    case BinaryOp::kNeqRegex: return "!~";
  }
  return "?";
}

bool NeedsQuote(const std::string& s) {
  if (s.empty()) return true;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return true;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return true;
  }
  return false;
}

}  // namespace

std::string ExprToString(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kVarRef: return NeedsQuote(e.name) ? "\"" + e.name + "\"" : e.name;
    case Expr::Kind::kCall: {
      std::string s = e.name + "(";
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i) s += ", ";
        s += ExprToString(*e.args[i]);
      }
      return s + ")";
    }
    case Expr::Kind::kNumber: {
      char buf[64];
      auto [p, ec] = std::to_chars(buf, buf + sizeof buf, e.number);
      return std::string(buf, p);
    }
    case Expr::Kind::kInteger: return std::to_string(e.integer);
    case Expr::Kind::kString: return "'" + e.text + "'";
    case Expr::Kind::kBool: return e.boolean ? "true" : "false";
    case Expr::Kind::kDuration: return FormatDuration(e.integer);
    case Expr::Kind::kRegex: return "/" + e.text + "/";
    case Expr::Kind::kBinary:
      return ExprToString(*e.lhs) + " " + OpText(e.op) + " " + ExprToString(*e.rhs);
    case Expr::Kind::kParen: return "(" + ExprToString(*e.lhs) + ")";
    case Expr::Kind::kWildcard: return "*";
  }
  return "";
}

ExprPtr CloneExpr(const Expr& e) {
  auto c = std::make_unique<Expr>();
  c->kind = e.kind;
  c->name = e.name;
  c->text = e.text;
  c->ref_type = e.ref_type;
  c->number = e.number;
  c->integer = e.integer;
  c->boolean = e.boolean;
  c->op = e.op;
  if (e.lhs) c->lhs = CloneExpr(*e.lhs);
  if (e.rhs) c->rhs = CloneExpr(*e.rhs);
  for (const auto& a : e.args) c->args.push_back(CloneExpr(*a));
  return c;
}

}  // namespace verbund::query
