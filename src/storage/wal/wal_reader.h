// Recovery: replays every WAL segment of a directory in order.
//
// A torn tail (the last segment ends inside a record, or its last bytes fail the checksum and no
// valid record follows them) is cut off by truncating the file: those writes were never
// acknowledged. Any other damage - a bad record followed by a valid one, a bad record in an
// older segment, a wrong segment header - is Corruption naming the file and the byte offset;
// nothing is ever skipped silently.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "storage/wal/wal_record.h"

namespace verbund::storage::wal {

// Segment numbers present in `dir`, ascending.
Result<std::vector<uint64_t>> ListSegments(const std::string& dir);

struct ReplayResult {
  uint64_t last_segment = 0;   // 0 when the directory holds no segment
  uint64_t records = 0;
  uint64_t truncated_bytes = 0;  // torn tail cut off
};

// Calls `fn(segment, offset, record)` for every record but the segment headers, in log order.
// An error returned by `fn` stops the replay and is returned annotated with file and offset.
using RecordFn = std::function<Status(uint64_t segment, uint64_t offset, const Record& record)>;
Result<ReplayResult> ReplayWal(const std::string& dir, const RecordFn& fn);

// Scans one segment's bytes (exposed for tests and the fuzz target). `last` says whether a torn
// tail may be tolerated; *valid_bytes receives the length of the good prefix.
Status ScanSegment(std::string_view bytes, uint64_t segment, bool last, const RecordFn& fn,
                   uint64_t* valid_bytes, uint64_t* records);

}  // namespace verbund::storage::wal
