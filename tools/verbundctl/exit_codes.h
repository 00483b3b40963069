// verbundctl's exit codes (documented in --help and doc/api.md). Fixed: scripts depend on them.
#pragma once

namespace verbund::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitVerificationFailed = 1;  // the log or a proof does not verify
inline constexpr int kExitUsage = 2;               // bad command line
inline constexpr int kExitIoError = 3;             // a file cannot be read or parsed, a key is bad
inline constexpr int kExitServerError = 4;         // (HTTP commands) the hub refused or failed

inline constexpr const char* kExitCodesHelp =
    "Exit codes: 0 ok, 1 verification failed, 2 usage error, 3 I/O or input error, "
    "4 server error.";

}  // namespace verbund::ctl
