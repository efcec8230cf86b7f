// Reading input files: size limits, BOM sniffing, UTF-16 to UTF-8, CRLF normalisation.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "util/limits.h"

namespace fwm {

struct TextFile {
  std::string path;      // as displayed in diagnostics and SARIF (relative stays relative)
  std::string text;      // UTF-8, '\n' line ends
  std::string encoding;  // "utf-8", "utf-8-bom", "utf-16le", "utf-16be"
  std::string error;     // non-empty when the file could not be read or decoded
  bool ok() const { return error.empty(); }
};

struct ReadLimits {
  std::size_t max_bytes = Limits{}.max_file_size;
  std::size_t max_line_length = Limits{}.max_line_length;  // see line_length_error
};
inline ReadLimits read_limits(const Limits& limits) { return {limits.max_file_size, limits.max_line_length}; }

// Reads raw bytes (no decoding). Empty error on success.
std::string read_bytes(const std::string& path, std::string& out, const ReadLimits& limits = {});

// Reads and decodes a text file; a line longer than limits.max_line_length is an error.
TextFile read_text_file(const std::string& path, const ReadLimits& limits = {});

// "PATH:LINE: line is N bytes long (the limit is ...; --max-line-length raises it)" for
// the first line of `file` longer than max_line_length; empty when there is none. JSON
// documents (first non-blank character '{' or '[') and binary registry hives are not
// line-oriented and never fail this.
std::string line_length_error(const TextFile& file, std::size_t max_line_length);

// Decodes bytes that may carry a BOM or be UTF-16; normalises CRLF / CR to LF.
TextFile decode_text(std::string path, std::string bytes);

// The bytes of text that decode_text() read as Latin-1 (not UTF-8, no BOM): every code
// point below 256 back to one byte (for files in a legacy code page, decoded again with
// decode_code_page()).
std::string latin1_bytes(const std::string& utf8);

// Decodes bytes of a code page iconv knows ("CP850", "GBK") to UTF-8; nullopt when iconv
// does not know it or the bytes are not valid in it.
std::optional<std::string> decode_code_page(const std::string& bytes, const char* code_page);

// Splits text into lines (views into text) without the '\n'.
std::vector<std::string_view> split_lines(const std::string& text);

}  // namespace fwm
