// mp.c — finds the MultiProcessor Specification tables (after xv6's mp.c and mp.h):
// the floating pointer in the first KiB of the EBDA, else the last KiB of base memory,
// else the BIOS ROM at 0xF0000-0xFFFFF; then the configuration table's processors and IO
// APIC. MP spec 1.4 sections 4.1-4.3.
#include "defs.h"

struct mp {             // floating pointer (4.1)
  uchar signature[4];   // "_MP_"
  uint physaddr;        // the configuration table
  uchar length;         // 1
  uchar specrev;        // 1 or 4
  uchar checksum;       // all bytes add to 0
  uchar type;           // default configuration type
  uchar imcrp;          // bit 7: IMCR present (PIC mode)
  uchar reserved[3];
};

struct mpconf {         // configuration table header (4.2)
  uchar signature[4];   // "PCMP"
  ushort length;
  uchar version;
  uchar checksum;
  uchar product[20];
  uint oemtable;
  ushort oemlength;
  ushort entry;
  uint lapicaddr;
  ushort xlength;
  uchar xchecksum;
  uchar reserved;
};

struct mpproc {         // processor entry (4.3.1)
  uchar type;
  uchar apicid;
  uchar version;
  uchar flags;          // bit 0 enabled, bit 1 bootstrap processor
  uchar signature[4];
  uint feature;
  uchar reserved[8];
};

struct mpioapic {       // IO APIC entry (4.3.3)
  uchar type;
  uchar apicno;
  uchar version;
  uchar flags;
  uint addr;
};

#define MPPROC 0x00
#define MPBUS 0x01
#define MPIOAPIC 0x02
#define MPIOINTR 0x03
#define MPLINTR 0x04

struct cpu cpus[NCPU];
int ncpu;
uchar ioapicid;
int ismp;

static uchar sum(uchar* addr, int len) {
  int s = 0;
  for (int i = 0; i < len; i++) s += addr[i];
  return s;
}

// Looks for an MP structure in the `len` bytes at physical address `a`.
static struct mp* mpsearch1(uint a, int len) {
  uchar* addr = P2V(a);
  uchar* e = addr + len;
  for (uchar* p = addr; p < e; p += sizeof(struct mp))
    if (memcmp(p, "_MP_", 4) == 0 && sum(p, sizeof(struct mp)) == 0) return (struct mp*)p;
  return 0;
}

// The three places of MP spec 4: the EBDA's first KiB (segment in the BDA word at 0x40E),
// or the last KiB of base memory (KiB count at 0x413), then the BIOS ROM.
static struct mp* mpsearch(void) {
  uchar* bda = (uchar*)P2V(0x400);
  uint p;
  struct mp* mp;
  if ((p = ((bda[0x0F] << 8) | bda[0x0E]) << 4)) {
    if ((mp = mpsearch1(p, 1024))) return mp;
  } else {
    p = ((bda[0x14] << 8) | bda[0x13]) * 1024;
    if ((mp = mpsearch1(p - 1024, 1024))) return mp;
  }
  return mpsearch1(0xF0000, 0x10000);
}

// The configuration table, checked: signature, version 1 or 4, checksum.
static struct mpconf* mpconfig(struct mp** pmp) {
  struct mp* mp;
  if ((mp = mpsearch()) == 0 || mp->physaddr == 0) return 0;
  struct mpconf* conf = (struct mpconf*)P2V(mp->physaddr);
  if (memcmp(conf, "PCMP", 4) != 0) return 0;
  if (conf->version != 1 && conf->version != 4) return 0;
  if (sum((uchar*)conf, conf->length) != 0) return 0;
  *pmp = mp;
  return conf;
}

void mpinit(void) {
  struct mp* mp;
  struct mpconf* conf;
  if ((conf = mpconfig(&mp)) == 0) panic("Expect to run on an SMP");
  ismp = 1;
  lapic = (uint*)conf->lapicaddr;
  for (uchar *p = (uchar*)(conf + 1), *e = (uchar*)conf + conf->length; p < e;) {
    switch (*p) {
      case MPPROC: {
        struct mpproc* proc = (struct mpproc*)p;
        if (ncpu < NCPU) cpus[ncpu++].apicid = proc->apicid;
        p += sizeof(struct mpproc);
        continue;
      }
      case MPIOAPIC: {
        struct mpioapic* ioapic = (struct mpioapic*)p;
        ioapicid = ioapic->apicno;
        p += sizeof(struct mpioapic);
        continue;
      }
      case MPBUS:
      case MPIOINTR:
      case MPLINTR:
        p += 8;
        continue;
      default:
        ismp = 0;
        break;
    }
    break;
  }
  if (!ismp) panic("Didn't find a suitable machine");
  if (mp->imcrp) {
    // PIC mode: the IMCR (ports 0x22/0x23) routes the 8259A to the BSP; select the APIC.
    outb(0x22, 0x70);
    outb(0x23, inb(0x23) | 1);
  }
}
