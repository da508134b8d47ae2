#!/usr/bin/env python3
"""tests/fuzz/make_seeds.py — writes the seed corpora in tests/fuzz/corpus/<target>/.

The seeds are committed; run this only to change them (it needs GNU as and objcopy, which
scripts/setup.sh installs). Each seed is small and meaningful: a few instructions that
reach one area (exceptions, paging, gates, string instructions...) or a minimal image each
loader accepts, from which libFuzzer's mutations start.

    tests/fuzz/make_seeds.py        # rewrites the generated seeds; other files are kept
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def asm(source, bits):
    """Assembles AT&T source at address 0 into flat bytes."""
    with tempfile.TemporaryDirectory() as d:
        s, o, b = (os.path.join(d, n) for n in ("a.S", "a.o", "a.bin"))
        with open(s, "w") as f:
            f.write(".code%d\n%s\n" % (bits, source))
        subprocess.run(["as", "--32", "-o", o, s], check=True)
        subprocess.run(["objcopy", "-O", "binary", "-j", ".text", o, b], check=True)
        with open(b, "rb") as f:
            return f.read()


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- CPU targets: the input layout of cpu_harness.h --------------------------------------
OPT_OBSERVE, OPT_INTR, OPT_NMI, OPT_FUZZED_SP = 1, 2, 4, 8
OPT_RING3, OPT_PAGING_4K, OPT_PAGING_4M, OPT_PAGING_PAE, OPT_CODE16 = 16, 32, 64, 96, 128


def cpu_input(code, regs=(0,) * 8, eflags=0, options=0, intr_vector=0x20, stride=0,
              cr0=0, cr4=0, dpl3=0, trap=0, extra=b"", pte=b""):
    h = struct.pack("<8I", *regs) + struct.pack("<I", eflags)
    h += bytes([options, intr_vector]) + struct.pack("<HII", stride, cr0, cr4)
    h += struct.pack("<QQ", dpl3, trap)
    h += extra.ljust(64, b"\0") + pte.ljust(64, b"\0")
    assert len(h) == 192
    return h + code


def gdt_entry(base, limit, access, flags):
    return struct.pack("<Q", (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | access << 40 |
                       ((limit >> 16) & 0xF) << 48 | (flags & 0xF) << 52 | (base >> 24) << 56)


def gate_entry(sel, offset, access, params=0):
    """A call gate (access 0xEC: present, DPL 3, 32-bit call gate)."""
    return struct.pack("<HHBBH", offset & 0xFFFF, sel, params, access, offset >> 16)


def protected_seeds():
    t = "fuzz_cpu_protected"
    # Arithmetic, memory and a loop, then HLT (handlers: vector v at code + v * 0).
    write(t, "alu_loop", cpu_input(asm("""
        mov $0x20000, %esi
        mov $20, %ecx
    1:  mov (%esi), %eax
        add %eax, %ebx
        adc $7, %edx
        imul %ebx, %edx
        xor %edx, 4(%esi)
        inc %esi
        loop 1b
        bswap %eax
        bsf %ebx, %ecx
        shld $3, %ebx, %eax
        hlt""", 32), regs=(1, 2, 3, 4, 0, 6, 7, 8)))
    # Faults land in the code at v * 16: #DE, #UD, INT3, INT n, #GP from a null selector.
    write(t, "exceptions", cpu_input(asm("""
        xor %ecx, %ecx
        div %ecx
        .align 16
        ud2
        .align 16
        int3
        .align 16
        int $0x80
        .align 16
        mov $0x18, %ax
        mov %ax, %ss
        .align 16
        xor %eax, %eax
        mov %eax, %ds
        mov (%eax), %eax
        iret""", 32), regs=(5, 0, 7, 0, 0, 0, 0, 0), stride=16, trap=0xAAAA))
    # Ring 3: INT 0x80 through a DPL 3 gate, I/O denied by the bitmap, CLI at IOPL 0,
    # a far call through a call gate (GDT entry 8, selector 0x40) to ring 0.
    write(t, "ring3_gates", cpu_input(asm("""
        int $0x80
        in $0x60, %al
        cli
        lcall $0x43, $0
        mov %cr0, %eax
        hlt
        .align 16
        iret""", 32), options=OPT_RING3 | OPT_OBSERVE, stride=32, dpl3=1 << (0x80 % 64),
        extra=gate_entry(0x08, 0x10000 + 48, 0xEC, 2)))
    # Paging with 4 KiB pages: #PF on a page the input marks not present, INVLPG, CR3 reload.
    write(t, "paging_pf", cpu_input(asm("""
        mov $0x3000, %ebx
        mov (%ebx), %eax
        movl $0, 0x5000 + 0x20 * 4
        invlpg 0x20000
        mov 0x20000, %eax
        mov %cr3, %eax
        mov %eax, %cr3
        hlt""", 32), options=OPT_PAGING_4K, stride=0,
        pte=bytes([0, 0, 0, 0x01] + [0] * 12 + [0x02, 0x04])))
    write(t, "paging_pse_pae", cpu_input(asm("""
        mov %cr4, %eax
        movl $0xFFFFFFFF, 0x1FFFF0
        mov 0x200000, %eax
        mov %cr2, %ecx
        hlt""", 32), options=OPT_PAGING_PAE | OPT_RING3, cr0=1 << 16, pte=b"\x04" * 8))
    write(t, "paging_4m_user", cpu_input(asm("""
        mov 0x400000, %eax
        movl $1, (%esp)
        hlt""", 32), options=OPT_PAGING_4M | OPT_RING3, pte=b"\x02"))
    # String instructions with REP, direction flag, and a segment override.
    write(t, "strings", cpu_input(asm("""
        mov $0x20000, %esi
        mov $0x30000, %edi
        mov $300, %ecx
        rep movsl
        std
        mov $17, %ecx
        rep stosb
        cld
        mov $0x20000, %edi
        mov $64, %ecx
        repne scasb
        fs lodsw
        cmpsb
        hlt""", 32), regs=(0x41, 0, 0, 0, 0, 0, 0, 0)))
    # 16-bit code segment (CS.D = 0): operand and address size prefixes flip.
    write(t, "code16", cpu_input(asm("""
        mov $0x1234, %ax
        mov $0x12345678, %ebx
        add %bx, %ax
        mov (%bx,%si), %cx
        push %ax
        pushl $5
        lret""", 16), options=OPT_CODE16))
    # SYSENTER/SYSEXIT with the MSRs set up, CPUID, RDTSC, RDMSR of an unknown MSR.
    write(t, "sysenter_msr", cpu_input(asm("""
        mov $0x174, %ecx
        mov $0x08, %eax
        xor %edx, %edx
        wrmsr
        inc %ecx
        mov $0x8000, %eax
        wrmsr
        inc %ecx
        mov $0x10040, %eax
        wrmsr
        cpuid
        rdtsc
        sysenter
        .org 0x40
        mov $0x9000, %ecx
        mov $0x10060, %edx
        sysexit
        .org 0x60
        mov $0x12345, %ecx
        rdmsr
        hlt""", 32)))
    # An external interrupt and an NMI arriving halfway, with IF set and HLT waiting.
    write(t, "interrupts", cpu_input(asm("""
        sti
        hlt
        jmp .-1
        .align 16
        iret""", 32), eflags=0x200, options=OPT_INTR | OPT_NMI | OPT_OBSERVE, intr_vector=0x21,
        stride=16))
    # Task-register and descriptor instructions: STR, SLDT, LAR, LSL, VERR, ARPL, LGDT.
    write(t, "descriptors", cpu_input(asm("""
        str %ax
        sldt %bx
        mov $0x1B, %cx
        lar %cx, %edx
        lsl %cx, %edx
        verr %cx
        verw %cx
        arpl %cx, %bx
        sgdt 0x30000
        lgdt 0x30000
        mov $0x48, %ax
        lldt %ax
        hlt""", 32), extra=b"\0" * 8 + gdt_entry(0x500, 0x7F, 0x82, 0)))


def real_seeds():
    t = "fuzz_cpu_real"
    write(t, "alu", cpu_input(asm("""
        mov $0x1234, %ax
        mov $7, %bl
        mul %bl
        div %bl
        daa
        aam
        pusha
        popa
        xchg %ax, %dx
        movsx %al, %ecx
        hlt""", 16)))
    # INT n through the IVT into the code (vector v at v * 16), IRET back.
    write(t, "int_iret", cpu_input(asm("""
        int $0x01
        int3
        into
        hlt
        .align 16
        iret
        .org 0x30
        iret""", 16), eflags=0x800, stride=16))
    write(t, "strings", cpu_input(asm("""
        mov $0x100, %cx
        xor %si, %si
        mov $0x8000, %di
        rep movsw
        std
        rep stosb
        cld
        lodsb
        hlt""", 16)))
    # Into protected mode and back: LGDT from the data area (the input at DS:0), CR0.PE.
    code = asm("""
        lgdt 192 + gdtr
        mov %cr0, %eax
        or $1, %al
        mov %eax, %cr0
        ljmp $0x08, $pm
    pm: mov $0x10, %ax
        mov %ax, %ds
        mov %cr0, %eax
        and $0xFE, %al
        mov %eax, %cr0
        hlt
        .align 8
    gdt: .quad 0
        .quad 0x00009A010000FFFF
        .quad 0x00CF92000000FFFF
    gdtr: .word 23
        .long 0x20000 + 192 + gdt""", 16)
    write(t, "to_protected", cpu_input(code))
    write(t, "hlt_intr", cpu_input(asm("""
        sti
        hlt
        jmp .-1
        .org 0x20 * 4
        iret""", 16), options=OPT_INTR | OPT_NMI, intr_vector=0x20, stride=4))
    # Segment limit wrap-around: a word at offset 0xFFFF, and a far jump.
    write(t, "wrap", cpu_input(asm("""
        mov $0xFFFF, %bx
        mov (%bx), %ax
        movw $1, (%bx)
        ljmp $0x1000, $0x20
        .org 0x20
        hlt""", 16), extra=struct.pack("<5H", 0xFFFF, 0, 0xFFFF, 0, 0)))


def decoder_seeds():
    t = "fuzz_decoder"
    seeds = {
        "modrm_sib": bytes.fromhex("8b8c8812345678"),
        "prefixes": bytes.fromhex("f0f3662e670f1f840000000000"),
        "too_long": bytes([0x66] * 14) + bytes.fromhex("0500000000"),
        "far_ptr": bytes.fromhex("ea785634121200"),
        "enter": bytes.fromhex("c8100001"),
        "map0f": bytes.fromhex("0fc7c80fa20f01d00f38"),
        "group3": bytes.fromhex("f7f6f6c1ff"),
        "imm16": bytes.fromhex("66b83412"),
    }
    for name, data in seeds.items():
        write(t, name, data)


# ---- Loader targets ----------------------------------------------------------------------
EXIT_CODE = """
    mov $0x21, %al
    out %al, $0xE9
    mov $0x3F8, %dx
    out %al, (%dx)
    mov $0x10, %al
    out %al, $0xF4
    hlt"""


def elf32(segments, entry):
    """segments: list of (paddr, data, memsz). Header, then program headers, then data."""
    phoff, n = 52, len(segments)
    off = phoff + 32 * n
    hdr = b"\x7fELF" + bytes([1, 1, 1]) + b"\0" * 9
    hdr += struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, entry, phoff, 0, 0, 52, 32, n, 40, 0, 0)
    ph, body = b"", b""
    for paddr, data, memsz in segments:
        ph += struct.pack("<8I", 1, off + len(body), paddr, paddr, len(data), memsz, 5, 4)
        body += data
    return hdr + ph + body


def multiboot_header(flags, addr=None):
    magic = 0x1BADB002
    h = struct.pack("<III", magic, flags, (-(magic + flags)) & 0xFFFFFFFF)
    if addr:
        h += struct.pack("<5I", *addr)
    return h


def loader_seeds():
    code = asm(EXIT_CODE, 32)
    write("fuzz_loader_elf", "minimal", elf32([(0x100000, code, len(code))], 0x100000))
    write("fuzz_loader_elf", "bss_two_segments",
          elf32([(0x100000, code, 0x2000), (0x180000, b"data", 0x10)], 0x100000))
    # An ELF that enables paging and faults: loading is fine, running reaches #PF/#DF.
    pf = asm("""
        mov $0x101000, %eax
        mov %eax, %cr3
        mov %cr0, %eax
        or $0x80000000, %eax
        mov %eax, %cr0
        hlt""", 32)
    write("fuzz_loader_elf", "paging_fault", elf32([(0x100000, pf, len(pf))], 0x100000))

    # Multiboot: a.out kludge (flags bit 16) with the header at file offset 0, code at +32.
    load = 0x100000
    aout = multiboot_header(0x10003, (load, load, 0, load + 0x2000, load + 32)) + code
    write("fuzz_loader_multiboot", "aout_kludge", aout)
    # Multiboot by ELF program headers: the header inside the first segment.
    mb = multiboot_header(0x3) + code
    write("fuzz_loader_multiboot", "elf_kernel",
          elf32([(0x100000, mb, len(mb))], 0x100000 + 12))

    # Boot sector: prints through port 0xE9 and exits; a second sector preloaded at 0x7E00.
    boot = asm("""
        ljmp $0, $0x7C05
        xor %ax, %ax
        mov %ax, %ds
        mov $0x42, %al
        out %al, $0xE9
        ljmp $0, $0x7E00
        .org 510
        .byte 0x55, 0xAA""", 16)
    write("fuzz_loader_boot", "boot_sector", boot)
    write("fuzz_loader_boot", "two_sectors", boot + asm(EXIT_CODE.replace("%dx", "%dx"), 16))
    write("fuzz_loader_boot", "no_signature", asm("cli\nhlt\n.org 511\n.byte 0", 16))


# ---- fuzz_vmx_entry: options, override count, 64 overrides {u16 slot, u64 value}, code ----
def vmx_input(code, options=0, overrides=()):
    h = bytes([options, len(overrides)]) + bytes(6)
    body = b"".join(struct.pack("<HQ", slot, value) for slot, value in overrides)
    return h + body.ljust(640, b"\0") + code


def vmx_seeds():
    t = "fuzz_vmx_entry"
    # A guest that exits in every way this landing knows: CPUID, VMCALL, a VMX instruction
    # with a memory operand, HLT, INT3, #UD; the host handler resumes after each.
    guest = asm("""
        cpuid
        vmcall
        vmread %ecx, 0x10(%ebx,%esi,4)
        int3
        ud2
        hlt
        jmp .""", 32)
    write(t, "exits", vmx_input(guest, options=1))
    # 16 fields (every 7th slot of Ringside's table) set to all ones: the entry checks.
    write(t, "overrides", vmx_input(guest, overrides=[(k * 7, 0xFFFFFFFFFFFFFFFF) for k in range(16)]))
    write(t, "intr_nmi", vmx_input(asm("sti\nnop\nhlt\njmp .", 32), options=7))


def main():
    vmx_seeds()
    protected_seeds()
    real_seeds()
    decoder_seeds()
    loader_seeds()
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(CORPUS) for f in fs)
    print("corpus: %d bytes" % total, file=sys.stderr)


if __name__ == "__main__":
    main()
