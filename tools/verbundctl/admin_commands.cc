#include "admin_commands.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exit_codes.h"
#include "http_client.h"

namespace verbund::ctl {
namespace {

using nlohmann::json;

struct Globals {
  const std::string* server;
  const std::string* token;
};

// Every option any admin command takes; each command has its own instance.
struct Args {
  std::string tenant;
  std::string name;  // principal, tenant, rule id, token id or client id (positional)
  std::string kind = "device";
  bool tenant_admin = false;
  bool password_stdin = false;
  bool clear = false;
  std::string identity;
  std::vector<std::string> rights;
  uint64_t expires_in_s = 0;
  std::string effect = "allow";
  std::string principal = "*";
  std::string pattern;
  std::string file;
  bool json = false;
  // Quotas: only those given are sent.
  uint64_t quota[5] = {};
  CLI::Option* quota_opts[5] = {};
};

constexpr const char* kQuotaNames[5] = {"max_connections", "messages_per_s", "bytes_per_s",
                                        "max_series", "max_stored_bytes"};

std::string Cell(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_array()) {
    std::string out;
    for (const json& e : v) {
      if (!out.empty()) out += ',';
      out += Cell(e);
    }
    return out;
  }
  return v.dump();
}

// `key` may be dotted ("quotas.max_connections").
const json& Lookup(const json& row, const std::string& key) {
  static const json kNull;
  const json* cur = &row;
  size_t start = 0;
  while (start <= key.size()) {
    size_t dot = key.find('.', start);
    std::string part =
        key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(part)) return kNull;
    cur = &(*cur)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return *cur;
}

using Columns = std::vector<std::pair<std::string, std::string>>;  // header, key

void PrintTable(const json& rows, const Columns& columns) {
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> width;
  std::vector<std::string> header;
  for (const auto& [h, key] : columns) {
    header.push_back(h);
    width.push_back(h.size());
  }
  for (const json& row : rows) {
    std::vector<std::string> line;
    for (size_t i = 0; i < columns.size(); ++i) {
      line.push_back(Cell(Lookup(row, columns[i].second)));
      width[i] = std::max(width[i], line.back().size());
    }
    cells.push_back(std::move(line));
  }
  auto print = [&](const std::vector<std::string>& line) {
    std::string out;
    for (size_t i = 0; i < line.size(); ++i) {
      out += line[i];
      if (i + 1 < line.size()) out += std::string(width[i] - line[i].size() + 2, ' ');
    }
    std::printf("%s\n", out.c_str());
  };
  print(header);
  for (const auto& line : cells) print(line);
}

void PrintFields(const json& obj) {
  if (!obj.is_object()) {
    std::printf("%s\n", obj.dump().c_str());
    return;
  }
  for (const auto& item : obj.items()) {
    if (item.value().is_object()) {
      for (const auto& sub : item.value().items()) {
        std::printf("%s.%s: %s\n", item.key().c_str(), sub.key().c_str(),
                    Cell(sub.value()).c_str());
      }
    } else {
      std::printf("%s: %s\n", item.key().c_str(), Cell(item.value()).c_str());
    }
  }
}

using Printer = std::function<void(const json&)>;

Printer Table(std::string list_key, Columns columns) {
  return [list_key = std::move(list_key), columns = std::move(columns)](const json& j) {
    PrintTable(j.contains(list_key) ? j[list_key] : json::array(), columns);
  };
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "verbundctl: %s\n", message.c_str());
  return kExitUsage;
}

// Sends one admin request and prints its answer. `path` is below /api/v1/admin, encoded.
int Run(const Globals& g, bool json_out, const std::string& method, const std::string& path,
        const std::optional<json>& body, const Printer& print = PrintFields) {
  Result<ServerUrl> url = ParseServerUrl(*g.server);
  if (!url.ok()) return Fail("--server: " + url.status().message());
  HttpClient client(*url, *g.token);
  Result<HttpResponse> r =
      client.Send(method, "/api/v1/admin" + path, body ? body->dump() + "\n" : std::string());
  if (!r.ok()) {
    std::fprintf(stderr, "verbundctl: %s\n", r.status().message().c_str());
    return kExitUnreachable;
  }
  const int rc = ExitCodeForStatus(r->status);
  if (rc != kExitOk) {
    if (json_out && !r->body.empty()) std::printf("%s", r->body.c_str());
    std::fprintf(stderr, "verbundctl: %u: %s\n", r->status, ErrorMessage(*r).c_str());
    return rc;
  }
  if (json_out) {
    std::printf("%s", r->body.empty() ? "{}\n" : r->body.c_str());
    return kExitOk;
  }
  if (r->body.empty()) {
    std::printf("ok\n");
    return kExitOk;
  }
  json j = json::parse(r->body, nullptr, false);
  if (j.is_discarded()) {
    std::printf("%s", r->body.c_str());
    return kExitOk;
  }
  print(j);
  return kExitOk;
}

std::string Seg(const std::string& s) { return "/" + EncodePathSegment(s); }
std::string TenantPath(const Args& a) { return "/tenants" + Seg(a.tenant); }
std::string PrincipalPath(const Args& a) { return TenantPath(a) + "/principals" + Seg(a.name); }

// One line from stdin, without its line end; nullopt when there is none or it is empty.
std::optional<std::string> ReadPasswordFromStdin() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return std::nullopt;
  return line;
}

json QuotaBody(const Args& a) {
  json body = json::object();
  for (int i = 0; i < 5; ++i) {
    if (a.quota_opts[i] != nullptr && a.quota_opts[i]->count() > 0) {
      body[kQuotaNames[i]] = a.quota[i];
    }
  }
  return body;
}

class Builder {
 public:
  Builder(Globals g, int* exit_code) : g_(g), exit_code_(exit_code) {}

  CLI::App* Group(CLI::App& app, const std::string& name, const std::string& description) {
    CLI::App* group = app.add_subcommand(name, description);
    group->require_subcommand(1);
    group->footer(kExitCodesHelp);
    return group;
  }

  // A leaf command: its own Args, --json, and `run` as its callback.
  CLI::App* Leaf(CLI::App* group, const std::string& name, const std::string& description,
                 std::function<int(const Globals&, const Args&)> run,
                 std::shared_ptr<Args>* args_out) {
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(name, description);
    cmd->footer(kExitCodesHelp);
    cmd->add_flag("--json", args->json, "print the API's JSON answer instead of a table");
    cmd->callback([g = g_, exit_code = exit_code_, args, run = std::move(run)] {
      *exit_code = run(g, *args);
    });
    *args_out = args;
    return cmd;
  }

  static void TenantOption(CLI::App* cmd, Args& a) {
    cmd->add_option("-t,--tenant", a.tenant, "the tenant (`_hub` for operators)")->required();
  }
  static void QuotaOptions(CLI::App* cmd, Args& a) {
    for (int i = 0; i < 5; ++i) {
      std::string flag = std::string("--") + kQuotaNames[i];
      for (char& c : flag) {
        if (c == '_') c = '-';
      }
      a.quota_opts[i] =
          cmd->add_option(flag, a.quota[i], std::string(kQuotaNames[i]) + " (0 = unlimited)");
    }
  }

 private:
  Globals g_;
  int* exit_code_;
};

const Columns kTenantColumns = {{"NAME", "name"},
                                {"PRINCIPALS", "principals"},
                                {"RULES", "rules"},
                                {"MAX_CONN", "quotas.max_connections"},
                                {"MSG/S", "quotas.messages_per_s"},
                                {"BYTES/S", "quotas.bytes_per_s"},
                                {"MAX_SERIES", "quotas.max_series"},
                                {"MAX_BYTES", "quotas.max_stored_bytes"}};
const Columns kPrincipalColumns = {{"NAME", "name"},
                                   {"KIND", "kind"},
                                   {"ADMIN", "tenant_admin"},
                                   {"DISABLED", "disabled"},
                                   {"PASSWORD", "has_password"},
                                   {"GENERATION", "generation"}};
const Columns kSessionColumns = {
    {"CLIENT_ID", "client_id"}, {"TENANT", "tenant"},       {"PRINCIPAL", "principal"},
    {"PEER", "peer"},           {"TRANSPORT", "transport"}, {"PROTOCOL", "protocol"},
    {"SUBS", "subscriptions"},  {"INFLIGHT", "inflight"},   {"QUEUED", "queued"}};

int SetPassword(const Globals& g, const Args& a) {
  if (a.password_stdin == a.clear) return Fail("give exactly one of --password-stdin and --clear");
  if (a.clear) return Run(g, a.json, "DELETE", PrincipalPath(a) + "/password", std::nullopt);
  std::optional<std::string> pw = ReadPasswordFromStdin();
  if (!pw) return Fail("no password on stdin");
  return Run(g, a.json, "PUT", PrincipalPath(a) + "/password", json{{"password", *pw}});
}

void AddTenantCommands(Builder& b, CLI::App& app) {
  CLI::App* group = b.Group(app, "tenant", "Tenants of the hub (operators)");
  std::shared_ptr<Args> a;
  b.Leaf(
      group, "list", "List tenants with their principal and rule counts and quotas",
      [](const Globals& g, const Args& a) {
        return Run(g, a.json, "GET", "/tenants", std::nullopt, Table("tenants", kTenantColumns));
      },
      &a);
  CLI::App* cmd = b.Leaf(
      group, "create", "Create a tenant",
      [](const Globals& g, const Args& a) {
        return Run(g, a.json, "POST", "/tenants", json{{"name", a.name}});
      },
      &a);
  cmd->add_option("name", a->name, "the tenant name ([a-z0-9][a-z0-9-]{0,62})")->required();
  cmd = b.Leaf(
      group, "delete", "Delete a tenant with its principals, credentials and rules",
      [](const Globals& g, const Args& a) {
        return Run(g, a.json, "DELETE", "/tenants" + Seg(a.name), std::nullopt);
      },
      &a);
  cmd->add_option("name", a->name, "the tenant")->required();
  cmd = b.Leaf(
      group, "quota", "Show a tenant's quotas, or set those given (the others keep their value)",
      [](const Globals& g, const Args& a) {
        json body = QuotaBody(a);
        const std::string path = "/tenants" + Seg(a.name) + "/quotas";
        if (body.empty()) return Run(g, a.json, "GET", path, std::nullopt);
        return Run(g, a.json, "PUT", path, body);
      },
      &a);
  cmd->add_option("name", a->name, "the tenant")->required();
  Builder::QuotaOptions(cmd, *a);
}

void AddPrincipalCommands(Builder& b, CLI::App& app) {
  CLI::App* group =
      b.Group(app, "principal", "Principals (devices, users, services, operators) of a tenant");
  std::shared_ptr<Args> a;
  CLI::App* cmd = b.Leaf(
      group, "list", "List a tenant's principals",
      [](const Globals& g, const Args& a) {
        return Run(g, a.json, "GET", TenantPath(a) + "/principals", std::nullopt,
                   Table("principals", kPrincipalColumns));
      },
      &a);
  Builder::TenantOption(cmd, *a);

  cmd = b.Leaf(
      group, "create", "Create a principal (operators: --tenant _hub --kind operator)",
      [](const Globals& g, const Args& a) {
        json body{{"name", a.name}, {"kind", a.kind}, {"tenant_admin", a.tenant_admin}};
        if (a.password_stdin) {
          std::optional<std::string> pw = ReadPasswordFromStdin();
          if (!pw) return Fail("no password on stdin");
          body["password"] = *pw;
        }
        return Run(g, a.json, "POST", TenantPath(a) + "/principals", body);
      },
      &a);
  Builder::TenantOption(cmd, *a);
  cmd->add_option("name", a->name, "the principal name")->required();
  cmd->add_option("--kind", a->kind, "device, user, service or operator")
      ->check(CLI::IsMember({"device", "user", "service", "operator"}));
  cmd->add_flag("--tenant-admin", a->tenant_admin, "may administer its tenant");
  cmd->add_flag("--password-stdin", a->password_stdin, "set a password read from stdin (one line)");

  cmd = b.Leaf(
      group, "delete", "Delete a principal with its certificate identities and tokens",
      [](const Globals& g, const Args& a) {
        return Run(g, a.json, "DELETE", PrincipalPath(a), std::nullopt);
      },
      &a);
  Builder::TenantOption(cmd, *a);
  cmd->add_option("name", a->name, "the principal")->required();

  cmd = b.Leaf(group, "password", "Set (--password-stdin) or clear (--clear) a password",
               SetPassword, &a);
  Builder::TenantOption(cmd, *a);
  cmd->add_option("name", a->name, "the principal")->required();
  cmd->add_flag("--password-stdin", a->password_stdin, "read the new password from stdin");
  cmd->add_flag("--clear", a->clear, "remove the password");

  for (bool disable : {true, false}) {
    cmd = b.Leaf(
        group, disable ? "disable" : "enable",
        disable ? "Disable a principal (its sessions are refused from now on)"
                : "Enable a disabled principal",
        [disable](const Globals& g, const Args& a) {
          return Run(g, a.json, "PUT", PrincipalPath(a) + "/disabled", json{{"disabled", disable}});
        },
        &a);
    Builder::TenantOption(cmd, *a);
    cmd->add_option("name", a->name, "the principal")->required();
  }

  cmd = b.Leaf(
      group, "quota", "Show a principal's quotas, or set those given (the others keep their value)",
      [](const Globals& g, const Args& a) {
        json body = QuotaBody(a);
        const std::string path = PrincipalPath(a) + "/quotas";
        if (body.empty()) return Run(g, a.json, "GET", path, std::nullopt);
        return Run(g, a.json, "PUT", path, body);
      },
      &a);
  Builder::TenantOption(cmd, *a);
  cmd->add_option("name", a->name, "the principal")->required();
  Builder::QuotaOptions(cmd, *a);
}

void AddCredentialCommands(Builder& b, CLI::App& app) {
  CLI::App* group = b.Group(app, "credential",
                            "Credentials: passwords, client certificate identities, API tokens");
  std::shared_ptr<Args> a;
  CLI::App* cmd =
      b.Leaf(group, "password", "Set (--password-stdin) or clear (--clear) a principal's password",
             SetPassword, &a);
  Builder::TenantOption(cmd, *a);
  cmd->add_option("name", a->name, "the principal")->required();
  cmd->add_flag("--password-stdin", a->password_stdin, "read the new password from stdin");
  cmd->add_flag("--clear", a->clear, "remove the password");

  cmd = b.Leaf(
      group, "cert-add", "Map a client certificate identity (CN or SAN) to a principal",
      [](const Globals& g, const Args& a) {
        return Run(g, a.json, "POST", PrincipalPath(a) + "/certificates",
                   json{{"identity", a.identity}});
      },
      &a);
  Builder::TenantOption(cmd, *a);
  cmd->add_option("name", a->name, "the principal")->required();
  cmd->add_option("--identity", a->identity, "the certificate's subject CN or SAN")->required();

  cmd = b.Leaf(
      group, "cert-remove", "Remove a certificate identity of the tenant",
      [](const Globals& g, const Args& a) {
        return Run(g, a.json, "DELETE", TenantPath(a) + "/certificates" + Seg(a.identity),
                   std::nullopt);
      },
      &a);
  Builder::TenantOption(cmd, *a);
  cmd->add_option("--identity", a->identity, "the certificate identity")->required();

  cmd = b.Leaf(
      group, "cert-list", "List the tenant's certificate identities",
      [](const Globals& g, const Args& a) {
        return Run(g, a.json, "GET", TenantPath(a) + "/certificates", std::nullopt,
                   Table("certificates", {{"IDENTITY", "identity"}, {"PRINCIPAL", "principal"}}));
      },
      &a);
  Builder::TenantOption(cmd, *a);

  cmd = b.Leaf(
      group, "token-issue", "Issue an API token for a principal (printed once: store it now)",
      [](const Globals& g, const Args& a) {
        return Run(g, a.json, "POST", PrincipalPath(a) + "/tokens",
                   json{{"rights", a.rights}, {"expires_in_s", a.expires_in_s}}, [](const json& j) {
                     std::printf("token: %s\nid: %s\nexpires_ms: %s\n", Cell(j["token"]).c_str(),
                                 Cell(j["id"]).c_str(), Cell(j["expires_ms"]).c_str());
                   });
      },
      &a);
  Builder::TenantOption(cmd, *a);
  cmd->add_option("name", a->name, "the principal")->required();
  cmd->add_option("--rights", a->rights, "publish, subscribe, write, query, admin")
      ->required()
      ->delimiter(',')
      ->check(CLI::IsMember({"publish", "subscribe", "write", "query", "admin"}));
  cmd->add_option("--expires-in", a->expires_in_s, "seconds until it expires (0 = never)");

  cmd = b.Leaf(
      group, "token-list", "List the tenant's tokens (never their secrets)",
      [](const Globals& g, const Args& a) {
        return Run(g, a.json, "GET", TenantPath(a) + "/tokens", std::nullopt,
                   Table("tokens", {{"ID", "id"},
                                    {"PRINCIPAL", "principal"},
                                    {"RIGHTS", "rights"},
                                    {"EXPIRES_MS", "expires_ms"},
                                    {"CREATED_MS", "created_ms"}}));
      },
      &a);
  Builder::TenantOption(cmd, *a);

  cmd = b.Leaf(
      group, "token-revoke", "Revoke a token by its id",
      [](const Globals& g, const Args& a) {
        return Run(g, a.json, "DELETE", TenantPath(a) + "/tokens" + Seg(a.name), std::nullopt);
      },
      &a);
  Builder::TenantOption(cmd, *a);
  cmd->add_option("id", a->name, "the token id (token-list)")->required();
}

Result<json> ReadJsonFile(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return IOError("cannot read " + path);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return InvalidArgument(path + " is not valid JSON");
  return j;
}

void AddRuleCommands(Builder& b, CLI::App& app) {
  CLI::App* group = b.Group(app, "rule", "Access rules of a tenant (doc/security.md)");
  std::shared_ptr<Args> a;
  CLI::App* cmd = b.Leaf(
      group, "list", "List the tenant's rules",
      [](const Globals& g, const Args& a) {
        return Run(g, a.json, "GET", TenantPath(a) + "/rules", std::nullopt,
                   Table("rules", {{"ID", "id"},
                                   {"EFFECT", "effect"},
                                   {"RIGHTS", "rights"},
                                   {"PRINCIPAL", "principal"},
                                   {"PATTERN", "pattern"}}));
      },
      &a);
  Builder::TenantOption(cmd, *a);

  cmd = b.Leaf(
      group, "add",
      "Add a rule (--rights and --pattern), or all rules of a JSON file (--file; an "
      "object or an array, all or nothing)",
      [](const Globals& g, const Args& a) {
        json body;
        if (!a.file.empty()) {
          Result<json> j = ReadJsonFile(a.file);
          if (!j.ok()) {
            std::fprintf(stderr, "verbundctl: %s\n", j.status().message().c_str());
            return kExitIoError;
          }
          body = std::move(*j);
        } else {
          if (a.rights.empty() || a.pattern.empty()) {
            return Fail("give --rights and --pattern, or --file");
          }
          body = json{{"effect", a.effect},
                      {"rights", a.rights},
                      {"principal", a.principal},
                      {"pattern", a.pattern}};
        }
        return Run(g, a.json, "POST", TenantPath(a) + "/rules", body);
      },
      &a);
  Builder::TenantOption(cmd, *a);
  cmd->add_option("--effect", a->effect, "allow (default) or deny")
      ->check(CLI::IsMember({"allow", "deny"}));
  cmd->add_option("--rights", a->rights, "publish,subscribe or write,query (never mixed)")
      ->delimiter(',')
      ->check(CLI::IsMember({"publish", "subscribe", "write", "query", "admin"}));
  cmd->add_option("--principal", a->principal, "a principal name or * (default)");
  cmd->add_option("--pattern", a->pattern,
                  "a topic filter, or <database-glob>/<measurement-glob> for write/query");
  cmd->add_option("--file", a->file, "a JSON file with one rule or an array of rules (- = stdin)");

  cmd = b.Leaf(
      group, "remove", "Remove a rule by its id",
      [](const Globals& g, const Args& a) {
        return Run(g, a.json, "DELETE", TenantPath(a) + "/rules" + Seg(a.name), std::nullopt);
      },
      &a);
  Builder::TenantOption(cmd, *a);
  cmd->add_option("id", a->name, "the rule id (rule list)")->required();
}

void AddSessionCommands(Builder& b, CLI::App& app) {
  CLI::App* group = b.Group(app, "session", "Connected MQTT clients");
  std::shared_ptr<Args> a;
  CLI::App* cmd = b.Leaf(
      group, "list",
      "List connected clients (of --tenant; without it all an operator may "
      "see, or a tenant admin's own tenant)",
      [](const Globals& g, const Args& a) {
        const std::string path =
            a.tenant.empty() ? std::string("/sessions") : TenantPath(a) + "/sessions";
        return Run(g, a.json, "GET", path, std::nullopt, Table("sessions", kSessionColumns));
      },
      &a);
  cmd->add_option("-t,--tenant", a->tenant, "only this tenant's clients");

  cmd = b.Leaf(
      group, "kick", "Disconnect a client (DISCONNECT 0x98 Administrative action)",
      [](const Globals& g, const Args& a) {
        return Run(g, a.json, "DELETE", TenantPath(a) + "/sessions" + Seg(a.name), std::nullopt);
      },
      &a);
  Builder::TenantOption(cmd, *a);
  cmd->add_option("client_id", a->name, "the client id")->required();
}

}  // namespace

void AddAdminCommands(CLI::App& app, const std::string* server, const std::string* token,
                      int* exit_code) {
  Builder builder(Globals{server, token}, exit_code);  // callbacks copy what they need
  AddTenantCommands(builder, app);
  AddPrincipalCommands(builder, app);
  AddCredentialCommands(builder, app);
  AddRuleCommands(builder, app);
  AddSessionCommands(builder, app);
}

}  // namespace verbund::ctl
