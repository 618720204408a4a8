/* The library as firmware builds it: no stdio, no heap (every conversion gets one caller buffer,
   options.memory), so malloc and free are never linked. Compiled on its own so that the size
   report can count its sections alone. */
#define K2ONNX_IMPLEMENTATION
#define K2ONNX_NO_STDIO
#define K2ONNX_MALLOC(size) ((void)(size), (void *)0)
#define K2ONNX_FREE(ptr) ((void)(ptr))
#include "../../k2onnx.h"
