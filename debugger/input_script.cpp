// debugger/input_script.cpp — see input_script.h.
#include "debugger/input_script.h"

#include <cctype>
#include <cstdio>

#include "platform/keymap.h"

namespace debugger {

namespace {

class LineParser {
 public:
  LineParser(std::string_view line, const std::string& where) : s_(line), where_(where) {}

  [[noreturn]] void fail(const std::string& what) const { throw InputScriptError(where_ + ": " + what); }

  void skip_space() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\r')) ++p_;
  }
  // At the end of the line or a comment.
  bool at_end() {
    skip_space();
    return p_ >= s_.size() || s_[p_] == '#';
  }
  bool at_quote() {
    skip_space();
    return p_ < s_.size() && s_[p_] == '"';
  }
  // A word up to the next space (or the end).
  std::string word() {
    skip_space();
    const size_t b = p_;
    while (p_ < s_.size() && s_[p_] != ' ' && s_[p_] != '\t' && s_[p_] != '\r' && s_[p_] != '#') ++p_;
    return std::string(s_.substr(b, p_ - b));
  }
  // The contents of a quoted string, escapes resolved.
  std::string quoted() {
    skip_space();
    ++p_;  // the opening quote
    std::string out;
    for (;;) {
      if (p_ >= s_.size()) fail("the string has no closing '\"'");
      const char c = s_[p_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (p_ >= s_.size()) fail("the string ends in a lone '\\'");
      const char e = s_[p_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'b': out += '\b'; break;
        case 'e': out += '\x1b'; break;
        case '0': out += '\0'; break;
        case '\\': out += '\\'; break;
        case '"': out += '"'; break;
        case 'x': {
          unsigned v = 0, n = 0;
          while (n < 2 && p_ < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[p_]))) {
            const char h = char(std::tolower(static_cast<unsigned char>(s_[p_++])));
            v = v * 16 + unsigned(h <= '9' ? h - '0' : h - 'a' + 10);
            ++n;
          }
          if (n == 0) fail("'\\x' needs one or two hexadecimal digits");
          out += char(v);
          break;
        }
        default: fail(std::string("unknown escape '\\") + e + "' (known: \\n \\r \\t \\b \\e \\0 \\\\ \\\" \\xHH)");
      }
    }
  }

 private:
  std::string_view s_;
  std::string where_;
  size_t p_ = 0;
};

// Decimal or 0x hexadecimal; false when `t` is not such a number or overflows.
bool parse_uint(const std::string& t, uint64_t& v) {
  size_t i = 0;
  unsigned base = 10;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    base = 16;
    i = 2;
  }
  if (i >= t.size()) return false;
  v = 0;
  for (; i < t.size(); ++i) {
    const char c = char(std::tolower(static_cast<unsigned char>(t[i])));
    unsigned d;
    if (c >= '0' && c <= '9') d = unsigned(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f') d = unsigned(c - 'a' + 10);
    else return false;
    if (v > (UINT64_MAX - d) / base) return false;
    v = v * base + d;
  }
  return true;
}

// "5ms" -> cycles at `mhz`.
uint64_t parse_time(const std::string& t, uint32_t mhz, const LineParser& lp) {
  size_t digits = 0;
  while (digits < t.size() && std::isdigit(static_cast<unsigned char>(t[digits]))) ++digits;
  const std::string num = t.substr(0, digits), unit = t.substr(digits);
  uint64_t n = 0;
  if (num.empty() || !parse_uint(num, n)) {
    lp.fail("'" + t + "' is not a time (a whole number and a unit: ns, us, ms, s or cycles, e.g. 5ms)");
  }
  // cycles = n * scale_num / scale_den, computed in 128 bits.
  unsigned __int128 c;
  const unsigned __int128 m = mhz;
  if (unit == "cycles") c = n;
  else if (unit == "ns") c = (unsigned __int128)n * m / 1000;
  else if (unit == "us") c = (unsigned __int128)n * m;
  else if (unit == "ms") c = (unsigned __int128)n * m * 1000;
  else if (unit == "s") c = (unsigned __int128)n * m * 1000000;
  else lp.fail("'" + t + "' has no known unit (ns, us, ms, s or cycles)");
  if (c >= UINT64_MAX) lp.fail("'" + t + "' is too far in the future");
  return uint64_t(c);
}

}  // namespace

std::vector<platform::InputEvent> parse_input_script(std::string_view text, uint32_t cpu_mhz,
                                                     const std::string& name) {
  std::vector<platform::InputEvent> events;
  uint64_t prev = 0;
  size_t line_no = 0, pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    LineParser lp(line, name + ":" + std::to_string(line_no));
    if (lp.at_end()) continue;

    const std::string when = lp.word();
    if (when != "at" && when != "after") lp.fail("expected 'at TIME' or 'after TIME', found '" + when + "'");
    if (lp.at_end()) lp.fail("'" + when + "' needs a time, e.g. 5ms");
    const uint64_t t = parse_time(lp.word(), cpu_mhz, lp);
    uint64_t cycle;
    if (when == "at") {
      if (t < prev) {
        lp.fail("'at' goes back in time (cycle " + std::to_string(t) + " is before the previous line's " +
                std::to_string(prev) + "); lines must be in time order");
      }
      cycle = t;
    } else {
      if (t > UINT64_MAX - 1 - prev) lp.fail("the time is too far in the future");
      cycle = prev + t;
    }
    prev = cycle;

    if (lp.at_end()) lp.fail("expected a channel: 'serial' or 'key'");
    const std::string chan = lp.word();
    platform::InputChannel ch;
    if (chan == "serial") ch = platform::InputChannel::Serial;
    else if (chan == "key") ch = platform::InputChannel::Keyboard;
    else lp.fail("unknown channel '" + chan + "' (known: serial, key)");

    if (lp.at_end()) lp.fail("'" + chan + "' needs at least one string or byte");
    while (!lp.at_end()) {
      std::vector<uint8_t> bytes;
      if (lp.at_quote()) {
        const std::string str = lp.quoted();
        for (char c : str) {
          if (ch == platform::InputChannel::Serial) {
            bytes.push_back(uint8_t(c));
          } else if (!platform::type_ascii(c, bytes)) {
            char hexbuf[8];
            std::snprintf(hexbuf, sizeof hexbuf, "0x%02x", unsigned(uint8_t(c)));
            lp.fail(std::string("no key on a US keyboard types the character ") + hexbuf +
                    "; give its scancodes as numbers");
          }
        }
      } else {
        const std::string w = lp.word();
        uint64_t v = 0;
        if (!parse_uint(w, v) || v > 255) {
          lp.fail("'" + w + "' is neither a \"string\" nor a byte (0-255, decimal or 0x hexadecimal)");
        }
        bytes.push_back(uint8_t(v));
      }
      for (uint8_t b : bytes) events.push_back({cycle, ch, b});
    }
  }
  return events;
}

}  // namespace debugger
