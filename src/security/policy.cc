#include "security/policy.h"

#include <cassert>

#include "security/names.h"
#include "security/topic_filter.h"

namespace verbund::security {
namespace {

// Folds matching rules into a verdict: a deny ends the evaluation; an allow ends it when no
// deny rule could still apply.
struct Verdict {
  Rights right;
  uint32_t selector;
  bool stop_on_allow;
  bool allow = false;
  bool deny = false;

  bool operator()(const RuleRef& r) {
    if ((r.rights & right) == 0) return false;
    if (r.selector != 0 && r.selector != selector) return false;
    if (r.effect == Effect::kDeny) {
      deny = true;
      return true;
    }
    allow = true;
    return stop_on_allow;
  }
  bool result() const { return allow && !deny; }
};

bool LevelEquals(const PieceList& pieces, std::string_view level, std::string_view client_id,
                 std::string_view principal) {
  for (const auto& p : pieces) {
    std::string_view s = p.kind == PatternPiece::Kind::kLiteral    ? std::string_view(p.text)
                         : p.kind == PatternPiece::Kind::kClientId ? client_id
                                                                   : principal;
    if (!level.starts_with(s)) return false;
    level.remove_prefix(s.size());
  }
  return level.empty();
}

bool IsLevel(const PieceList& pieces, std::string_view what) {
  return pieces.size() == 1 && pieces[0].kind == PatternPiece::Kind::kLiteral &&
         pieces[0].text == what;
}

// Matches a placeholder topic pattern against a topic without building the filter. The
// caller has checked that the substituted values are substitutable.
bool PatternMatches(const TopicPattern& p, const TopicLevels& t, std::string_view client_id,
                    std::string_view principal) {
  bool dollar = t.dollar();
  for (size_t i = 0; i < p.levels.size(); ++i) {
    const PieceList& level = p.levels[i];
    if (IsLevel(level, "#")) return !(i == 0 && dollar);
    if (i >= t.size()) return false;
    if (IsLevel(level, "+")) {
      if (i == 0 && dollar) return false;
      continue;
    }
    if (!LevelEquals(level, t[i], client_id, principal)) return false;
  }
  return p.levels.size() == t.size();
}

bool UsesKind(const TopicPattern& p, PatternPiece::Kind kind) {
  for (const auto& level : p.levels) {
    for (const auto& piece : level) {
      if (piece.kind == kind) return true;
    }
  }
  return false;
}

}  // namespace

std::shared_ptr<const TenantPolicy> TenantPolicy::Compile(const std::vector<Rule>& rules) {
  auto p = std::make_shared<TenantPolicy>();
  p->rule_count_ = rules.size();
  for (const Rule& rule : rules) {
    RuleRef ref{rule.rights, rule.effect, 0};
    if (rule.principal != "*") {
      auto [it, inserted] =
          p->selectors_.emplace(rule.principal, static_cast<uint32_t>(p->selectors_.size() + 1));
      ref.selector = it->second;
    }
    if (rule.effect == Effect::kDeny) p->deny_rights_ |= rule.rights;
    if (rule.rights & kTopicRights) {
      auto pattern = ParseTopicPattern(rule.pattern);
      assert(pattern.ok());
      if (!pattern.ok()) continue;
      if (!pattern->has_placeholders) {
        p->topics_.Insert(rule.pattern, ref);
      } else {
        bool uses_client = UsesKind(*pattern, PatternPiece::Kind::kClientId);
        bool uses_principal = UsesKind(*pattern, PatternPiece::Kind::kPrincipal);
        p->placeholder_topics_.push_back(
            {std::move(pattern).value(), ref, uses_client, uses_principal});
      }
    } else {
      auto pattern = ParseDataPattern(rule.pattern);
      assert(pattern.ok());
      if (!pattern.ok()) continue;
      if (pattern->has_placeholders) {
        p->placeholder_data_.push_back({std::move(pattern).value(), ref});
        continue;
      }
      DataRule dr{Glob(pattern->db), Glob(pattern->measurement), ref};
      if (dr.db.exact()) {
        std::string db = dr.db.literal();
        p->data_by_db_[db].push_back(std::move(dr));
      } else {
        p->data_any_db_.push_back(std::move(dr));
      }
    }
  }
  return p;
}

uint32_t TenantPolicy::SelectorOf(std::string_view principal) const {
  auto it = selectors_.find(principal);
  return it == selectors_.end() ? kUnnamed : it->second;
}

bool TenantPolicy::Evaluate(uint32_t selector, std::string_view principal,
                            std::string_view client_id, Right right,
                            std::string_view subject) const {
  return EvaluateWith(selector, principal, client_id, nullptr, right, subject);
}

bool TenantPolicy::EvaluateSubscribe(uint32_t selector, std::string_view principal,
                                     std::string_view client_id, std::string_view filter) const {
  return SubscribeWith(selector, principal, client_id, nullptr, filter);
}

bool TenantPolicy::EvaluateWith(uint32_t selector, std::string_view principal,
                                std::string_view client_id, const Specialized* specialized,
                                Right right, std::string_view subject) const {
  if (rule_count_ == 0) return true;
  if (specialized != nullptr && (specialized->deny_all & Bit(right))) return false;
  Verdict v{Bit(right), selector, (deny_rights_ & Bit(right)) == 0};
  if (Bit(right) & kTopicRights) {
    TopicLevels topic(subject);
    if (topics_.VisitMatching(topic, v)) return v.result();
    if (specialized != nullptr) {
      specialized->topics.VisitMatching(topic, v);
      return v.result();
    }
    bool client_ok = SubstitutableValue(client_id);
    bool principal_ok = SubstitutableValue(principal);
    for (const auto& r : placeholder_topics_) {
      if ((r.ref.rights & Bit(right)) == 0) continue;
      if (r.ref.selector != 0 && r.ref.selector != selector) continue;
      if ((r.uses_client && !client_ok) || (r.uses_principal && !principal_ok)) {
        if (r.ref.effect == Effect::kDeny) return false;  // fail closed
        continue;
      }
      if (PatternMatches(r.pattern, topic, client_id, principal) && v(r.ref)) break;
    }
    return v.result();
  }
  size_t slash = subject.find('/');
  std::string_view db = subject.substr(0, slash);
  std::string_view measurement =
      slash == std::string_view::npos ? std::string_view() : subject.substr(slash + 1);
  auto visit = [&](const DataRule& r) {
    if ((r.ref.rights & Bit(right)) == 0) return false;
    if (r.ref.selector != 0 && r.ref.selector != selector) return false;
    return r.db.Matches(db) && r.measurement.Matches(measurement) && v(r.ref);
  };
  auto visit_all = [&](const std::vector<DataRule>& rules) {
    for (const auto& r : rules) {
      if (visit(r)) return true;
    }
    return false;
  };
  auto it = data_by_db_.find(db);
  if (it != data_by_db_.end() && visit_all(it->second)) return v.result();
  if (visit_all(data_any_db_)) return v.result();
  if (specialized != nullptr) {
    visit_all(specialized->data);
    return v.result();
  }
  for (const auto& r : placeholder_data_) {
    if ((r.ref.rights & Bit(right)) == 0) continue;
    if (r.ref.selector != 0 && r.ref.selector != selector) continue;
    auto globs = SpecializeData(r.pattern, client_id, principal);
    if (!globs) {
      if (r.ref.effect == Effect::kDeny) return false;  // fail closed
      continue;
    }
    if (globs->db.Matches(db) && globs->measurement.Matches(measurement) && v(r.ref)) break;
  }
  return v.result();
}

bool TenantPolicy::SubscribeWith(uint32_t selector, std::string_view principal,
                                 std::string_view client_id, const Specialized* specialized,
                                 std::string_view filter) const {
  if (rule_count_ == 0) return true;
  Rights right = Bit(Right::kSubscribe);
  if (specialized != nullptr && (specialized->deny_all & right)) return false;
  Verdict v{right, selector, (deny_rights_ & right) == 0};
  TopicLevels sub(filter);
  if (topics_.VisitCovering(sub, v)) return v.result();
  if (specialized != nullptr) {
    specialized->topics.VisitCovering(sub, v);
    return v.result();
  }
  for (const auto& r : placeholder_topics_) {
    if ((r.ref.rights & right) == 0) continue;
    if (r.ref.selector != 0 && r.ref.selector != selector) continue;
    auto f = SpecializeTopic(r.pattern, client_id, principal);
    if (!f) {
      if (r.ref.effect == Effect::kDeny) return false;  // fail closed
      continue;
    }
    if (FilterCovers(*f, filter) && v(r.ref)) break;
  }
  return v.result();
}

TenantPolicy::Specialized TenantPolicy::Specialize(uint32_t selector, std::string_view principal,
                                                   std::string_view client_id) const {
  Specialized out;
  for (const auto& r : placeholder_topics_) {
    if (r.ref.selector != 0 && r.ref.selector != selector) continue;
    auto f = SpecializeTopic(r.pattern, client_id, principal);
    if (f) {
      out.topics.Insert(*f, r.ref);
    } else if (r.ref.effect == Effect::kDeny) {
      out.deny_all |= r.ref.rights;
    }
  }
  for (const auto& r : placeholder_data_) {
    if (r.ref.selector != 0 && r.ref.selector != selector) continue;
    auto globs = SpecializeData(r.pattern, client_id, principal);
    if (globs) {
      out.data.push_back({std::move(globs->db), std::move(globs->measurement), r.ref});
    } else if (r.ref.effect == Effect::kDeny) {
      out.deny_all |= r.ref.rights;
    }
  }
  return out;
}

// ---- SessionPolicy

bool SessionPolicy::Allowed(Right right, std::string_view subject) const {
  if (policy_ == nullptr || (rights_ & Bit(right)) == 0) return false;
  if (right == Right::kAdmin) return operator_ || (tenant_admin_ && subject == tenant_);
  if (operator_) return false;
  if (Bit(right) & kTopicRights) {
    if (subject.empty() || HasWildcardOrNul(subject)) {
      return false;
    }
  } else if (!TenantOwnsDatabase(tenant_, subject.substr(0, subject.find('/')))) {
    return false;
  }
  return policy_->EvaluateWith(selector_, principal_, client_id_, &specialized_, right, subject);
}

bool SessionPolicy::CanSubscribe(std::string_view filter) const {
  if (policy_ == nullptr || (rights_ & Bit(Right::kSubscribe)) == 0 || operator_) return false;
  if (!ValidTopicFilter(filter)) return false;
  return policy_->SubscribeWith(selector_, principal_, client_id_, &specialized_, filter);
}

}  // namespace verbund::security
