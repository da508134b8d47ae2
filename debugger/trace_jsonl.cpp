// debugger/trace_jsonl.cpp — see trace_jsonl.h.
#include "debugger/trace_jsonl.h"

#include <cstdio>

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

std::string mode_json(const cpu::ModeInfo& m) {
  return "{\"mode\":" + json_string(cpu::mode_name(m.mode)) + ",\"cpl\":" + std::to_string(m.cpl) +
         ",\"vmx\":" + std::to_string(m.vmx_level) + "}";
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

std::string TraceJsonl::event_line(const cpu::Event& e) {
  using K = cpu::EventKind;
  std::string out = "{\"kind\":" + json_string(cpu::event_kind_name(e.kind));
  field(out, "cycle", e.cycle);
  field(out, "instret", e.instret);
  out += ",\"before\":" + mode_json(e.before);
  out += ",\"after\":" + mode_json(e.after);
  field(out, "cs", uint64_t(e.cs));
  field(out, "ip", e.ip);
  switch (e.kind) {
    case K::Exception:
      field(out, "vector", uint64_t(e.vector));
      if (e.has_error_code) field(out, "error_code", uint64_t(e.error_code));
      if (e.vector == 14) field(out, "cr2", e.cr2);
      break;
    case K::Interrupt:
      field(out, "vector", uint64_t(e.vector));
      field(out, "source", std::string(cpu::interrupt_source_name(e.source)));
      break;
    case K::PortIo:
      field(out, "port", uint64_t(e.port));
      field(out, "size", uint64_t(e.size));
      field(out, "write", e.write);
      field(out, "value", uint64_t(e.value));
      field(out, "claimed", e.claimed);
      break;
    case K::PostCode:
      field(out, "port", uint64_t(e.port));
      field(out, "size", uint64_t(e.size));
      field(out, "value", uint64_t(e.value));
      break;
    case K::SensitiveInstruction: {
      const vt::SensitiveEntry& s = vt::sensitive_entry(e.sensitive);
      field(out, "id", std::string(s.key));
      field(out, "mnemonic", std::string(s.mnemonic));
      field(out, "ring", uint64_t(e.before.cpl));
      field(out, "trapped", e.trapped);
      field(out, "detail", e.detail);
      break;
    }
    default:
      break;
  }
  if (e.reason && *e.reason) field(out, "reason", std::string(e.reason));
  out += '}';
  return out;
}

TraceJsonl::TraceJsonl(std::ostream& out, const TraceHeader& header) : out_(out) {
  out_ << header_line(header) << '\n';
}

void TraceJsonl::on_event(const cpu::Event& e) {
  out_ << event_line(e) << '\n';
  ++events_;
}

}  // namespace debugger
