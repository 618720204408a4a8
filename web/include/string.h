/* The C library functions k2onnx.h calls, for the freestanding WebAssembly build (make web);
   web/k2onnx_web.c defines them. */
#ifndef K2ONNX_WEB_STRING_H
#define K2ONNX_WEB_STRING_H
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
#endif
