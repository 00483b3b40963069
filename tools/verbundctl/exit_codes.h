// verbundctl's exit codes (documented in --help and doc/api.md). Fixed: scripts depend on them.
#pragma once

namespace verbund::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitVerificationFailed = 1;  // the log or a proof does not verify
inline constexpr int kExitUsage = 2;               // bad command line
inline constexpr int kExitIoError = 3;             // a file cannot be read or parsed, a key is bad
inline constexpr int kExitServerError = 4;    // (admin commands) the hub refused (400) or failed
inline constexpr int kExitNotAuthorized = 5;  // (admin commands) 401 or 403
inline constexpr int kExitNotFound = 6;       // (admin commands) 404
inline constexpr int kExitConflict = 7;       // (admin commands) 409: exists already, in use
inline constexpr int kExitUnreachable = 8;    // (admin commands) the hub cannot be reached

inline constexpr const char* kExitCodesHelp =
    "Exit codes: 0 ok, 1 verification failed, 2 usage error, 3 I/O or input error, "
    "4 server error or request refused, 5 not authorized, 6 not found, 7 conflict, "
    "8 server unreachable.";

}  // namespace verbund::ctl
