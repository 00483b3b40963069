#include "security/types.h"

namespace verbund::security {

std::string RightsToString(Rights rights) {
  static constexpr std::pair<Right, std::string_view> kNames[] = {{Right::kPublish, "publish"},
                                                                  {Right::kSubscribe, "subscribe"},
                                                                  {Right::kWrite, "write"},
                                                                  {Right::kQuery, "query"},
                                                                  {Right::kAdmin, "admin"}};
  std::string out;
  for (const auto& [r, name] : kNames) {
    if (rights & Bit(r)) {
      if (!out.empty()) out += ',';
      out += name;
    }
  }
  return out;
}

std::string_view PrincipalKindName(PrincipalKind kind) {
  switch (kind) {
    case PrincipalKind::kDevice:
      return "device";
    case PrincipalKind::kUser:
      return "user";
    case PrincipalKind::kService:
      return "service";
    case PrincipalKind::kOperator:
      return "operator";
  }
  return "?";
}

}  // namespace verbund::security
