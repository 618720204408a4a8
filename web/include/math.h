/* What k2onnx.h takes from <math.h>, for the freestanding WebAssembly build (make web): the
   constants, from the compiler. */
#ifndef K2ONNX_WEB_MATH_H
#define K2ONNX_WEB_MATH_H
#define NAN (__builtin_nanf(""))
#define INFINITY (__builtin_inff())
#endif
