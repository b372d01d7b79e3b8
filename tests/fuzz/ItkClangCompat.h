#pragma once

// Debian's ITK 5.2 ships a compiler-detection header generated for GCC only ("Unsupported
// compiler" under clang). The fuzz build, which needs clang for libFuzzer, force-includes this
// header first: it reads ITK's header once as GCC 12 would (the C++ features it then declares are
// all ones clang 14 has), and its include guard keeps ITK's own inclusions from reading it again.

#pragma push_macro("__clang__")
#pragma push_macro("__GNUC__")
#pragma push_macro("__GNUC_MINOR__")
#undef __clang__
#undef __GNUC__
#undef __GNUC_MINOR__
#define __GNUC__ 12
#define __GNUC_MINOR__ 2
#include <ITK-5.2/itk_compiler_detection.h>
#pragma pop_macro("__GNUC_MINOR__")
#pragma pop_macro("__GNUC__")
#pragma pop_macro("__clang__")
