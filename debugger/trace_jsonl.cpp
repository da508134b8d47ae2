// debugger/trace_jsonl.cpp — see trace_jsonl.h.
#include "debugger/trace_jsonl.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "platform/text.h"
#include "vt/sensitive.h"

namespace debugger {

namespace {

void field(std::string& out, const char* key, uint64_t v) {
  out += ",\"";
  out += key;
  out += "\":";
  out += std::to_string(v);
}
void field(std::string& out, const char* key, bool v) {
  out += ",\"";
  out += key;
  out += "\":";
  out += v ? "true" : "false";
}
void field(std::string& out, const char* key, const std::string& v) {
  out += ",\"";
  out += key;
  out += "\":";
  out += json_string(v);
}

}  // namespace

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  out += '"';
  return out;
}

TraceHeader TraceHeader::from(const platform::MachineConfig& cfg) {
  TraceHeader h;
  h.ram_bytes = cfg.ram_bytes;
  h.post_port = cfg.post_port;
  h.cpu_mhz = cfg.cpu_mhz;
  h.cpu_model = cfg.cpu_model;
  h.virtualizable = cfg.virtualizable;
  return h;
}

std::string TraceJsonl::header_line(const TraceHeader& h) {
  std::string out = "{\"format\":\"ringside-trace\",\"version\":" + std::to_string(kTraceVersion);
  out += ",\"machine\":{\"ram_bytes\":" + std::to_string(h.ram_bytes);
  field(out, "post_port", uint64_t(h.post_port));
  field(out, "cpu_mhz", uint64_t(h.cpu_mhz));
  field(out, "cpu_model", h.cpu_model);
  field(out, "virtualizable", h.virtualizable);
  out += "},\"image\":{\"name\":" + json_string(h.image);
  field(out, "loader", h.loader);
  field(out, "fnv1a", platform::hex(h.image_fnv1a));
  field(out, "size", h.image_size);
  out += "}}";
  return out;
}

namespace {

// Appends at `p` without bounds checks: the caller has made room for kEventHeadMax bytes,
// of which a line uses at most about 330, the rest being slack for fixed-size copies.
// Event lines are built this way, with no allocation, because an event-dense guest (one
// port access every other instruction) makes millions of them.
constexpr size_t kEventHeadMax = 512;

inline char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// Decimal, two digits at a time, written in place from the last digit back.
inline char* put_u64(char* p, uint64_t v) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  // The number of digits from the bit length (Bit Twiddling Hacks, "integer log base 10").
  static constexpr uint64_t kPow10[20] = {
      1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
      100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
      10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
      100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull};
  const unsigned bits = 64 - unsigned(__builtin_clzll(v | 1));
  const unsigned t = (bits * 1233) >> 12;  // log10(2^bits), rounded down
  const unsigned n = t - ((v | 1) < kPow10[t]) + 1;  // v | 1: as many digits, and 0 has 1
  char* q = p + n;
  while (v >= 100) {
    const unsigned k = unsigned(v % 100) * 2;
    v /= 100;
    *--q = kPairs[k + 1];
    *--q = kPairs[k];
  }
  if (v >= 10) {
    *--q = kPairs[v * 2 + 1];
    *--q = kPairs[v * 2];
  } else {
    *--q = char('0' + v);
  }
  return p + n;
}

// ,"key":value. The names the CPU gives modes, kinds and sources are plain snake_case
// words, so they are written as they are (json_string would leave them unchanged).
inline char* put_field(char* p, std::string_view key, uint64_t v) {
  *p++ = ',';
  *p++ = '"';
  p = put(p, key);
  *p++ = '"';
  *p++ = ':';
  return put_u64(p, v);
}
inline char* put_field(char* p, std::string_view key, bool v) {
  *p++ = ',';
  *p++ = '"';
  p = put(p, key);
  *p++ = '"';
  *p++ = ':';
  return put(p, v ? "true" : "false");
}

std::string mode_object(const cpu::ModeInfo& m) {
  char buf[96];
  char* p = put(buf, "{\"mode\":\"");
  p = put(p, cpu::mode_name(m.mode));
  p = put(p, "\",\"cpl\":");
  p = put_u64(p, m.cpl);
  p = put(p, ",\"vmx\":");
  p = put_u64(p, m.vmx_level);
  *p++ = '}';
  return std::string(buf, size_t(p - buf));
}

// A short constant string kept in a fixed-size array, so that writing it is one
// fixed-size copy (the line has room for the bytes past its end) and an add. The pieces
// made below (kind names, mode objects) are all shorter than kMax.
struct Piece {
  static constexpr size_t kMax = 64;
  char s[kMax] = {};
  size_t n = 0;
  Piece() = default;
  explicit Piece(std::string_view v) : n(std::min(v.size(), kMax)) { std::memcpy(s, v.data(), n); }
};
inline char* put(char* p, const Piece& x) {
  std::memcpy(p, x.s, Piece::kMax);
  return p + x.n;
}

// {"mode":...,"cpl":...,"vmx":...}; the usual ones (no VMX nesting) come from a table.
inline char* put_mode(char* p, const cpu::ModeInfo& m) {
  constexpr unsigned kModes = 4;
  static const std::array<Piece, kModes * 4> kTable = [] {
    std::array<Piece, kModes * 4> t;
    for (unsigned k = 0; k < t.size(); ++k)
      t[k] = Piece(mode_object(cpu::ModeInfo{cpu::Mode(k / 4), uint8_t(k % 4), 0}));
    return t;
  }();
  const unsigned mode = unsigned(m.mode);
  if (mode < kModes && m.cpl < 4 && m.vmx_level == 0) [[likely]]
    return put(p, kTable[mode * 4 + m.cpl]);
  return put(p, std::string_view(mode_object(m)));
}

// {"kind":"NAME" for every kind.
inline char* put_kind(char* p, cpu::EventKind k) {
  static const std::array<Piece, cpu::kEventKinds> kNames = [] {
    std::array<Piece, cpu::kEventKinds> t;
    for (unsigned i = 0; i < t.size(); ++i) {
      std::string s = "{\"kind\":\"";
      s += cpu::event_kind_name(cpu::EventKind(i));
      s += '"';
      t[i] = Piece(s);
    }
    return t;
  }();
  const unsigned i = unsigned(k);
  if (i < kNames.size()) [[likely]] return put(p, kNames[i]);
  p = put(p, "{\"kind\":\"");
  p = put(p, cpu::event_kind_name(k));
  *p++ = '"';
  return p;
}

// Everything of an event line but the optional "reason" and the closing brace.
char* put_event_head(char* p, const cpu::Event& e) {
  using K = cpu::EventKind;
  p = put_kind(p, e.kind);
  p = put_field(p, "cycle", e.cycle);
  p = put_field(p, "instret", e.instret);
  p = put(p, ",\"before\":");
  p = put_mode(p, e.before);
  p = put(p, ",\"after\":");
  p = put_mode(p, e.after);
  p = put_field(p, "cs", uint64_t(e.cs));
  p = put_field(p, "ip", e.ip);
  switch (e.kind) {
    case K::Exception:
      p = put_field(p, "vector", uint64_t(e.vector));
      if (e.has_error_code) p = put_field(p, "error_code", uint64_t(e.error_code));
      if (e.vector == 14) p = put_field(p, "cr2", e.cr2);
      break;
    case K::Interrupt:
      p = put_field(p, "vector", uint64_t(e.vector));
      p = put(p, ",\"source\":\"");
      p = put(p, cpu::interrupt_source_name(e.source));
      *p++ = '"';
      break;
    case K::PortIo:
      p = put_field(p, "port", uint64_t(e.port));
      p = put_field(p, "size", uint64_t(e.size));
      p = put_field(p, "write", e.write);
      p = put_field(p, "value", uint64_t(e.value));
      p = put_field(p, "claimed", e.claimed);
      break;
    case K::PostCode:
      p = put_field(p, "port", uint64_t(e.port));
      p = put_field(p, "size", uint64_t(e.size));
      p = put_field(p, "value", uint64_t(e.value));
      break;
    case K::VmExit:
      p = put_field(p, "exit_reason", uint64_t(e.exit_reason));
      p = put_field(p, "qualification", e.exit_qualification);
      p = put_field(p, "insn_len", uint64_t(e.insn_len));
      p = put_field(p, "transition_cycles", e.transition_cycles);
      break;
    case K::VmEntry:
      p = put_field(p, "transition_cycles", e.transition_cycles);
      break;
    default:  // SensitiveInstruction's text fields come in event_tail()
      break;
  }
  return p;
}

// The rest of the line after put_event_head: the reason, if any, and the closing brace.
// Events with a tail take the slower std::string path (rare: not on the hot path).
inline bool has_tail(const cpu::Event& e) {
  return (e.reason && *e.reason) || e.kind == cpu::EventKind::SensitiveInstruction;
}

std::string event_tail(const cpu::Event& e) {
  std::string out;
  if (e.kind == cpu::EventKind::SensitiveInstruction) {
    const vt::SensitiveEntry& s = vt::sensitive_entry(e.sensitive);
    field(out, "id", std::string(s.key));
    field(out, "mnemonic", std::string(s.mnemonic));
    field(out, "ring", uint64_t(e.before.cpl));
    field(out, "trapped", e.trapped);
    field(out, "detail", e.detail);
  }
  if (e.reason && *e.reason) {
    out += ",\"reason\":";
    out += json_string(e.reason);
  }
  if (e.kind == cpu::EventKind::VmExit && !e.detail.empty()) field(out, "detail", e.detail);
  out += '}';
  return out;
}

}  // namespace

std::string TraceJsonl::event_line(const cpu::Event& e) {
  char head[kEventHeadMax];
  std::string out(head, size_t(put_event_head(head, e) - head));
  out += event_tail(e);
  return out;
}

TraceJsonl::TraceJsonl(std::ostream& out, const TraceHeader& header)
    : out_(out), buf_(new char[kBufferBytes]) {
  out_ << header_line(header) << '\n';
}

TraceJsonl::~TraceJsonl() { flush(); }

void TraceJsonl::flush() {
  if (len_) out_.write(buf_.get(), std::streamsize(len_));
  len_ = 0;
}

void TraceJsonl::on_event(const cpu::Event& e) {
  if (kBufferBytes - len_ < kEventHeadMax + 2) flush();
  char* p = put_event_head(buf_.get() + len_, e);
  if (has_tail(e)) [[unlikely]] {
    len_ = size_t(p - buf_.get());
    const std::string tail = event_tail(e) + '\n';
    if (kBufferBytes - len_ < tail.size()) flush();
    if (tail.size() > kBufferBytes) {
      out_.write(tail.data(), std::streamsize(tail.size()));
    } else {
      std::memcpy(buf_.get() + len_, tail.data(), tail.size());
      len_ += tail.size();
    }
  } else {
    *p++ = '}';
    *p++ = '\n';
    len_ = size_t(p - buf_.get());
  }
  ++events_;
}

}  // namespace debugger
