// platform/keymap.cpp — see keymap.h. Code tables: IBM PC AT Technical Reference (set 1
// and set 2 key numbers); the set 2 column is the inverse of the 8042's translation.
#include "platform/keymap.h"

#include <array>

namespace platform {

namespace {

// Set 1 make code -> set 2 make code, for 0x00-0x58 (0 = none).
constexpr std::array<uint8_t, 0x59> kSet1ToSet2 = {
    0x00, 0x76, 0x16, 0x1E, 0x26, 0x25, 0x2E, 0x36,  // 00-07: -, Esc, 1-6
    0x3D, 0x3E, 0x46, 0x45, 0x4E, 0x55, 0x66, 0x0D,  // 08-0F: 7-0, -, =, Bksp, Tab
    0x15, 0x1D, 0x24, 0x2D, 0x2C, 0x35, 0x3C, 0x43,  // 10-17: Q W E R T Y U I
    0x44, 0x4D, 0x54, 0x5B, 0x5A, 0x14, 0x1C, 0x1B,  // 18-1F: O P [ ] Enter LCtrl A S
    0x23, 0x2B, 0x34, 0x33, 0x3B, 0x42, 0x4B, 0x4C,  // 20-27: D F G H J K L ;
    0x52, 0x0E, 0x12, 0x5D, 0x1A, 0x22, 0x21, 0x2A,  // 28-2F: ' ` LShift \ Z X C V
    0x32, 0x31, 0x3A, 0x41, 0x49, 0x4A, 0x59, 0x7C,  // 30-37: B N M , . / RShift KP*
    0x11, 0x29, 0x58, 0x05, 0x06, 0x04, 0x0C, 0x03,  // 38-3F: LAlt Space Caps F1-F5
    0x0B, 0x83, 0x0A, 0x01, 0x09, 0x77, 0x7E, 0x6C,  // 40-47: F6-F10 NumLk ScrLk KP7
    0x75, 0x7D, 0x7B, 0x6B, 0x73, 0x74, 0x79, 0x69,  // 48-4F: KP8 KP9 KP- KP4-6 KP+ KP1
    0x72, 0x7A, 0x70, 0x71, 0x84, 0x00, 0x61, 0x78,  // 50-57: KP2 KP3 KP0 KP. SysRq - 102nd F11
    0x07,                                            // 58: F12
};

constexpr uint8_t kLShift = 0x2A;

// Unshifted and shifted characters of the set 1 keys 0x02-0x35 (US layout).
constexpr char kPlain[] = "\0\0" "1234567890-=\0\0" "qwertyuiop[]\0\0" "asdfghjkl;'`\0\\" "zxcvbnm,./";
constexpr char kShift[] = "\0\0" "!@#$%^&*()_+\0\0" "QWERTYUIOP{}\0\0" "ASDFGHJKL:\"~\0|" "ZXCVBNM<>?";
constexpr unsigned kTableKeys = sizeof kPlain - 1;  // codes 0x00 .. kTableKeys-1
static_assert(sizeof kPlain == sizeof kShift);

void stroke(uint8_t code, bool shift, std::vector<uint8_t>& out) {
  if (shift) out.push_back(kLShift);
  out.push_back(code);
  out.push_back(uint8_t(code | 0x80));
  if (shift) out.push_back(uint8_t(kLShift | 0x80));
}

}  // namespace

bool type_ascii(char c, std::vector<uint8_t>& out) {
  switch (c) {
    case '\n':
    case '\r': stroke(0x1C, false, out); return true;
    case '\t': stroke(0x0F, false, out); return true;
    case '\b': stroke(0x0E, false, out); return true;
    case 0x1B: stroke(0x01, false, out); return true;
    case ' ': stroke(0x39, false, out); return true;
    default: break;
  }
  if (c == 0) return false;
  for (unsigned k = 0; k < kTableKeys; ++k) {
    if (kPlain[k] == c) {
      stroke(uint8_t(k), false, out);
      return true;
    }
    if (kShift[k] == c) {
      stroke(uint8_t(k), true, out);
      return true;
    }
  }
  return false;
}

bool set1_to_set2(uint8_t code, std::vector<uint8_t>& out) {
  if (code == 0xE0 || code == 0xE1) {
    out.push_back(code);
    return true;
  }
  const uint8_t make = code & 0x7F;
  if (make >= kSet1ToSet2.size() || kSet1ToSet2[make] == 0) return false;
  if (code & 0x80) out.push_back(0xF0);
  out.push_back(kSet1ToSet2[make]);
  return true;
}

}  // namespace platform
