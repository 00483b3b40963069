#include "mqtt/auth.h"

#include <fstream>

#include "core/logging.h"

namespace verbund::mqtt {

Result<std::unique_ptr<PasswordAuthenticator>> PasswordAuthenticator::Create(
    const std::string& password_file, bool allow_anonymous) {
  auto auth = std::unique_ptr<PasswordAuthenticator>(new PasswordAuthenticator());
  auth->allow_anonymous_ = allow_anonymous;
  if (password_file.empty()) return auth;
  std::ifstream in(password_file);
  if (!in) return InvalidArgument("mqtt.password_file: cannot read '" + password_file + "'");
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0 || line.compare(colon + 1, 8, "$scrypt$") != 0) {
      return InvalidArgument("mqtt.password_file: line " + std::to_string(lineno) +
                             ": expected user:$scrypt$... (make one with `verbund --hash-password`)");
    }
    auth->users_[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return auth;
}

std::variant<Principal, ReasonCode> PasswordAuthenticator::Authenticate(const ConnectInfo& info) {
  if (!info.cert_names.empty()) return Principal{info.cert_names.front(), false};
  if (info.username) {
    auto it = users_.find(*info.username);
    if (it != users_.end()) {
      if (info.password && VerifyPassword(*info.password, it->second)) {
        return Principal{*info.username, false};
      }
      return ReasonCode::kBadUserNameOrPassword;
    }
    if (!users_.empty()) return ReasonCode::kBadUserNameOrPassword;
  }
  if (allow_anonymous_) return Principal{info.username.value_or(""), true};
  return ReasonCode::kNotAuthorized;
}

}  // namespace verbund::mqtt
