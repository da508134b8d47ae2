// Paging (SDM Vol.3 ch.4): PAE with 2 MiB pages and reserved bits, U/S and R/W at every
// level, accessed/dirty bits, CR0.WP, INVLPG of a large page, page-crossing accesses, and
// the exception classes of SDM Vol.3 Table 6-5 for faults during delivery.
#include "tests/unit/cpu_sys_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

constexpr uint32_t kPdpt = 0x12000, kPaePd = 0x13000, kPaePt = 0x14000;
constexpr uint32_t kPt2 = 0x15000;  // a second 32-bit page table, for linear 4 MiB..8 MiB
constexpr uint32_t kHigh = 0x400000;

class Paging : public SysTest {
 protected:
  uint64_t qword(uint32_t a) const { return uint64_t(bus.dword(a)) | (uint64_t(bus.dword(a + 4)) << 32); }
  void set_q(uint32_t a, uint64_t v) {
    bus.set_dword(a, uint32_t(v));
    bus.set_dword(a + 4, uint32_t(v >> 32));
  }
  // PAE: identity-map the first 2 MiB with 4 KiB pages (user, writable) and enable paging.
  void setup_pae() {
    set_q(kPdpt, kPaePd | 1);
    set_q(kPaePd, kPaePt | 7);
    for (uint32_t p = 0; p < 512; ++p) set_q(kPaePt + p * 8, (uint64_t(p) << 12) | 7);
    cpu.write_cr4(cr4::PAE);
    cpu.write_cr3(kPdpt);
    cpu.write_cr0(st().cr0 | cr0::PG);
  }
  // 32-bit paging, plus linear kHigh (PDE 1) mapped through kPt2 to physical 0x9000 with
  // the given PDE and PTE flags.
  void setup_high(uint32_t pde_flags, uint32_t pte_flags) {
    setup_paging();
    bus.set_dword(kPd + 4, kPt2 | pde_flags);
    bus.set_dword(kPt2, 0x9000 | pte_flags);
  }
  // An IDT at `base` with HLT handlers for vectors 0-31.
  void move_idt(uint32_t base) {
    for (unsigned v = 0; v < 32; ++v) {
      const uint32_t off = handler(v);
      bus.set_dword(base + v * 8, (off & 0xFFFF) | (0x08u << 16));
      bus.set_dword(base + v * 8 + 4, (off & 0xFFFF0000) | 0x8E00);
    }
    cpu.state().idtr = {base, 32 * 8 - 1};
  }
};

// ---------------------------------------------------------------------------------------
// PAE

TEST_F(Paging, Pae2MiBPageTranslatesAndSetsAccessedDirty) {
  setup_pm();
  setup_pae();
  set_q(kPaePd + 8, 0x600000 | 0x87);  // linear 2 MiB -> physical 6 MiB, PS U W P
  bus.set_dword(0x600000 + 0x12344, 0xFEEDF00D);
  code({0xA1, 0x44, 0x23, 0x21, 0x00,    // mov eax, [0x212344]
        0xA3, 0x00, 0x00, 0x3F, 0x00});  // mov [0x3F0000], eax
  run(1);
  EXPECT_EQ(eax(), 0xFEEDF00Du);
  EXPECT_TRUE(qword(kPaePd + 8) & 0x20);
  EXPECT_FALSE(qword(kPaePd + 8) & 0x40);
  run(1);
  EXPECT_EQ(bus.dword(0x600000 + 0x1F0000), 0xFEEDF00Du);
  EXPECT_TRUE(qword(kPaePd + 8) & 0x40);  // D is set in the PDE that maps the page
}

TEST_F(Paging, PaeReservedBitInLargePdeIsRsvdPageFault) {
  setup_pm();
  setup_pae();
  set_q(kPaePd + 8, 0x600000 | 0x87 | (1u << 13));  // bits 20:13 are reserved in a 2 MiB PDE
  EXPECT_EQ(fault_of({0xA1, 0x00, 0x00, 0x20, 0x00}), PF);
  EXPECT_EQ(error_code(), 0x9u);  // P | RSVD
  EXPECT_EQ(st().cr2, 0x200000u);
}

TEST_F(Paging, PaeReservedBitsAboveMaxPhyAddrAndXdWithoutNxe) {
  setup_pm();
  setup_pae();
  set_q(kPaePt + 9 * 8, 0x9000 | 7 | (1ull << 45));  // above MAXPHYADDR (39)
  EXPECT_EQ(fault_of({0xA3, 0x00, 0x90, 0x00, 0x00}), PF);
  EXPECT_EQ(error_code(), 0xBu);  // P | W | RSVD
  EXPECT_EQ(st().cr2, 0x9000u);
  setup_pm();
  setup_pae();
  set_q(kPaePt + 9 * 8, 0x9000 | 7 | (1ull << 63));  // XD with EFER.NXE = 0
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(fault_of({0xA1, 0x00, 0x90, 0x00, 0x00}), PF);
  EXPECT_EQ(error_code(), 0xDu);  // P | U | RSVD
}

TEST_F(Paging, PaeNotPresentPdeIsPageFaultWithoutRsvd) {
  setup_pm();
  setup_pae();
  set_q(kPaePd + 8, 0xFFFFFFFFFFFFFFFEull);  // not present: the other bits are ignored
  EXPECT_EQ(fault_of({0xA1, 0x00, 0x00, 0x20, 0x00}), PF);
  EXPECT_EQ(error_code(), 0u);
}

// ---------------------------------------------------------------------------------------
// U/S and R/W at every level (32-bit paging, two levels)

TEST_F(Paging, UserAccessNeedsUsInPdeAndPte) {
  struct Case {
    uint32_t pde, pte;
    int vector;
  } cases[] = {{0x7, 0x7, -1}, {0x3, 0x7, PF}, {0x7, 0x3, PF}, {0x3, 0x3, PF}};
  for (const Case& k : cases) {
    setup_pm();
    setup_high(k.pde, k.pte);
    bus.set_dword(0x9000, 0x600DF00D);
    enter_ring3(kCode, kStack3);
    code({0xA1, 0x00, 0x00, 0x40, 0x00, 0xF4});  // mov eax, [kHigh]; hlt (#GP at ring 3)
    go();
    if (k.vector < 0) {
      EXPECT_EQ(eax(), 0x600DF00Du);
      continue;
    }
    EXPECT_EQ(vector_taken(), PF) << k.pde << " " << k.pte;
    EXPECT_EQ(error_code(), 0x5u);  // P | U
    EXPECT_EQ(st().cr2, kHigh);
  }
}

TEST_F(Paging, UserWriteNeedsRwInPdeAndPte) {
  for (auto [pde, pte] : {std::pair{0x5u, 0x7u}, std::pair{0x7u, 0x5u}}) {
    setup_pm();
    setup_high(pde, pte);
    enter_ring3(kCode, kStack3);
    EXPECT_EQ(fault_of({0xA3, 0x00, 0x00, 0x40, 0x00}), PF) << pde << " " << pte;
    EXPECT_EQ(error_code(), 0x7u);  // P | W | U
  }
}

TEST_F(Paging, SupervisorWriteToReadOnlyPdeDependsOnWp) {
  setup_pm();
  setup_high(0x5, 0x7);  // read-only at the PDE level only
  set(RAX, 0x1234);
  code({0xA3, 0x00, 0x00, 0x40, 0x00});  // mov [kHigh], eax
  run(1);
  EXPECT_EQ(bus.dword(0x9000), 0x1234u);  // CR0.WP = 0: allowed
  EXPECT_TRUE(bus.dword(kPt2) & 0x40);    // and the page is dirty
  setup_pm();
  setup_high(0x5, 0x7);
  cpu.write_cr0(st().cr0 | cr0::WP);
  EXPECT_EQ(fault_of({0xA3, 0x00, 0x00, 0x40, 0x00}), PF);
  EXPECT_EQ(error_code(), 0x3u);  // P | W
}

// ---------------------------------------------------------------------------------------
// Accessed and dirty bits

TEST_F(Paging, AccessedAndDirtyInTwoLevelWalk) {
  setup_pm();
  setup_high(0x7, 0x7);
  code({0xA1, 0x00, 0x00, 0x40, 0x00, 0xA3, 0x00, 0x00, 0x40, 0x00});
  run(1);
  EXPECT_EQ(bus.dword(kPd + 4) & 0x60, 0x20u);  // PDE: A, not D
  EXPECT_EQ(bus.dword(kPt2) & 0x60, 0x20u);     // PTE: A, not D
  run(1);  // the write hits a TLB entry filled by a read of a clean page: walks again
  EXPECT_EQ(bus.dword(kPt2) & 0x60, 0x60u);     // PTE: A and D
  EXPECT_EQ(bus.dword(kPd + 4) & 0x40, 0u);     // no D in a PDE that references a table
}

TEST_F(Paging, FirstAccessAWriteSetsAAndD) {
  setup_pm();
  setup_high(0x7, 0x7);
  code({0xA3, 0x00, 0x00, 0x40, 0x00});  // mov [kHigh], eax
  run(1);
  EXPECT_EQ(bus.dword(kPt2) & 0x60, 0x60u);
  EXPECT_EQ(bus.dword(kPd + 4) & 0x20, 0x20u);
}

// ---------------------------------------------------------------------------------------
// INVLPG of a large page

TEST_F(Paging, InvlpgOfA4MiBPageFlushesAllOfIt) {
  setup_pm();
  setup_paging();
  cpu.write_cr4(cr4::PSE);
  bus.set_dword(kPd + 4, 0x800000 | 0x83);
  bus.set_dword(0x801000, 0x11111111);
  bus.set_dword(0xC01000, 0x22222222);
  // mov eax, [0x401000]; invlpg [0x400000]; mov eax, [0x401000]
  code({0xA1, 0x00, 0x10, 0x40, 0x00, 0x0F, 0x01, 0x3D, 0x00, 0x00, 0x40, 0x00, 0xA1, 0x00,
        0x10, 0x40, 0x00});
  run(1);
  EXPECT_EQ(eax(), 0x11111111u);
  bus.set_dword(kPd + 4, 0xC00000 | 0x83);
  run(2);
  EXPECT_EQ(eax(), 0x22222222u);  // one INVLPG anywhere in the page drops all of it
}

// ---------------------------------------------------------------------------------------
// Accesses that cross a page boundary

TEST_F(Paging, PageCrossingWriteFaultsOnSecondPageAndWritesNothing) {
  setup_pm();
  setup_paging();
  set_pte(0xA000, 0);  // the second page is not present
  bus.set_dword(0x9FFC, 0x55555555);
  set(RAX, 0xAABBCCDD);
  EXPECT_EQ(fault_of({0xA3, 0xFE, 0x9F, 0x00, 0x00}), PF);  // mov [0x9FFE], eax
  EXPECT_EQ(st().cr2, 0xA000u);
  EXPECT_EQ(error_code(), 0x2u);
  EXPECT_EQ(bus.dword(0x9FFC), 0x55555555u);  // no byte of the first page written
}

TEST_F(Paging, PageCrossingWriteToReadOnlySecondPageAtRing3) {
  setup_pm();
  setup_paging();
  set_pte(0xA000, 0xA000 | 0x5);
  bus.set_dword(0x9FFC, 0x55555555);
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(fault_of({0xA3, 0xFE, 0x9F, 0x00, 0x00}), PF);
  EXPECT_EQ(st().cr2, 0xA000u);
  EXPECT_EQ(error_code(), 0x7u);
  EXPECT_EQ(bus.dword(0x9FFC), 0x55555555u);
}

TEST_F(Paging, PageCrossingReadFaultsOnSecondPage) {
  setup_pm();
  setup_paging();
  set_pte(0xA000, 0);
  set(RAX, 0x12345678);
  EXPECT_EQ(fault_of({0xA1, 0xFE, 0x9F, 0x00, 0x00}), PF);
  EXPECT_EQ(st().cr2, 0xA000u);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(eax(), 0x12345678u);
}

TEST_F(Paging, PageCrossingRmwFaultsOnSecondPageAndWritesNothing) {
  setup_pm();
  setup_paging();
  set_pte(0xA000, 0xA000 | 0x5);  // read-only second page
  cpu.write_cr0(st().cr0 | cr0::WP);
  bus.set_dword(0x9FFC, 0x55555555);
  EXPECT_EQ(fault_of({0xFF, 0x05, 0xFE, 0x9F, 0x00, 0x00}), PF);  // inc dword [0x9FFE]
  EXPECT_EQ(st().cr2, 0xA000u);
  EXPECT_EQ(error_code(), 0x3u);
  EXPECT_EQ(bus.dword(0x9FFC), 0x55555555u);
}

// ---------------------------------------------------------------------------------------
// Faults during delivery (SDM Vol.3 6.15 "Interrupt 8", Table 6-5)

TEST_F(Paging, PageFaultWhileDeliveringPageFaultIsDoubleFault) {
  setup_pm();
  setup_paging();
  // IDT placed so that gate 14 is the first entry of page 0x9000 (not present) while
  // gate 8 stays on the present page below.
  move_idt(0x9000 - 14 * 8);
  set_pte(0x9000, 0);
  set_pte(0xA000, 0);
  EXPECT_EQ(fault_of({0xA1, 0x00, 0xA0, 0x00, 0x00}), DF);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(st().cr2, 0x9000u);  // the second #PF: reading the gate
  EXPECT_EQ(stack_dword(1), kCode);
}

TEST_F(Paging, GpWhileDeliveringPageFaultIsDoubleFault) {
  setup_pm();
  setup_paging();
  set_pte(0xA000, 0);
  cpu.state().idtr.limit = 14 * 8 - 1;  // gate 14 lies beyond the IDT limit
  EXPECT_EQ(fault_of({0xA1, 0x00, 0xA0, 0x00, 0x00}), DF);
  EXPECT_EQ(error_code(), 0u);
}

TEST_F(Paging, ContributoryWhileDeliveringBenignIsSerial) {
  // #UD (benign) whose gate is not present: the #NP is delivered, not #DF.
  setup_pm();
  bus.byte(kIdt + UD * 8 + 5) &= 0x7F;
  EXPECT_EQ(fault_of({0x0F, 0x0B}), NP);
  EXPECT_EQ(error_code(), UD * 8u + 2 + 1);  // IDT | EXT
  EXPECT_EQ(stack_dword(1), kCode);
  // #UD whose gate has an invalid type: #GP, serially.
  setup_pm();
  bus.byte(kIdt + UD * 8 + 5) = 0x81;  // present, type 1 (a 16-bit TSS: not a gate)
  EXPECT_EQ(fault_of({0x0F, 0x0B}), GP);
  EXPECT_EQ(error_code(), UD * 8u + 2 + 1);
}

// ---------------------------------------------------------------------------------------
// 4 MiB pages (PSE-36)

TEST_F(Paging, Pse4MiBPdeBitsAboveMaxPhyAddrAreReserved) {
  // SDM Vol.3 4.3, Table 4-4 and Figure 4-4: in a PDE mapping a 4 MiB page, bits 20:13 hold
  // physical-address bits (M-1):32 and the rest of 21:13 is reserved. With MAXPHYADDR 39,
  // bits 21:20 are reserved.
  for (uint32_t bit : {20u, 21u}) {
    setup_pm();
    setup_paging();
    cpu.write_cr4(cr4::PSE);
    bus.set_dword(kPd + 4, 0x800000 | 0x83 | (1u << bit));
    EXPECT_EQ(fault_of({0xA1, 0x10, 0x00, 0x40, 0x00}), PF) << bit;
    EXPECT_EQ(error_code(), 0x9u) << bit;  // P | RSVD
    EXPECT_EQ(st().cr2, 0x400010u);
  }
}

}  // namespace
