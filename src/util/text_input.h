// Reading input files: size limits, BOM sniffing, UTF-16 to UTF-8, CRLF normalisation.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace fwm {

struct TextFile {
  std::string path;     // as displayed in diagnostics and SARIF (relative stays relative)
  std::string text;     // UTF-8, '\n' line ends
  std::string encoding; // "utf-8", "utf-8-bom", "utf-16le", "utf-16be"
  std::string error;    // non-empty when the file could not be read or decoded
  bool ok() const { return error.empty(); }
};

struct ReadLimits {
  std::size_t max_bytes = std::size_t(1) << 30;  // 1 GiB
};

// Reads raw bytes (no decoding). Empty error on success.
std::string read_bytes(const std::string& path, std::string& out, const ReadLimits& limits = {});

// Reads and decodes a text file.
TextFile read_text_file(const std::string& path, const ReadLimits& limits = {});

// Decodes bytes that may carry a BOM or be UTF-16; normalises CRLF / CR to LF.
TextFile decode_text(std::string path, const std::string& bytes);

// Splits text into lines (views into text) without the '\n'.
std::vector<std::string_view> split_lines(const std::string& text);

}  // namespace fwm
