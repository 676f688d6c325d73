/* SPDX-License-Identifier: MIT */
/* The libFuzzer entry point every target defines (declared for -Wmissing-declarations). */
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
