// Compiled access rules. A TenantPolicy indexes one tenant's rules (a FilterTrie for topic rules,
// database-keyed globs for data rules, placeholder rules kept aside); a SessionPolicy adds the
// placeholder rules specialised for one principal and client id, so the broker checks every
// publish and delivery of a session without substituting anything.
//
// Semantics (doc/security.md): a tenant without rules allows its principals everything in its
// own namespace; once it has a rule, what no allow rule grants is denied, and a matching deny
// rule wins over any allow rule. Rights outside the identity's mask are always denied.
//
// Thread-safety: both are immutable after construction; concurrent const use is safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "security/filter_trie.h"
#include "security/pattern.h"
#include "security/types.h"

namespace verbund::security {

class TenantPolicy {
 public:
  // Selector value of a principal no rule names (only `*` rules apply to it).
  static constexpr uint32_t kUnnamed = UINT32_MAX;

  // `rules` must have passed CheckRule.
  static std::shared_ptr<const TenantPolicy> Compile(const std::vector<Rule>& rules);

  size_t rule_count() const { return rule_count_; }
  uint32_t SelectorOf(std::string_view principal) const;

  // Evaluates publish/subscribe on a topic name, or write/query on "db/measurement" (the text
  // before the first '/' is the database; "db" alone means measurement ""). The database must
  // already be known to belong to the tenant. Placeholder rules are substituted on the fly.
  bool Evaluate(uint32_t selector, std::string_view principal, std::string_view client_id,
                Right right, std::string_view subject) const;
  // Allowed iff an allow rule covers `filter` and no deny rule covers it.
  bool EvaluateSubscribe(uint32_t selector, std::string_view principal, std::string_view client_id,
                         std::string_view filter) const;

 private:
  friend class SessionPolicy;
  friend class Snapshot;
  struct DataRule {
    Glob db;
    Glob measurement;
    RuleRef ref;
  };
  struct PlaceholderTopicRule {
    TopicPattern pattern;
    RuleRef ref;
    bool uses_client = false;
    bool uses_principal = false;
  };
  struct PlaceholderDataRule {
    DataPattern pattern;
    RuleRef ref;
  };
  // The placeholder rules of one session, already substituted.
  struct Specialized {
    FilterTrie topics;
    std::vector<DataRule> data;
    // Rights of deny rules whose placeholder value was not substitutable: denied outright.
    Rights deny_all = 0;
  };

  bool EvaluateWith(uint32_t selector, std::string_view principal, std::string_view client_id,
                    const Specialized* specialized, Right right, std::string_view subject) const;
  bool SubscribeWith(uint32_t selector, std::string_view principal, std::string_view client_id,
                     const Specialized* specialized, std::string_view filter) const;
  Specialized Specialize(uint32_t selector, std::string_view principal,
                         std::string_view client_id) const;

  size_t rule_count_ = 0;
  Rights deny_rights_ = 0;  // union of the rights of deny rules
  FilterTrie topics_;
  StringMap<std::vector<DataRule>> data_by_db_;  // rules whose database glob is a literal
  std::vector<DataRule> data_any_db_;
  std::vector<PlaceholderTopicRule> placeholder_topics_;
  std::vector<PlaceholderDataRule> placeholder_data_;
  StringMap<uint32_t> selectors_;  // principal name -> selector (1..)
};

// The compiled policy of one session (one principal, one client id), from
// Snapshot::PolicyFor. It keeps the tenant policy it was built from alive, so it stays valid
// after the directory changes; the holder rebuilds it when a ChangeEvent concerns its tenant.
// A default-constructed SessionPolicy denies everything.
class SessionPolicy {
 public:
  SessionPolicy() = default;

  // Publish/subscribe on a topic name, write/query on "db/measurement", admin on a tenant
  // name (the tenant the identity may administer).
  bool Allowed(Right right, std::string_view subject) const;
  // A SUBSCRIBE filter (see TenantPolicy::EvaluateSubscribe).
  bool CanSubscribe(std::string_view filter) const;
  // A delivery: the subscribe right on the concrete topic, deny rules applied.
  bool CanReceive(std::string_view topic) const { return Allowed(Right::kSubscribe, topic); }

  const std::string& tenant() const { return tenant_; }
  const std::string& principal() const { return principal_; }
  uint64_t version() const { return version_; }  // the snapshot's version it was built from

 private:
  friend class Snapshot;
  std::shared_ptr<const TenantPolicy> policy_;  // null: deny everything
  std::string tenant_;
  std::string principal_;
  std::string client_id_;
  uint32_t selector_ = TenantPolicy::kUnnamed;
  Rights rights_ = 0;
  bool operator_ = false;
  bool tenant_admin_ = false;
  uint64_t version_ = 0;
  TenantPolicy::Specialized specialized_;  // empty unless the tenant has placeholder rules
};

}  // namespace verbund::security
