// debugger/trace_jsonl.h — the event trace as JSON Lines (ARCHITECTURE.md "Events",
// "Files on disk": *.jsonl).
//
// Line 1 is a versioned header:
//   {"format":"ringside-trace","version":2,"machine":{"ram_bytes":33554432,"post_port":128,
//    "cpu_mhz":1000,"cpu_model":"haswell","virtualizable":false},"image":{"name":"kernel.elf","loader":"multiboot",
//    "fnv1a":"0x...","size":1234}}
// then one event per line, fields in a fixed order:
//   {"kind":"exception","cycle":812,"instret":301,
//    "before":{"mode":"protected","cpl":3,"vmx":0},"after":{...},
//    "cs":27,"ip":4198410,"vector":14,"error_code":6,"cr2":3221225472}
// Names are cpu::event_kind_name / mode_name / interrupt_source_name (snake_case).
// Kind-specific fields: exception vector, error_code (when the exception has one), cr2
// (#PF); interrupt vector, source; port_io port, size, write, value, claimed; post_code
// port, size, value; sensitive_instruction id and mnemonic (vt/sensitive.h catalog key
// and mnemonic), ring (the CPL it ran at), trapped, detail; any kind: reason when
// non-empty.
// Version 2 added the header's machine.virtualizable and the sensitive_instruction fields. Numbers are decimal integers.
// A post_code event comes just before the port_io event of the same OUT (the device sees
// the write before the CPU reports it).
// Nothing in a trace depends on the host (no times, no pointers, no host paths: the image
// is named by its base name), so two runs of the same guest give identical files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "cpu/observer.h"
#include "platform/machine.h"

namespace debugger {

constexpr int kTraceVersion = 2;

struct TraceHeader {
  uint64_t ram_bytes = 0;
  uint16_t post_port = 0;
  uint32_t cpu_mhz = 0;
  std::string cpu_model;
  bool virtualizable = false;  // MachineConfig::virtualizable (Popek–Goldberg)
  std::string image;   // base name of the image file
  std::string loader;  // "multiboot", "elf32", "boot image", "bios", "flat binary", ...
  uint64_t image_fnv1a = 0;
  uint64_t image_size = 0;

  static TraceHeader from(const platform::MachineConfig& cfg);
};

// Event lines are formatted into a buffer of kBufferBytes with no allocation per event and
// reach the stream one buffer at a time: call flush() (or destroy the writer) before
// flushing or reading the stream.
class TraceJsonl final : public cpu::Observer {
 public:
  // Writes the header line at once.
  TraceJsonl(std::ostream& out, const TraceHeader& header);
  ~TraceJsonl() override;
  TraceJsonl(const TraceJsonl&) = delete;
  TraceJsonl& operator=(const TraceJsonl&) = delete;
  void on_event(const cpu::Event& e) override;
  // Writes the buffered lines to the stream (does not flush the stream itself).
  void flush();
  uint64_t events_written() const { return events_; }

  static std::string header_line(const TraceHeader& h);  // without the newline
  static std::string event_line(const cpu::Event& e);    // without the newline

  static constexpr size_t kBufferBytes = size_t(1) << 18;

 private:
  std::ostream& out_;
  std::unique_ptr<char[]> buf_;
  size_t len_ = 0;
  uint64_t events_ = 0;
};

// A JSON string literal (quotes included) with ", \ and control characters escaped.
std::string json_string(const std::string& s);

}  // namespace debugger
