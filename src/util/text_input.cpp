#include "util/text_input.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <iconv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string_view>
#include <thread>

namespace fwm {

namespace {

// Files at least this large are read in two halves at once.
constexpr std::size_t kReadInHalvesFrom = std::size_t(4) << 20;

// Reads [offset, offset + size) of `fd` into `into`; the bytes read (fewer at the end of
// the file), or -1 with errno set.
long read_span(int fd, char* into, std::size_t size, std::size_t offset) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t got = pread(fd, into + done, size - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return -1;
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return static_cast<long>(done);
}

// Reads a regular file of `size` bytes (then whatever was appended since) into `out`. A
// large file's buffer is written by two threads at once: the second half's pages are
// mapped by a helper while this thread zeroes the first, and each half is then read by
// its own thread (a kube-proxy dump of 1M rules: 85 -> 50 ms).
std::string read_regular_file(const std::string& path, int fd, std::size_t size, std::string& out) {
  const bool halves = size >= kReadInHalvesFrom;
  out.reserve(size);
  {
    std::thread mapper;
#ifdef MADV_POPULATE_WRITE
    if (halves)
      mapper = std::thread([data = out.data(), size] {
        auto first = (reinterpret_cast<std::uintptr_t>(data) + size / 2 + 4095) & ~std::uintptr_t(4095);
        auto last = (reinterpret_cast<std::uintptr_t>(data) + size) & ~std::uintptr_t(4095);
        // A hint: where the kernel cannot, the pages are mapped as they are written.
        if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_POPULATE_WRITE);
      });
#endif
    out.resize(size);
    if (mapper.joinable()) mapper.join();
  }
  const std::size_t half = halves ? size / 2 : size;
  long second_got = 0;
  int second_errno = 0;
  std::thread second;
  if (halves)
    second = std::thread([&] {
      second_got = read_span(fd, out.data() + half, size - half, half);
      second_errno = errno;
    });
  long first_got = read_span(fd, out.data(), half, 0);
  int first_errno = errno;
  if (second.joinable()) second.join();
  if (first_got < 0 || second_got < 0)
    return fmt::format("cannot read {}: {}", path, std::strerror(first_got < 0 ? first_errno : second_errno));
  if (static_cast<std::size_t>(first_got) < half) {  // the file shrank: what is there
    out.resize(static_cast<std::size_t>(first_got));
    return {};
  }
  out.resize(half + static_cast<std::size_t>(second_got));
  // Whatever was appended since the size was taken.
  char more[65536];
  for (;;) {
    long got = read_span(fd, more, sizeof more, out.size());
    if (got < 0) return fmt::format("cannot read {}: {}", path, std::strerror(errno));
    if (got == 0) break;
    out.append(more, static_cast<std::size_t>(got));
  }
  return {};
}

}  // namespace

std::string read_bytes(const std::string& path, std::string& out, const ReadLimits& limits) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return fmt::format("cannot read {}: {}", path, std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return fmt::format("cannot read {}: is a directory", path);
  if (static_cast<std::size_t>(st.st_size) > limits.max_bytes)
    return fmt::format("{} is {} bytes, larger than allowed{}", path, st.st_size,
                       limit_hint(limits.max_bytes, "bytes", kMaxFileSizeFlag));
  if (S_ISREG(st.st_mode)) {  // the size stat gave, read at once (then whatever was appended since)
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fmt::format("cannot read {}: {}", path, std::strerror(errno));
    std::string error = read_regular_file(path, fd, static_cast<std::size_t>(st.st_size), out);
    close(fd);
    return error;
  }
  std::ifstream in(path, std::ios::binary);  // a pipe or device: read until its end
  if (!in) return fmt::format("cannot read {}: {}", path, std::strerror(errno));
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return {};
}

namespace {

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool decode_utf16(const std::string& bytes, std::size_t start, bool little, std::string& out, std::string& error) {
  auto unit = [&](std::size_t i) -> char16_t {
    auto a = static_cast<unsigned char>(bytes[i]), b = static_cast<unsigned char>(bytes[i + 1]);
    return little ? static_cast<char16_t>(a | (b << 8)) : static_cast<char16_t>((a << 8) | b);
  };
  if ((bytes.size() - start) % 2 != 0) {
    error = "UTF-16 text has an odd number of bytes";
    return false;
  }
  for (std::size_t i = start; i + 1 < bytes.size(); i += 2) {
    char16_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 3 >= bytes.size()) {
        error = fmt::format("truncated UTF-16 surrogate pair at byte {}", i);
        return false;
      }
      char16_t lo = unit(i + 2);
      if (lo < 0xDC00 || lo > 0xDFFF) {
        error = fmt::format("invalid UTF-16 surrogate pair at byte {}", i);
        return false;
      }
      append_utf8(out, 0x10000 + ((char32_t(u) - 0xD800) << 10) + (char32_t(lo) - 0xDC00));
      i += 2;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      error = fmt::format("invalid UTF-16 surrogate at byte {}", i);
      return false;
    } else {
      append_utf8(out, u);
    }
  }
  return true;
}

// Returns the byte offset of the first invalid UTF-8 sequence, or npos.
std::size_t invalid_utf8_at(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    // Eight ASCII bytes at a time (most configuration files are ASCII throughout).
    while (i + 8 <= s.size()) {
      std::uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if (word & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return i;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return i;
    // Strict (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. The
    // ANTLR runtime and the JSON writer reject those, so they must not pass as UTF-8.
    auto c1 = static_cast<unsigned char>(s[i + 1 < s.size() ? i + 1 : i]);
    if ((n == 2 && c < 0xC2) || (n == 3 && c == 0xE0 && c1 < 0xA0) || (n == 3 && c == 0xED && c1 > 0x9F) ||
        (n == 4 && c == 0xF0 && c1 < 0x90) || (n == 4 && c == 0xF4 && c1 > 0x8F) || (n == 4 && c > 0xF4))
      return i;
    i += n;
  }
  return std::string::npos;
}

std::string normalise_newlines(std::string in) {
  if (in.find('\r') == std::string::npos) return in;
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\r') {
      out += '\n';
      if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
    } else {
      out += in[i];
    }
  }
  return out;
}

}  // namespace

TextFile decode_text(std::string path, std::string bytes) {
  TextFile f;
  f.path = std::move(path);
  std::string utf8;
  if (bytes.size() >= 4096 && bytes.compare(0, 4, "regf") == 0) {
    // A binary Windows registry hive (netsh advfirewall export): passed on byte for byte
    // for the frontends that read hives.
    f.encoding = "regf";
    f.text = std::move(bytes);
    return f;
  }
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
      static_cast<unsigned char>(bytes[1]) == 0xFE) {
    f.encoding = "utf-16le";
    if (!decode_utf16(bytes, 2, true, utf8, f.error)) return f;
  } else if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFE &&
             static_cast<unsigned char>(bytes[1]) == 0xFF) {
    f.encoding = "utf-16be";
    if (!decode_utf16(bytes, 2, false, utf8, f.error)) return f;
  } else if (bytes.size() >= 3 && bytes.compare(0, 3, "\xEF\xBB\xBF") == 0) {
    f.encoding = "utf-8-bom";
    utf8 = bytes.substr(3);
  } else if (bytes.size() >= 4 && bytes[0] != 0 && bytes[1] == 0 && bytes[2] != 0 && bytes[3] == 0) {
    f.encoding = "utf-16le";  // UTF-16LE without BOM (ASCII-range text)
    if (!decode_utf16(bytes, 0, true, utf8, f.error)) return f;
  } else {
    f.encoding = "utf-8";
    utf8 = std::move(bytes);
  }
  if (auto nul = utf8.find('\0'); nul != std::string::npos) {
    f.error = fmt::format("{}: contains a NUL byte at offset {}: not a text file", f.path, nul);
    return f;
  }
  if (auto bad = invalid_utf8_at(utf8); bad != std::string::npos) {
    if (f.encoding != "utf-8") {
      f.error = fmt::format("{}: invalid UTF-8 at byte offset {}", f.path, bad);
      return f;
    }
    // Not UTF-8 and no BOM: a legacy 8-bit code page (Windows consoles and .cmd files).
    // Read as Windows-1252 / Latin-1: ASCII syntax stays exact, other characters are kept
    // as the nearest code points.
    std::string latin1;
    for (unsigned char c : utf8) append_utf8(latin1, c);
    utf8 = std::move(latin1);
    f.encoding = "latin-1";
  }
  f.text = normalise_newlines(std::move(utf8));
  return f;
}

TextFile read_text_file(const std::string& path, const ReadLimits& limits) {
  std::string bytes;
  if (auto err = read_bytes(path, bytes, limits); !err.empty()) {
    TextFile f;
    f.path = path;
    f.error = err;
    return f;
  }
  TextFile f = decode_text(path, std::move(bytes));
  if (f.ok()) f.error = line_length_error(f, limits.max_line_length);
  return f;
}

std::string line_length_error(const TextFile& file, std::size_t max_line_length) {
  if (file.encoding == "regf") return {};
  const std::string& text = file.text;
  // A JSON document: an object, or an array of objects / arrays / strings (not the
  // "[0:0]" counters of iptables-save -c or a "[HKEY_...]" registry key).
  auto first = text.find_first_not_of(" \t\n");
  if (first != std::string::npos && text[first] == '{') return {};
  if (first != std::string::npos && text[first] == '[') {
    auto second = text.find_first_not_of(" \t\n", first + 1);
    if (second != std::string::npos && std::string_view("{[]\"").find(text[second]) != std::string_view::npos)
      return {};
  }
  // Lines before `start` are short enough. While the rest is longer than a line may be,
  // the line at `start` must end within max_line_length bytes: the last newline of that
  // window ends it and every line before it. (One search per window, not one per line.)
  std::size_t start = 0;
  while (text.size() - start > max_line_length) {
    const void* newline = memrchr(text.data() + start, '\n', max_line_length + 1);
    if (!newline) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(start), '\n');
      return fmt::format("{}:{}: line is {} bytes long, longer than allowed{}", file.path, line, end - start,
                         limit_hint(max_line_length, "bytes", kMaxLineLengthFlag));
    }
    start = static_cast<std::size_t>(static_cast<const char*>(newline) - text.data()) + 1;
  }
  return {};
}

std::vector<std::string_view> split_lines(const std::string& text) {
  std::vector<std::string_view> lines;
  // Room for lines of 48 bytes on average, so that a large file's list is seldom moved
  // (room never written takes no memory).
  lines.reserve(text.size() / 48 + 16);
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.emplace_back(text.data() + start, end - start);
    start = end + 1;
  }
  return lines;
}

std::string latin1_bytes(const std::string& utf8) {
  std::string out;
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size()) {
      out += static_cast<char>(((c & 0x1F) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3F));
      ++i;
    }
  }
  return out;
}

std::optional<std::string> decode_code_page(const std::string& bytes, const char* code_page) {
  iconv_t cd = iconv_open("UTF-8", code_page);
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out(bytes.size() * 4 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  char* dst = out.data();
  std::size_t out_left = out.size();
  std::size_t rc = iconv(cd, &in, &in_left, &dst, &out_left);
  iconv_close(cd);
  if (rc == static_cast<std::size_t>(-1)) return std::nullopt;
  out.resize(out.size() - out_left);
  return out;
}

}  // namespace fwm
