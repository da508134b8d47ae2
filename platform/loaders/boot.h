// platform/loaders/boot.h — a raw floppy or disk image started like a PC BIOS starts one.
//
// The first 512-byte sector goes to 0x7C00, and because there are no BIOS disk services,
// the sectors after it are preloaded contiguously from 0x7E00 up to the 640 KiB line
// (0xA0000), or up to the EBDA at 0x9FC00 when the machine placed one for the MP tables
// (MachineConfig::firmware_setup, platform/mp_table.h: a BIOS keeps its EBDA), so a program larger than one sector needs no INT 13h (a program that does
// call INT 13h gets whatever the IVT holds, so it must check whether its sectors are
// already there). The CPU starts from RESET with CS:IP = 0000:7C00, SS:SP = 0000:7C00 and
// DL = the BIOS drive number: 0x00 (first floppy) for an image of at most 2.88 MB
// (2949120 bytes, the largest standard floppy), else 0x80 (first hard disk). A missing
// 0x55 0xAA signature at offset 510 is noted but not refused.
#pragma once

#include <cstdint>

#include "platform/loaders/image.h"

namespace platform {

class Machine;

constexpr uint64_t kBootSectorAddress = 0x7C00;
constexpr uint64_t kBootPreloadAddress = 0x7E00;
constexpr uint64_t kBootPreloadEnd = 0xA0000;
constexpr uint64_t kLargestFloppy = 2949120;
// The most of an image that can be placed: read_image(path, kBootImageMaxBytes) suffices.
constexpr uint64_t kBootImageMaxBytes = 512 + (kBootPreloadEnd - kBootPreloadAddress);

uint8_t boot_drive_for_size(uint64_t image_size);
// Where the preload stops: kEbdaBase with firmware_setup, else kBootPreloadEnd.
uint64_t boot_preload_end(const Machine& m);

LoadReport load_boot_image(Machine& m, const Image& img);

}  // namespace platform
