// libFuzzer target for the bare toml++ parser that TOMLKit 0.6.0 vendors, as TOMLKit calls
// it (TOML_EXCEPTIONS=1, a NUL-terminated C string, C++ asserts on). Built and run by run.sh:
// every crash is an assertion site that malformed text reaches (finding F1).
#define TOML_EXCEPTIONS 1
#include "toml.hpp"
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        auto table = toml::parse(text.c_str());
    } catch (toml::parse_error&) {
    }
    return 0;
}

#ifdef TOMLPP_REPLAY
// The replay tool: parses one file and prints "ok", "error: …", or aborts at the assertion.
#include <cstdio>
#include <fstream>
#include <sstream>
int main(int argc, char** argv) {
    for (int i = 1; i < argc; i++) {
        std::ifstream file(argv[i], std::ios::binary);
        std::stringstream buffer;
        buffer << file.rdbuf();
        std::string text = buffer.str();
        try {
            auto table = toml::parse(text.c_str());
            std::puts("ok");
        } catch (toml::parse_error& e) {
            std::printf("error: %s\n", std::string(e.description()).c_str());
        }
    }
}
#endif
