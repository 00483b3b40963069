// verbundctl: the hub's admin command line. Commands group by what they manage; offline ones
// (audit verify/pubkey/sth/export) work on files, the others (tenant, principal, credential,
// rule, session; quotas under tenant and principal) talk to the hub's HTTP admin API given by
// --server and
// --token. Every command has --help; exit codes are in exit_codes.h.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "admin_commands.h"
#include "audit_commands.h"
#include "exit_codes.h"

int main(int argc, char** argv) {
  using namespace verbund::ctl;
  CLI::App app{"verbundctl: administer a Verbund hub"};
  app.footer(kExitCodesHelp);
  app.require_subcommand(1);
  // For the HTTP admin commands; offline commands ignore them.
  std::string server = "http://127.0.0.1:8086";
  std::string token;
  app.add_option("--server", server, "the hub's HTTP address (admin commands)")
      ->envname("VERBUND_SERVER");
  app.add_option("--token", token, "an operator or tenant-admin API token (admin commands)")
      ->envname("VERBUND_TOKEN");

  int exit_code = kExitOk;
  AddAuditCommands(app, &exit_code);
  AddAdminCommands(app, &server, &token, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}
