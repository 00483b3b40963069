// Golden files of the on-disk formats (test/golden/<format>/): tests compare encoder output with
// them byte for byte and rewrite them only when VERBUND_UPDATE_GOLDEN is set (a deliberate
// format change). Needs VERBUND_SOURCE_DIR, which every test target defines.
#pragma once

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace verbund::golden {

inline std::string Path(std::string_view format, std::string_view file) {
  std::string p = VERBUND_SOURCE_DIR "/test/golden/";
  p.append(format);
  p.push_back('/');
  p.append(file);
  return p;
}

// The file's bytes; "" when it does not exist.
inline std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void Write(const std::string& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline bool Updating() { return std::getenv("VERBUND_UPDATE_GOLDEN") != nullptr; }

}  // namespace verbund::golden
