// debugger/cli/main.cpp — the `ringside` executable: dispatches the subcommand.
//
// Guest output goes to stdout byte for byte; everything Ringside says goes to stderr.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "debugger/run_command.h"
#include "debugger/run_options.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << debugger::ringside_help();
    return debugger::kExitUsage;
  }
  const std::string& cmd = args[0];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::cout << debugger::ringside_help();
    return 0;
  }
  if (cmd == "run") {
    debugger::RunIo io;
    io.guest_output = [](uint8_t b) { std::fputc(b, stdout); };
    io.flush_guest_output = [] { std::fflush(stdout); };
    io.err = &std::cerr;
    io.in = &std::cin;
    return debugger::run_main(std::vector<std::string>(args.begin() + 1, args.end()), io, std::cout);
  }
  std::cerr << "ringside: unknown command '" << cmd << "'\nTry 'ringside --help'.\n";
  return debugger::kExitUsage;
}
