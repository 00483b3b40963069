#include "query/parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "query/regex.h"

namespace verbund::query {
namespace {

enum class Tok {
  kIllegal, kEof, kWs,
  kIdent, kNumber, kInteger, kDuration, kString, kBadString, kBadEscape, kTrue, kFalse, kRegex,
  kBadRegex,
  // operators
  kAdd, kSub, kMul, kDiv, kMod, kBitAnd, kBitOr, kBitXor,
  kEq, kNeq, kEqRegex, kNeqRegex, kLt, kLte, kGt, kGte,
  kLParen, kRParen, kComma, kColon, kDoubleColon, kSemicolon, kDot,
  kAnd, kOr,
  // keywords
  kKwFirst,
  kAll, kAlter, kAs, kAsc, kBy, kCreate, kDatabase, kDatabases, kDelete, kDesc, kDrop, kExplain,
  kField, kFill, kFrom, kGrant, kGroup, kIn, kInto, kKey, kKeys, kKill, kLimit, kMeasurement,
  kMeasurements, kOffset, kOn, kOrder, kPolicies, kRetention, kRevoke, kSelect, kSeries, kSet,
  kShow, kSlimit, kSoffset, kTag, kValues, kWhere, kWith, kTz,
  kKwLast,
};

struct KeywordEntry {
  const char* text;
  Tok tok;
};

constexpr KeywordEntry kKeywords[] = {
    {"ALL", Tok::kAll}, {"ALTER", Tok::kAlter}, {"AND", Tok::kAnd}, {"AS", Tok::kAs},
    {"ASC", Tok::kAsc}, {"BY", Tok::kBy}, {"CREATE", Tok::kCreate},
    {"DATABASE", Tok::kDatabase}, {"DATABASES", Tok::kDatabases}, {"DELETE", Tok::kDelete},
    {"DESC", Tok::kDesc}, {"DROP", Tok::kDrop}, {"EXPLAIN", Tok::kExplain},
    {"FALSE", Tok::kFalse}, {"FIELD", Tok::kField}, {"FILL", Tok::kFill}, {"FROM", Tok::kFrom},
    {"GRANT", Tok::kGrant}, {"GROUP", Tok::kGroup}, {"IN", Tok::kIn}, {"INTO", Tok::kInto},
    {"KEY", Tok::kKey}, {"KEYS", Tok::kKeys}, {"KILL", Tok::kKill}, {"LIMIT", Tok::kLimit},
    {"MEASUREMENT", Tok::kMeasurement}, {"MEASUREMENTS", Tok::kMeasurements},
    {"OFFSET", Tok::kOffset}, {"ON", Tok::kOn}, {"OR", Tok::kOr}, {"ORDER", Tok::kOrder},
    {"POLICIES", Tok::kPolicies}, {"RETENTION", Tok::kRetention}, {"REVOKE", Tok::kRevoke},
    {"SELECT", Tok::kSelect}, {"SERIES", Tok::kSeries}, {"SET", Tok::kSet},
    {"SHOW", Tok::kShow}, {"SLIMIT", Tok::kSlimit}, {"SOFFSET", Tok::kSoffset},
    {"TAG", Tok::kTag}, {"TRUE", Tok::kTrue}, {"VALUES", Tok::kValues}, {"WHERE", Tok::kWhere},
    {"WITH", Tok::kWith},
};

std::string TokName(Tok t) {
  switch (t) {
    case Tok::kEof: return "EOF";
    case Tok::kIdent: return "identifier";
    case Tok::kNumber: return "number";
    case Tok::kInteger: return "integer";
    case Tok::kDuration: return "duration";
    case Tok::kString: return "string";
    case Tok::kRegex: return "regex";
    case Tok::kAdd: return "+";
    case Tok::kSub: return "-";
    case Tok::kMul: return "*";
    case Tok::kDiv: return "/";
    case Tok::kMod: return "%";
    case Tok::kBitAnd: return "&";
    case Tok::kBitOr: return "|";
    case Tok::kBitXor: return "^";
    case Tok::kEq: return "=";
    case Tok::kNeq: return "!=";
    case Tok::kEqRegex: return "=~";
    case Tok::kNeqRegex: return "!~";
    case Tok::kLt: return "<";
    case Tok::kLte: return "<=";
    case Tok::kGt: return ">";
    case Tok::kGte: return ">=";
    case Tok::kLParen: return "(";
    case Tok::kRParen: return ")";
    case Tok::kComma: return ",";
    case Tok::kColon: return ":";
    case Tok::kDoubleColon: return "::";
    case Tok::kSemicolon: return ";";
    case Tok::kDot: return ".";
    default: break;
  }
  for (const auto& k : kKeywords) {
    if (k.tok == t) return k.text;
  }
  return "ILLEGAL";
}

struct Token {
  Tok tok = Tok::kEof;
  std::string lit;
  int line = 0, col = 0;  // 0-based, like influxql.Pos
};

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsLetter(c) || IsDigit(c); }

// InfluxQL scanner. Regexes are scanned on demand (ScanRegex) where the grammar allows them.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  Token Scan() {
    Token t;
    t.line = line_;
    t.col = col_;
    if (pos_ >= s_.size()) {
      t.tok = Tok::kEof;
      ++t.col;  // Go's reader advances past EOF before reporting it
      return t;
    }
    char c = s_[pos_];
    if (std::isspace(static_cast<unsigned char>(c))) {
      while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) Advance();
      t.tok = Tok::kWs;
      return t;
    }
    if (IsLetter(c)) return ScanIdent(t);
    if (c == '"') {
      Advance();
      return ScanQuoted(t, '"', Tok::kIdent);
    }
    if (c == '\'') {
      Advance();
      return ScanQuoted(t, '\'', Tok::kString);
    }
    if (IsDigit(c) || (c == '.' && pos_ + 1 < s_.size() && IsDigit(s_[pos_ + 1]))) {
      return ScanNumber(t);
    }
    Advance();
    auto next_is = [&](char n) {
      if (pos_ < s_.size() && s_[pos_] == n) {
        Advance();
        return true;
      }
      return false;
    };
    switch (c) {
      case '+': t.tok = Tok::kAdd; break;
      case '-':
        if (next_is('-')) {  // comment to end of line
          while (pos_ < s_.size() && s_[pos_] != '\n') Advance();
          t.tok = Tok::kWs;
          break;
        }
        t.tok = Tok::kSub;
        break;
      case '*': t.tok = Tok::kMul; break;
      case '/':
        if (next_is('*')) {  // block comment
          while (pos_ + 1 < s_.size() && !(s_[pos_] == '*' && s_[pos_ + 1] == '/')) Advance();
          if (pos_ + 1 < s_.size()) {
            Advance();
            Advance();
          } else {
            pos_ = s_.size();
          }
          t.tok = Tok::kWs;
          break;
        }
        t.tok = Tok::kDiv;
        break;
      case '%': t.tok = Tok::kMod; break;
      case '&': t.tok = Tok::kBitAnd; break;
      case '|': t.tok = Tok::kBitOr; break;
      case '^': t.tok = Tok::kBitXor; break;
      case '=': t.tok = next_is('~') ? Tok::kEqRegex : Tok::kEq; break;
      case '!':
        if (next_is('=')) t.tok = Tok::kNeq;
        else if (next_is('~')) t.tok = Tok::kNeqRegex;
        else t.tok = Tok::kIllegal, t.lit = "!";
        break;
      case '<':
        if (next_is('=')) t.tok = Tok::kLte;
        else if (next_is('>')) t.tok = Tok::kNeq;
        else t.tok = Tok::kLt;
        break;
      case '>': t.tok = next_is('=') ? Tok::kGte : Tok::kGt; break;
      case '(': t.tok = Tok::kLParen; break;
      case ')': t.tok = Tok::kRParen; break;
      case ',': t.tok = Tok::kComma; break;
      case ';': t.tok = Tok::kSemicolon; break;
      case '.': t.tok = Tok::kDot; break;
      case ':': t.tok = next_is(':') ? Tok::kDoubleColon : Tok::kColon; break;
      default:
        t.tok = Tok::kIllegal;
        t.lit = std::string(1, c);
        // Keep multi-byte UTF-8 sequences together in the message.
        while (pos_ < s_.size() && (static_cast<unsigned char>(s_[pos_]) & 0xC0) == 0x80) {
          t.lit.push_back(s_[pos_]);
          Advance();
        }
        break;
    }
    return t;
  }

  // Scans /regex/ starting at the current position (after skipping whitespace).
  Token ScanRegex() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) Advance();
    Token t;
    t.line = line_;
    t.col = col_;
    if (pos_ >= s_.size() || s_[pos_] != '/') {
      Token other = Scan();
      return other;
    }
    Advance();
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) {
        t.tok = Tok::kBadRegex;
        t.lit = out;
        return t;
      }
      char c = s_[pos_];
      Advance();
      if (c == '\\' && pos_ < s_.size() && s_[pos_] == '/') {
        out.push_back('/');
        Advance();
        continue;
      }
      if (c == '\\' && pos_ < s_.size()) {
        out.push_back('\\');
        out.push_back(s_[pos_]);
        Advance();
        continue;
      }
      if (c == '/') break;
      out.push_back(c);
    }
    t.tok = Tok::kRegex;
    t.lit = std::move(out);
    return t;
  }

  bool AtRegexStart() {
    size_t p = pos_;
    while (p < s_.size() && std::isspace(static_cast<unsigned char>(s_[p]))) ++p;
    return p < s_.size() && s_[p] == '/';
  }

 private:
  void Advance() {
    if (s_[pos_] == '\n') {
      ++line_;
      col_ = 0;
    } else {
      ++col_;
    }
    ++pos_;
  }

  Token ScanIdent(Token t) {
    size_t start = pos_;
    while (pos_ < s_.size() && IsIdentChar(s_[pos_])) Advance();
    std::string_view word = s_.substr(start, pos_ - start);
    std::string upper(word);
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    for (const auto& k : kKeywords) {
      if (upper == k.text) {
        t.tok = k.tok;
        return t;
      }
    }
    t.tok = Tok::kIdent;
    t.lit = std::string(word);
    return t;
  }

  Token ScanQuoted(Token t, char quote, Tok kind) {
    std::string out;
    while (true) {
      if (pos_ >= s_.size() || s_[pos_] == '\n') {
        t.tok = Tok::kBadString;
        t.lit = out;
        return t;
      }
      char c = s_[pos_];
      Advance();
      if (c == quote) break;
      if (c == '\\') {
        if (pos_ >= s_.size()) {
          t.tok = Tok::kBadString;
          t.lit = out;
          return t;
        }
        char e = s_[pos_];
        Advance();
        if (e == 'n') out.push_back('\n');
        else if (e == '\\') out.push_back('\\');
        else if (e == '"') out.push_back('"');
        else if (e == '\'') out.push_back('\'');
        else {
          t.tok = Tok::kBadEscape;
          t.lit = std::string("\\") + e;
          return t;
        }
        continue;
      }
      out.push_back(c);
    }
    t.tok = kind;
    t.lit = std::move(out);
    return t;
  }

  Token ScanNumber(Token t) {
    size_t start = pos_;
    while (pos_ < s_.size() && IsDigit(s_[pos_])) Advance();
    bool is_float = false;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      is_float = true;
      Advance();
      while (pos_ < s_.size() && IsDigit(s_[pos_])) Advance();
    }
    // Duration units (letters or µ) turn the number into a duration literal; "1h30m" repeats.
    auto at_unit = [&] {
      return pos_ < s_.size() &&
             (IsLetter(s_[pos_]) || (static_cast<unsigned char>(s_[pos_]) == 0xC2 &&
                                     pos_ + 1 < s_.size() &&
                                     static_cast<unsigned char>(s_[pos_ + 1]) == 0xB5));
    };
    if (!is_float && at_unit()) {
      while (true) {
        while (at_unit()) {
          if (static_cast<unsigned char>(s_[pos_]) == 0xC2) Advance();
          Advance();
        }
        if (pos_ < s_.size() && IsDigit(s_[pos_])) {
          while (pos_ < s_.size() && IsDigit(s_[pos_])) Advance();
          continue;
        }
        break;
      }
      t.tok = Tok::kDuration;
      t.lit = std::string(s_.substr(start, pos_ - start));
      return t;
    }
    t.tok = is_float ? Tok::kNumber : Tok::kInteger;
    t.lit = std::string(s_.substr(start, pos_ - start));
    return t;
  }

  std::string_view s_;
  size_t pos_ = 0;
  int line_ = 0, col_ = 0;
};

int Precedence(Tok t) {
  switch (t) {
    case Tok::kOr: return 1;
    case Tok::kAnd: return 2;
    case Tok::kEq: case Tok::kNeq: case Tok::kEqRegex: case Tok::kNeqRegex:
    case Tok::kLt: case Tok::kLte: case Tok::kGt: case Tok::kGte: return 4;
    case Tok::kAdd: case Tok::kSub: case Tok::kBitOr: case Tok::kBitXor: return 5;
    case Tok::kMul: case Tok::kDiv: case Tok::kMod: case Tok::kBitAnd: return 6;
    default: return 0;
  }
}

BinaryOp ToBinaryOp(Tok t) {
  switch (t) {
    case Tok::kAdd: return BinaryOp::kAdd;
    case Tok::kSub: return BinaryOp::kSub;
    case Tok::kMul: return BinaryOp::kMul;
    case Tok::kDiv: return BinaryOp::kDiv;
    case Tok::kMod: return BinaryOp::kMod;
    case Tok::kBitAnd: return BinaryOp::kBitAnd;
    case Tok::kBitOr: return BinaryOp::kBitOr;
    case Tok::kBitXor: return BinaryOp::kBitXor;
    case Tok::kAnd: return BinaryOp::kAnd;
    case Tok::kOr: return BinaryOp::kOr;
    case Tok::kEq: return BinaryOp::kEq;
    case Tok::kNeq: return BinaryOp::kNeq;
    case Tok::kLt: return BinaryOp::kLt;
    case Tok::kLte: return BinaryOp::kLte;
    case Tok::kGt: return BinaryOp::kGt;
    case Tok::kGte: return BinaryOp::kGte;
    case Tok::kEqRegex: return BinaryOp::kEqRegex;
    default: return BinaryOp::kNeqRegex;
  }
}

ExprPtr MakeExpr(Expr::Kind k) {
  auto e = std::make_unique<Expr>();
  e->kind = k;
  return e;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : scanner_(text) {}

  Result<Query> ParseAll() {
    Query q;
    bool semi = true;
    for (;;) {
      Token t = Next();
      if (t.tok == Tok::kEof) return q;
      if (t.tok == Tok::kSemicolon) {
        semi = true;
        continue;
      }
      if (!semi) return Expected(t, {";"});
      Unscan(std::move(t));
      auto st = ParseStatement();
      if (!st.ok()) return st.status();
      q.statements.push_back(std::move(st).value());
      semi = false;
    }
  }

 private:
  // --- token plumbing -------------------------------------------------------------------------
  Token Next() {
    if (!buffered_.empty()) {
      Token t = std::move(buffered_.back());
      buffered_.pop_back();
      return t;
    }
    for (;;) {
      Token t = scanner_.Scan();
      if (t.tok != Tok::kWs) return t;
    }
  }
  void Unscan(Token t) { buffered_.push_back(std::move(t)); }
  Token Peek() {
    Token t = Next();
    Unscan(t);
    return t;
  }
  bool Accept(Tok tok) {
    Token t = Next();
    if (t.tok == tok) return true;
    Unscan(std::move(t));
    return false;
  }

  static std::string Found(const Token& t) {
    if (t.tok == Tok::kBadString && t.lit.empty()) return "";
    if (!t.lit.empty()) return t.lit;
    return TokName(t.tok);
  }

  Status Expected(const Token& t, std::initializer_list<const char*> want) {
    std::string msg = "found " + Found(t) + ", expected ";
    bool first = true;
    for (const char* w : want) {
      if (!first) msg += ", ";
      msg += w;
      first = false;
    }
    // InfluxQL reports unterminated strings one character before the quote.
    int col = t.tok == Tok::kBadString ? t.col : t.col + 1;
    msg += " at line " + std::to_string(t.line + 1) + ", char " + std::to_string(col);
    return InvalidArgument(std::move(msg));
  }
  static Status Message(std::string m) { return InvalidArgument(std::move(m)); }
  Status MessageAt(std::string m, const Token& t) {
    return InvalidArgument(m + " at line " + std::to_string(t.line + 1) + ", char " +
                           std::to_string(t.col + 1));
  }

  Status Expect(Tok tok) {
    Token t = Next();
    if (t.tok == tok) return Status::OK();
    std::string name = TokName(tok);
    return Expected(t, {name.c_str()});
  }

  // --- statements -----------------------------------------------------------------------------
  Result<Statement> ParseStatement() {
    Token t = Next();
    switch (t.tok) {
      case Tok::kSelect: return ParseSelect();
      case Tok::kShow: return ParseShow();
      case Tok::kCreate: return ParseCreate();
      case Tok::kDelete: return ParseDelete();
      case Tok::kDrop: return ParseDrop();
      case Tok::kExplain: case Tok::kGrant: case Tok::kRevoke: case Tok::kAlter: case Tok::kSet:
      case Tok::kKill:
        return Message("statement not supported: " + TokName(t.tok));
      default:
        return Expected(t, {"SELECT", "DELETE", "SHOW", "CREATE", "DROP", "EXPLAIN", "GRANT",
                            "REVOKE", "ALTER", "SET", "KILL"});
    }
  }

  Result<std::string> ParseIdent() {
    Token t = Next();
    if (t.tok != Tok::kIdent) return Expected(t, {"identifier"});
    return t.lit;
  }

  Result<int64_t> ParseUInt() {
    Token t = Next();
    if (t.tok != Tok::kInteger) return Expected(t, {"integer"});
    int64_t v = 0;
    auto [p, ec] = std::from_chars(t.lit.data(), t.lit.data() + t.lit.size(), v);
    if (ec != std::errc() || p != t.lit.data() + t.lit.size()) {
      return Message("unable to parse integer at line " + std::to_string(t.line + 1) +
                     ", char " + std::to_string(t.col + 1));
    }
    return v;
  }

  Result<Statement> ParseSelect() {
    SelectStatement s;
    // Fields.
    for (;;) {
      SelectField f;
      Token t = Peek();
      if (t.tok == Tok::kMul) {
        Next();
        f.expr = MakeExpr(Expr::Kind::kWildcard);
        if (Accept(Tok::kDoubleColon)) {
          Token ty = Next();  // *::field / *::tag
          if (ty.tok != Tok::kIdent && ty.tok != Tok::kField && ty.tok != Tok::kTag) {
            return Expected(ty, {"identifier"});
          }
          f.expr->ref_type = ty.tok == Tok::kTag ? RefType::kTag : RefType::kField;
        }
      } else {
        ASSIGN_OR_RETURN(f.expr, ParseExpr(0));
      }
      if (Accept(Tok::kAs)) {
        ASSIGN_OR_RETURN(f.alias, ParseIdent());
      }
      s.fields.push_back(std::move(f));
      if (!Accept(Tok::kComma)) break;
    }
    if (Accept(Tok::kInto)) return Message("SELECT INTO is not supported");
    RETURN_IF_ERROR(Expect(Tok::kFrom));
    ASSIGN_OR_RETURN(s.sources, ParseSources(/*allow_subquery=*/true));
    if (Accept(Tok::kWhere)) {
      ASSIGN_OR_RETURN(s.condition, ParseExpr(0));
    }
    if (Accept(Tok::kGroup)) {
      RETURN_IF_ERROR(Expect(Tok::kBy));
      RETURN_IF_ERROR(ParseDimensions(&s.group_by));
    }
    if (Accept(Tok::kFill)) RETURN_IF_ERROR(ParseFill(&s));
    if (Accept(Tok::kOrder)) {
      RETURN_IF_ERROR(Expect(Tok::kBy));
      Token t = Next();
      if (t.tok != Tok::kIdent || !EqualsIgnoreCase(t.lit, "time")) {
        return Message("only ORDER BY time supported at this time");
      }
      if (Accept(Tok::kDesc)) s.order_desc = true;
      else Accept(Tok::kAsc);
    }
    if (Accept(Tok::kLimit)) {
      ASSIGN_OR_RETURN(s.limit, ParseUInt());
    }
    if (Accept(Tok::kOffset)) {
      ASSIGN_OR_RETURN(s.offset, ParseUInt());
    }
    if (Accept(Tok::kSlimit)) {
      ASSIGN_OR_RETURN(s.slimit, ParseUInt());
    }
    if (Accept(Tok::kSoffset)) {
      ASSIGN_OR_RETURN(s.soffset, ParseUInt());
    }
    if (Peek().tok == Tok::kIdent && EqualsIgnoreCase(Peek().lit, "tz")) {
      return Message("tz() is not supported");
    }
    return Statement(std::move(s));
  }

  static bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(a[i])) !=
          std::tolower(static_cast<unsigned char>(b[i]))) {
        return false;
      }
    }
    return true;
  }

  Status ParseFill(SelectStatement* s) {
    RETURN_IF_ERROR(Expect(Tok::kLParen));
    Token t = Next();
    bool neg = false;
    if (t.tok == Tok::kSub) {
      neg = true;
      t = Next();
    }
    if (!neg && t.tok == Tok::kIdent) {
      std::string v = t.lit;
      for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (v == "null") s->fill = FillMode::kNull;
      else if (v == "none") s->fill = FillMode::kNone;
      else if (v == "previous") s->fill = FillMode::kPrevious;
      else if (v == "linear") s->fill = FillMode::kLinear;
      else return Message("fill must be a function call");
    } else if (t.tok == Tok::kInteger || t.tok == Tok::kNumber) {
      s->fill = FillMode::kNumber;
      double v = 0;
      std::from_chars(t.lit.data(), t.lit.data() + t.lit.size(), v);
      s->fill_number = neg ? -v : v;
      s->fill_number_is_int = t.tok == Tok::kInteger;
    } else {
      return Expected(t, {"identifier", "string", "number", "bool"});
    }
    return Expect(Tok::kRParen);
  }

  Status ParseDimensions(Dimensions* d) {
    for (;;) {
      Token t = Next();
      if (t.tok == Tok::kMul) {
        d->all_tags = true;
      } else if (t.tok == Tok::kIdent && EqualsIgnoreCase(t.lit, "time") &&
                 Peek().tok == Tok::kLParen) {
        Next();
        if (d->interval) d->multiple_intervals = true;
        Token dur = Next();
        if (dur.tok != Tok::kDuration) return Message("time dimension must have duration argument");
        ASSIGN_OR_RETURN(int64_t iv, ParseDuration(dur.lit));
        if (iv <= 0) return Message("time dimension must have a positive duration argument");
        d->interval = iv;
        if (Accept(Tok::kComma)) {
          Token o = Next();
          bool neg = false;
          if (o.tok == Tok::kSub) {
            neg = true;
            o = Next();
          }
          if (o.tok == Tok::kDuration) {
            ASSIGN_OR_RETURN(int64_t off, ParseDuration(o.lit));
            d->offset = neg ? -off : off;
          } else if (o.tok == Tok::kIdent && EqualsIgnoreCase(o.lit, "now")) {
            RETURN_IF_ERROR(Expect(Tok::kLParen));
            RETURN_IF_ERROR(Expect(Tok::kRParen));
            return Message("time dimension offset now() is not supported");
          } else {
            return Message("time dimension offset must be duration or now()");
          }
        }
        RETURN_IF_ERROR(Expect(Tok::kRParen));
      } else if (t.tok == Tok::kIdent) {
        if (Accept(Tok::kDoubleColon)) Next();  // host::tag
        d->tags.push_back(t.lit);
      } else if (t.tok == Tok::kDiv) {
        // A regex dimension: rescan from the slash.
        return Message("regular expression GROUP BY dimensions are not supported");
      } else {
        return Expected(t, {"identifier", "string", "number", "bool"});
      }
      if (!Accept(Tok::kComma)) break;
      if (scanner_.AtRegexStart() && buffered_.empty()) {
        Token r = scanner_.ScanRegex();
        if (r.tok != Tok::kRegex) return Expected(r, {"regex"});
        RETURN_IF_ERROR(ValidateRegex(r.lit, r));
        d->tag_regexes.push_back(r.lit);
        if (!Accept(Tok::kComma)) break;
      }
    }
    return Status::OK();
  }

  Status ValidateRegex(const std::string& pattern, const Token& at) {
    auto re = Regex::Compile(pattern);
    if (!re.ok()) return MessageAt("error parsing regexp: " + re.status().message(), at);
    return Status::OK();
  }

  Result<std::vector<Source>> ParseSources(bool allow_subquery) {
    std::vector<Source> out;
    for (;;) {
      if (buffered_.empty() && scanner_.AtRegexStart()) {
        Token r = scanner_.ScanRegex();
        if (r.tok != Tok::kRegex) return Expected(r, {"regex"});
        RETURN_IF_ERROR(ValidateRegex(r.lit, r));
        Source s;
        s.name = r.lit;
        s.is_regex = true;
        out.push_back(std::move(s));
      } else {
        Token t = Peek();
        if (t.tok == Tok::kLParen) {
          return Message("subqueries are not supported");
        }
        ASSIGN_OR_RETURN(Source s, ParseQualifiedSource());
        out.push_back(std::move(s));
      }
      if (!Accept(Tok::kComma)) break;
    }
    return out;
  }

  // name | rp.name | db.rp.name | db..name; the last segment may be /regex/.
  Result<Source> ParseQualifiedSource() {
    std::vector<std::string> parts;
    ASSIGN_OR_RETURN(std::string first, ParseIdent());
    parts.push_back(std::move(first));
    Source s;
    while (Accept(Tok::kDot)) {
      if (parts.size() >= 3) return Message("too many segments in " + parts[0]);
      if (Peek().tok == Tok::kDot) {
        parts.push_back("");
        continue;
      }
      if (buffered_.empty() && scanner_.AtRegexStart()) {
        Token r = scanner_.ScanRegex();
        if (r.tok != Tok::kRegex) return Expected(r, {"regex"});
        RETURN_IF_ERROR(ValidateRegex(r.lit, r));
        parts.push_back(r.lit);
        s.is_regex = true;
        break;
      }
      ASSIGN_OR_RETURN(std::string next, ParseIdent());
      parts.push_back(std::move(next));
    }
    if (parts.size() == 3) {
      s.database = parts[0];
      s.retention_policy = parts[1];
      s.name = parts[2];
    } else if (parts.size() == 2) {
      s.retention_policy = parts[0];
      s.name = parts[1];
    } else {
      s.name = parts[0];
    }
    return s;
  }

  Status ParseOnDatabase(std::string* db) {
    if (!Accept(Tok::kOn)) return Status::OK();
    ASSIGN_OR_RETURN(*db, ParseIdent());
    return Status::OK();
  }

  Status ParseLimitOffset(int64_t* limit, int64_t* offset) {
    if (Accept(Tok::kLimit)) {
      ASSIGN_OR_RETURN(*limit, ParseUInt());
    }
    if (Accept(Tok::kOffset)) {
      ASSIGN_OR_RETURN(*offset, ParseUInt());
    }
    return Status::OK();
  }

  Result<Statement> ParseShow() {
    Token t = Next();
    switch (t.tok) {
      case Tok::kDatabases: return Statement(ShowDatabasesStatement{});
      case Tok::kMeasurements: {
        ShowMeasurementsStatement s;
        RETURN_IF_ERROR(ParseOnDatabase(&s.database));
        if (Accept(Tok::kWith)) {
          RETURN_IF_ERROR(Expect(Tok::kMeasurement));
          Token op = Next();
          Source src;
          if (op.tok == Tok::kEqRegex) {
            Token r = scanner_.ScanRegex();
            if (r.tok != Tok::kRegex) return Expected(r, {"regex"});
            RETURN_IF_ERROR(ValidateRegex(r.lit, r));
            src.name = r.lit;
            src.is_regex = true;
          } else if (op.tok == Tok::kEq) {
            ASSIGN_OR_RETURN(src, ParseQualifiedSource());
          } else {
            return Expected(op, {"=", "=~"});
          }
          s.with = std::move(src);
        }
        if (Accept(Tok::kWhere)) {
      ASSIGN_OR_RETURN(s.condition, ParseExpr(0));
    }
        RETURN_IF_ERROR(ParseLimitOffset(&s.limit, &s.offset));
        return Statement(std::move(s));
      }
      case Tok::kTag: {
        Token k = Next();
        if (k.tok == Tok::kKeys) {
          ShowTagKeysStatement s;
          RETURN_IF_ERROR(ParseOnDatabase(&s.database));
          if (Accept(Tok::kFrom)) {
      ASSIGN_OR_RETURN(s.sources, ParseSources(false));
    }
          if (Accept(Tok::kWhere)) {
      ASSIGN_OR_RETURN(s.condition, ParseExpr(0));
    }
          RETURN_IF_ERROR(ParseLimitOffset(&s.limit, &s.offset));
          return Statement(std::move(s));
        }
        if (k.tok == Tok::kValues) {
          ShowTagValuesStatement s;
          RETURN_IF_ERROR(ParseOnDatabase(&s.database));
          if (Accept(Tok::kFrom)) {
      ASSIGN_OR_RETURN(s.sources, ParseSources(false));
    }
          RETURN_IF_ERROR(Expect(Tok::kWith));
          RETURN_IF_ERROR(Expect(Tok::kKey));
          Token op = Next();
          switch (op.tok) {
            case Tok::kIn: {
              s.key_op = BinaryOp::kEq;
              RETURN_IF_ERROR(Expect(Tok::kLParen));
              for (;;) {
                ASSIGN_OR_RETURN(std::string key, ParseIdent());
                s.keys.push_back(std::move(key));
                if (!Accept(Tok::kComma)) break;
              }
              RETURN_IF_ERROR(Expect(Tok::kRParen));
              break;
            }
            case Tok::kEq: case Tok::kNeq: {
              s.key_op = ToBinaryOp(op.tok);
              ASSIGN_OR_RETURN(std::string key, ParseIdent());
              s.keys.push_back(std::move(key));
              break;
            }
            case Tok::kEqRegex: case Tok::kNeqRegex: {
              s.key_op = ToBinaryOp(op.tok);
              Token r = scanner_.ScanRegex();
              if (r.tok != Tok::kRegex) return Expected(r, {"regex"});
              RETURN_IF_ERROR(ValidateRegex(r.lit, r));
              s.keys.push_back(r.lit);
              break;
            }
            default:
              return Expected(op, {"=", "!=", "=~", "!~"});
          }
          if (Accept(Tok::kWhere)) {
      ASSIGN_OR_RETURN(s.condition, ParseExpr(0));
    }
          RETURN_IF_ERROR(ParseLimitOffset(&s.limit, &s.offset));
          return Statement(std::move(s));
        }
        return Expected(k, {"KEYS", "VALUES"});
      }
      case Tok::kField: {
        RETURN_IF_ERROR(Expect(Tok::kKeys));
        ShowFieldKeysStatement s;
        RETURN_IF_ERROR(ParseOnDatabase(&s.database));
        if (Accept(Tok::kFrom)) {
      ASSIGN_OR_RETURN(s.sources, ParseSources(false));
    }
        RETURN_IF_ERROR(ParseLimitOffset(&s.limit, &s.offset));
        return Statement(std::move(s));
      }
      case Tok::kSeries: {
        ShowSeriesStatement s;
        RETURN_IF_ERROR(ParseOnDatabase(&s.database));
        if (Accept(Tok::kFrom)) {
      ASSIGN_OR_RETURN(s.sources, ParseSources(false));
    }
        if (Accept(Tok::kWhere)) {
      ASSIGN_OR_RETURN(s.condition, ParseExpr(0));
    }
        RETURN_IF_ERROR(ParseLimitOffset(&s.limit, &s.offset));
        return Statement(std::move(s));
      }
      case Tok::kRetention: {
        RETURN_IF_ERROR(Expect(Tok::kPolicies));
        ShowRetentionPoliciesStatement s;
        RETURN_IF_ERROR(ParseOnDatabase(&s.database));
        return Statement(std::move(s));
      }
      case Tok::kMeasurement:
        return Message("SHOW MEASUREMENT CARDINALITY is not supported");
      default:
        if (t.tok == Tok::kIdent) {
          std::string up = t.lit;
          for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          static constexpr const char* kKnown[] = {"CONTINUOUS", "DIAGNOSTICS", "GRANTS",
                                                   "QUERIES", "SHARD", "SHARDS", "STATS",
                                                   "SUBSCRIPTIONS", "USERS"};
          for (const char* k : kKnown) {
            if (up == k) return Message("SHOW " + up + " is not supported");
          }
        }
        return Expected(t, {"CONTINUOUS", "DATABASES", "DIAGNOSTICS", "FIELD", "GRANTS",
                            "MEASUREMENT", "MEASUREMENTS", "QUERIES", "RETENTION", "SERIES",
                            "SHARD", "SHARDS", "STATS", "SUBSCRIPTIONS", "TAG", "USERS"});
    }
  }

  Result<Statement> ParseCreate() {
    Token t = Next();
    if (t.tok != Tok::kDatabase) {
      if (t.tok == Tok::kRetention || (t.tok == Tok::kIdent)) {
        return Message("only CREATE DATABASE is supported");
      }
      return Expected(t, {"CONTINUOUS", "DATABASE", "USER", "RETENTION", "SUBSCRIPTION"});
    }
    CreateDatabaseStatement s;
    ASSIGN_OR_RETURN(s.name, ParseIdent());
    if (Peek().tok == Tok::kWith) return Message("CREATE DATABASE ... WITH is not supported");
    return Statement(std::move(s));
  }

  Result<Statement> ParseDelete() {
    DeleteStatement s;
    if (Accept(Tok::kFrom)) {
      ASSIGN_OR_RETURN(s.sources, ParseSources(false));
    }
    if (Accept(Tok::kWhere)) {
      ASSIGN_OR_RETURN(s.condition, ParseExpr(0));
    }
    if (s.sources.empty() && !s.condition) {
      return Expected(Peek(), {"FROM", "WHERE"});
    }
    return Statement(std::move(s));
  }

  Result<Statement> ParseDrop() {
    Token t = Next();
    DeleteStatement s;
    if (t.tok == Tok::kSeries) {
      if (Accept(Tok::kFrom)) {
      ASSIGN_OR_RETURN(s.sources, ParseSources(false));
    }
      if (Accept(Tok::kWhere)) {
      ASSIGN_OR_RETURN(s.condition, ParseExpr(0));
    }
      if (s.sources.empty() && !s.condition) return Expected(Peek(), {"FROM", "WHERE"});
      return Statement(std::move(s));
    }
    if (t.tok == Tok::kMeasurement) {
      Source src;
      ASSIGN_OR_RETURN(src.name, ParseIdent());
      s.sources.push_back(std::move(src));
      return Statement(std::move(s));
    }
    if (t.tok == Tok::kDatabase || t.tok == Tok::kRetention || t.tok == Tok::kIdent) {
      return Message("only DROP SERIES and DROP MEASUREMENT are supported");
    }
    return Expected(t, {"CONTINUOUS", "MEASUREMENT", "RETENTION", "SERIES", "SHARD",
                        "SUBSCRIPTION", "USER"});
  }

  // --- expressions ----------------------------------------------------------------------------
  Result<ExprPtr> ParseExpr(int min_prec) {
    ASSIGN_OR_RETURN(ExprPtr lhs, ParseUnary());
    for (;;) {
      Token op = Next();
      int prec = Precedence(op.tok);
      if (prec == 0 || prec <= min_prec) {
        Unscan(std::move(op));
        return lhs;
      }
      ExprPtr rhs;
      if (op.tok == Tok::kEqRegex || op.tok == Tok::kNeqRegex) {
        Token r = buffered_.empty() ? scanner_.ScanRegex() : Next();
        if (r.tok != Tok::kRegex) {
          if (r.tok == Tok::kBadRegex) return Expected(r, {"regex"});
          Unscan(std::move(r));
          ASSIGN_OR_RETURN(rhs, ParseUnary());
          if (rhs->kind != Expr::Kind::kRegex) {
            return Message("expected regular expression");
          }
        } else {
          RETURN_IF_ERROR(ValidateRegex(r.lit, r));
          rhs = MakeExpr(Expr::Kind::kRegex);
          rhs->text = std::move(r.lit);
        }
      } else {
        ASSIGN_OR_RETURN(rhs, ParseExpr(prec));
      }
      auto bin = MakeExpr(Expr::Kind::kBinary);
      bin->op = ToBinaryOp(op.tok);
      bin->lhs = std::move(lhs);
      bin->rhs = std::move(rhs);
      lhs = std::move(bin);
    }
  }

  Result<ExprPtr> ParseUnary() {
    if (++depth_ > 200) return Message("expression nested too deeply");
    struct DepthGuard {
      int* d;
      ~DepthGuard() { --*d; }
    } guard{&depth_};

    Token t = Next();
    switch (t.tok) {
      case Tok::kLParen: {
        ASSIGN_OR_RETURN(ExprPtr inner, ParseExpr(0));
        RETURN_IF_ERROR(Expect(Tok::kRParen));
        auto p = MakeExpr(Expr::Kind::kParen);
        p->lhs = std::move(inner);
        return p;
      }
      case Tok::kIdent: {
        if (Peek().tok == Tok::kLParen) return ParseCall(t);
        auto v = MakeExpr(Expr::Kind::kVarRef);
        v->name = t.lit;
        while (Peek().tok == Tok::kDot) {  // "m"."field" segments: keep the last
          Next();
          ASSIGN_OR_RETURN(v->name, ParseIdent());
        }
        if (Accept(Tok::kDoubleColon)) {
          Token ty = Next();
          std::string n = ty.tok == Tok::kIdent ? ty.lit : TokName(ty.tok);
          for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (n == "field") v->ref_type = RefType::kField;
          else if (n == "tag") v->ref_type = RefType::kTag;
          else if (n == "float") v->ref_type = RefType::kFloat;
          else if (n == "integer") v->ref_type = RefType::kInteger;
          else if (n == "string") v->ref_type = RefType::kString;
          else if (n == "boolean") v->ref_type = RefType::kBoolean;
          else return Expected(ty, {"float", "integer", "string", "boolean", "field", "tag"});
        }
        return v;
      }
      case Tok::kString: {
        auto s = MakeExpr(Expr::Kind::kString);
        s->text = t.lit;
        return s;
      }
      case Tok::kInteger: {
        auto e = MakeExpr(Expr::Kind::kInteger);
        auto [p, ec] = std::from_chars(t.lit.data(), t.lit.data() + t.lit.size(), e->integer);
        if (ec != std::errc()) {
          // Too large for int64: InfluxQL falls back to a float.
          e->kind = Expr::Kind::kNumber;
          std::from_chars(t.lit.data(), t.lit.data() + t.lit.size(), e->number);
        }
        return e;
      }
      case Tok::kNumber: {
        auto e = MakeExpr(Expr::Kind::kNumber);
        std::from_chars(t.lit.data(), t.lit.data() + t.lit.size(), e->number);
        return e;
      }
      case Tok::kDuration: {
        auto e = MakeExpr(Expr::Kind::kDuration);
        ASSIGN_OR_RETURN(e->integer, ParseDuration(t.lit));
        return e;
      }
      case Tok::kTrue: case Tok::kFalse: {
        auto e = MakeExpr(Expr::Kind::kBool);
        e->boolean = t.tok == Tok::kTrue;
        return e;
      }
      case Tok::kMul: {
        return MakeExpr(Expr::Kind::kWildcard);
      }
      case Tok::kSub: case Tok::kAdd: {
        // Unary sign on a literal, or -expr as 0 - expr... InfluxQL only folds literals.
        Token n = Next();
        double sign = t.tok == Tok::kSub ? -1 : 1;
        if (n.tok == Tok::kInteger) {
          auto e = MakeExpr(Expr::Kind::kInteger);
          std::string lit = (sign < 0 ? "-" : "") + n.lit;
          auto [p, ec] = std::from_chars(lit.data(), lit.data() + lit.size(), e->integer);
          if (ec != std::errc()) {
            e->kind = Expr::Kind::kNumber;
            std::from_chars(lit.data(), lit.data() + lit.size(), e->number);
          }
          return e;
        }
        if (n.tok == Tok::kNumber) {
          auto e = MakeExpr(Expr::Kind::kNumber);
          std::from_chars(n.lit.data(), n.lit.data() + n.lit.size(), e->number);
          e->number *= sign;
          return e;
        }
        if (n.tok == Tok::kDuration) {
          auto e = MakeExpr(Expr::Kind::kDuration);
          ASSIGN_OR_RETURN(e->integer, ParseDuration(n.lit));
          e->integer *= static_cast<int64_t>(sign);
          return e;
        }
        if (n.tok == Tok::kIdent || n.tok == Tok::kLParen) {
          Unscan(std::move(n));
          ASSIGN_OR_RETURN(ExprPtr inner, ParseUnary());
          auto zero = MakeExpr(Expr::Kind::kInteger);
          zero->integer = 0;
          auto bin = MakeExpr(Expr::Kind::kBinary);
          bin->op = t.tok == Tok::kSub ? BinaryOp::kMul : BinaryOp::kAdd;
          if (t.tok == Tok::kSub) zero->integer = -1;
          bin->lhs = std::move(zero);
          bin->rhs = std::move(inner);
          return bin;
        }
        return Expected(n, {"identifier", "number", "duration", "("});
      }
      case Tok::kDiv: {
        return Expected(t, {"identifier", "string", "number", "bool"});
      }
      case Tok::kBadString: {
        return Expected(t, {"identifier", "string", "number", "bool"});
      }
      case Tok::kBadEscape: {
        return MessageAt("bad escape", t);
      }
      default:
        return Expected(t, {"identifier", "string", "number", "bool"});
    }
  }

  Result<ExprPtr> ParseCall(const Token& name) {
    Next();  // (
    auto call = MakeExpr(Expr::Kind::kCall);
    call->name = name.lit;
    for (char& c : call->name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (Accept(Tok::kRParen)) return call;
    for (;;) {
      if (buffered_.empty() && scanner_.AtRegexStart()) {
        Token r = scanner_.ScanRegex();
        if (r.tok != Tok::kRegex) return Expected(r, {"regex"});
        RETURN_IF_ERROR(ValidateRegex(r.lit, r));
        auto re = MakeExpr(Expr::Kind::kRegex);
        re->text = r.lit;
        call->args.push_back(std::move(re));
      } else {
        ASSIGN_OR_RETURN(ExprPtr arg, ParseExpr(0));
        call->args.push_back(std::move(arg));
      }
      if (!Accept(Tok::kComma)) break;
    }
    RETURN_IF_ERROR(Expect(Tok::kRParen));
    return call;
  }

  Scanner scanner_;
  std::vector<Token> buffered_;
  int depth_ = 0;
};

}  // namespace

Result<Query> ParseQuery(std::string_view text) {
  Parser p(text);
  return p.ParseAll();
}

Result<int64_t> ParseDuration(std::string_view s) {
  if (s.empty()) return InvalidArgument("invalid duration");
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    ++i;
  }
  int64_t total = 0;
  bool any = false;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == start) return InvalidArgument("invalid duration");
    int64_t n = 0;
    auto [p, ec] = std::from_chars(s.data() + start, s.data() + i, n);
    if (ec != std::errc()) return InvalidArgument("overflowed duration " + std::string(s) + ": " + "value out of range");
    int64_t unit = 0;
    std::string_view rest = s.substr(i);
    if (rest.starts_with("ns")) unit = 1, i += 2;
    else if (rest.starts_with("\xc2\xb5s")) unit = 1000, i += 3;  // µs
    else if (rest.starts_with("us")) unit = 1000, i += 2;
    else if (rest.starts_with("\xc2\xb5")) unit = 1000, i += 2;
    else if (rest.starts_with("u")) unit = 1000, i += 1;
    else if (rest.starts_with("ms")) unit = 1'000'000, i += 2;
    else if (rest.starts_with("s")) unit = 1'000'000'000, i += 1;
    else if (rest.starts_with("m")) unit = 60'000'000'000, i += 1;
    else if (rest.starts_with("h")) unit = 3'600'000'000'000, i += 1;
    else if (rest.starts_with("d")) unit = 86'400'000'000'000, i += 1;
    else if (rest.starts_with("w")) unit = 604'800'000'000'000, i += 1;
    else return InvalidArgument("invalid duration");
    int64_t part;
    if (__builtin_mul_overflow(n, unit, &part) || __builtin_add_overflow(total, part, &total)) {
      return InvalidArgument("overflowed duration " + std::string(s) + ": value out of range");
    }
    any = true;
  }
  if (!any) return InvalidArgument("invalid duration");
  return neg ? -total : total;
}

std::string FormatDuration(int64_t d) {
  if (d == 0) return "0s";
  std::string out;
  if (d < 0) {
    out = "-";
    d = -d;
  }
  struct Unit {
    int64_t ns;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{604'800'000'000'000, "w"}, {86'400'000'000'000, "d"},
                                    {3'600'000'000'000, "h"},  {60'000'000'000, "m"},
                                    {1'000'000'000, "s"},      {1'000'000, "ms"},
                                    {1'000, "u"},              {1, "ns"}};
  // InfluxQL prints the largest unit that divides evenly.
  for (const Unit& u : kUnits) {
    if (d % u.ns == 0) return out + std::to_string(d / u.ns) + u.name;
  }
  return out + std::to_string(d) + "ns";
}

namespace {

bool ParseDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

Result<int64_t> ParseTimeString(std::string_view s) {
  auto bad = [&] { return InvalidArgument("invalid time string '" + std::string(s) + "'"); };
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!ParseDigits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !ParseDigits(s, 5, 2, &mo) ||
      s[7] != '-' || !ParseDigits(s, 8, 2, &d)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return bad();
  size_t i = 10;
  int64_t frac = 0;
  int64_t zone = 0;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != ' ') return bad();
    ++i;
    if (!ParseDigits(s, i, 2, &h) || i + 2 >= s.size() || s[i + 2] != ':' ||
        !ParseDigits(s, i + 3, 2, &mi) || i + 5 >= s.size() || s[i + 5] != ':' ||
        !ParseDigits(s, i + 6, 2, &sec)) {
      return bad();
    }
    if (h > 23 || mi > 59 || sec > 59) return bad();
    i += 8;
    if (i < s.size() && s[i] == '.') {
      ++i;
      int digits = 0;
      while (i < s.size() && IsDigit(s[i])) {
        if (digits < 9) {
          frac = frac * 10 + (s[i] - '0');
          ++digits;
        }
        ++i;
      }
      if (digits == 0) return bad();
      for (int k = digits; k < 9; ++k) frac *= 10;
    }
    if (i < s.size()) {
      if (s[i] == 'Z') {
        ++i;
      } else if (s[i] == '+' || s[i] == '-') {
        int zh, zm;
        if (!ParseDigits(s, i + 1, 2, &zh) || i + 3 >= s.size() || s[i + 3] != ':' ||
            !ParseDigits(s, i + 4, 2, &zm)) {
          return bad();
        }
        zone = (static_cast<int64_t>(zh) * 3600 + zm * 60) * (s[i] == '+' ? 1 : -1);
        i += 6;
      } else {
        return bad();
      }
    }
    if (i != s.size()) return bad();
  }
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - zone;
  int64_t ns;
  if (__builtin_mul_overflow(secs, int64_t{1'000'000'000}, &ns) ||
      __builtin_add_overflow(ns, frac, &ns)) {
    return bad();
  }
  return ns;
}

}  // namespace verbund::query
