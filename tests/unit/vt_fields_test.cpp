// VMCS field encodings against Intel SDM Vol.3 Appendix B (Tables B-1 .. B-14) and the
// encoding format of SDM Vol.3 24.11.2 (Table 24-21).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "vt/capabilities.h"
#include "vt/vmcs_fields.h"

namespace {

using vt::FieldType;
using vt::FieldWidth;

struct Expect {
  const char* name;
  uint32_t encoding;
};

// A sample of every group, with the encodings printed in Appendix B.
constexpr Expect kAppendixB[] = {
    {"virtual_processor_identifier", 0x0000},         // B.1.1
    {"guest_es_selector", 0x0800},                    // B.1.2
    {"guest_tr_selector", 0x080E},
    {"host_tr_selector", 0x0C0C},                     // B.1.3
    {"io_bitmap_a_address", 0x2000},                  // B.2.1
    {"tsc_offset", 0x2010},
    {"ept_pointer", 0x201A},
    {"vmwrite_bitmap_address", 0x2028},
    {"guest_physical_address", 0x2400},               // B.2.2
    {"vmcs_link_pointer", 0x2800},                    // B.2.3
    {"guest_ia32_efer", 0x2806},
    {"guest_pdpte3", 0x2810},
    {"host_ia32_perf_global_ctrl", 0x2C04},           // B.2.4
    {"pin_based_vm_execution_controls", 0x4000},      // B.3.1
    {"primary_processor_based_vm_execution_controls", 0x4002},
    {"vm_exit_controls", 0x400C},
    {"vm_entry_controls", 0x4012},
    {"secondary_processor_based_vm_execution_controls", 0x401E},
    {"vm_instruction_error", 0x4400},                 // B.3.2
    {"exit_reason", 0x4402},
    {"vm_exit_instruction_information", 0x440E},
    {"guest_es_limit", 0x4800},                       // B.3.3
    {"guest_tr_access_rights", 0x4822},
    {"guest_interruptibility_state", 0x4824},
    {"guest_ia32_sysenter_cs", 0x482A},
    {"vmx_preemption_timer_value", 0x482E},
    {"host_ia32_sysenter_cs", 0x4C00},                // B.3.4
    {"cr0_guest_host_mask", 0x6000},                  // B.4.1
    {"cr3_target_value_3", 0x600E},
    {"exit_qualification", 0x6400},                   // B.4.2
    {"guest_linear_address", 0x640A},
    {"guest_cr0", 0x6800},                            // B.4.3
    {"guest_rip", 0x681E},
    {"guest_rflags", 0x6820},
    {"guest_ia32_sysenter_eip", 0x6826},
    {"host_cr0", 0x6C00},                             // B.4.4
    {"host_rsp", 0x6C14},
    {"host_rip", 0x6C16},
};

TEST(VtFields, AppendixBEncodingsByNameAndByEncoding) {
  for (const Expect& e : kAppendixB) {
    const vt::FieldInfo* byname = vt::find_field(std::string_view(e.name));
    ASSERT_NE(byname, nullptr) << e.name;
    EXPECT_EQ(byname->encoding, e.encoding) << e.name;
    const vt::FieldInfo* byenc = vt::find_field(uint64_t(e.encoding));
    ASSERT_NE(byenc, nullptr) << e.name;
    EXPECT_STREQ(byenc->name, e.name);
  }
}

TEST(VtFields, TableCountsPerGroupMatchAppendixB) {
  // Haswell-class field set: B.1.1 3, B.1.2 10, B.1.3 7, B.2.1 24, B.2.2 1, B.2.3 9, B.2.4 3,
  // B.3.1 18, B.3.2 8, B.3.3 23, B.3.4 1, B.4.1 8, B.4.2 6, B.4.3 20, B.4.4 12.
  std::map<std::pair<FieldWidth, FieldType>, int> n;
  std::set<uint32_t> seen;
  std::set<std::string> names;
  for (const vt::FieldInfo& f : vt::vmcs_fields()) {
    ++n[{f.width, f.type}];
    EXPECT_TRUE(seen.insert(f.encoding).second) << f.name;
    EXPECT_TRUE(names.insert(f.name).second) << f.name;
  }
  EXPECT_EQ((n[{FieldWidth::Bits16, FieldType::Control}]), 3);
  EXPECT_EQ((n[{FieldWidth::Bits16, FieldType::Guest}]), 10);
  EXPECT_EQ((n[{FieldWidth::Bits16, FieldType::Host}]), 7);
  EXPECT_EQ((n[{FieldWidth::Bits64, FieldType::Control}]), 24);
  EXPECT_EQ((n[{FieldWidth::Bits64, FieldType::ExitInfo}]), 1);
  EXPECT_EQ((n[{FieldWidth::Bits64, FieldType::Guest}]), 9);
  EXPECT_EQ((n[{FieldWidth::Bits64, FieldType::Host}]), 3);
  EXPECT_EQ((n[{FieldWidth::Bits32, FieldType::Control}]), 18);
  EXPECT_EQ((n[{FieldWidth::Bits32, FieldType::ExitInfo}]), 8);
  EXPECT_EQ((n[{FieldWidth::Bits32, FieldType::Guest}]), 23);
  EXPECT_EQ((n[{FieldWidth::Bits32, FieldType::Host}]), 1);
  EXPECT_EQ((n[{FieldWidth::Natural, FieldType::Control}]), 8);
  EXPECT_EQ((n[{FieldWidth::Natural, FieldType::ExitInfo}]), 6);
  EXPECT_EQ((n[{FieldWidth::Natural, FieldType::Guest}]), 20);
  EXPECT_EQ((n[{FieldWidth::Natural, FieldType::Host}]), 12);
}

TEST(VtFields, DecoderTakesEncodingsApart) {
  // SDM Table 24-21: guest RIP 0x681E = natural width (3), guest state (2), index 15, full.
  const vt::Encoding rip = vt::decode_encoding(0x681E);
  EXPECT_FALSE(rip.high);
  EXPECT_EQ(rip.index, 15u);
  EXPECT_EQ(rip.type, FieldType::Guest);
  EXPECT_EQ(rip.width, FieldWidth::Natural);
  EXPECT_TRUE(rip.reserved_clear);
  // TSC offset high: 0x2011 = 64-bit control, index 8, high access.
  const vt::Encoding tsch = vt::decode_encoding(0x2011);
  EXPECT_TRUE(tsch.high);
  EXPECT_EQ(tsch.index, 8u);
  EXPECT_EQ(tsch.type, FieldType::Control);
  EXPECT_EQ(tsch.width, FieldWidth::Bits64);
  // Bit 12 and bits 31:15 are reserved (mask 0xFFFF9000).
  EXPECT_FALSE(vt::decode_encoding(0x1000).reserved_clear);
  EXPECT_FALSE(vt::decode_encoding(0x8000).reserved_clear);
  EXPECT_FALSE(vt::decode_encoding(0x100006800ull).reserved_clear);
}

TEST(VtFields, HighAccessOnlyForSixtyFourBitFields) {
  const vt::FieldInfo* f = vt::find_field(uint64_t(0x2011));  // TSC offset (high)
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->encoding, 0x2010u);
  EXPECT_EQ(vt::find_field(uint64_t(0x4001)), nullptr);  // 32-bit field, high access
  EXPECT_EQ(vt::find_field(uint64_t(0x6801)), nullptr);  // natural width, high access
  EXPECT_EQ(vt::find_field(uint64_t(0x0001)), nullptr);  // 16-bit, high access
  EXPECT_EQ(vt::find_field(uint64_t(0x4800 | 0x1000)), nullptr);  // reserved bit 12
  EXPECT_EQ(vt::find_field(uint64_t(0x2030)), nullptr);  // 64-bit control index 0x18: none
  EXPECT_EQ(vt::find_field(std::string_view("no_such_field")), nullptr);
}

TEST(VtFields, ReadOnlyFieldsAreTheExitInformationGroup) {
  for (const vt::FieldInfo& f : vt::vmcs_fields())
    EXPECT_EQ(f.read_only(), f.type == FieldType::ExitInfo) << f.name;
  EXPECT_TRUE(vt::find_field(uint64_t(0x4400))->read_only());
  EXPECT_FALSE(vt::find_field(uint64_t(0x681E))->read_only());
}

TEST(VtFields, EveryFieldHasItsOwnSlot) {
  const auto fields = vt::vmcs_fields();
  for (size_t k = 0; k < fields.size(); ++k) {
    EXPECT_EQ(vt::field_slot(fields[k].encoding), std::optional<size_t>(k)) << fields[k].name;
    EXPECT_EQ(vt::field_slot(fields[k].encoding | 1), std::nullopt) << fields[k].name;
  }
  EXPECT_EQ(vt::field_slot(0x6830), std::nullopt);  // natural-width guest index 0x18: none
}

TEST(VtFields, LayoutFitsTheVmcsRegion) {
  // vt/vmx.h: data slots of 8 bytes from offset 0x10; the region is 4 KiB (IA32_VMX_BASIC).
  EXPECT_LE(0x10 + 8 * vt::vmcs_fields().size(), 4096u);
}

}  // namespace
