/* fuzz_main.h - replay driver shared by the fuzz targets.

   Built with -DK2ONNX_FUZZ_STANDALONE (no libFuzzer), a target gets this main(): every file
   named on the command line, and every regular file inside a named directory (names starting
   with '.' and README files are skipped), is read and passed once to LLVMFuzzerTestOneInput.
   It ends with the line "N inputs replayed". A sanitizer report aborts the process, so a
   non-zero exit status means a failing input. */
#ifndef K2ONNX_FUZZ_MAIN_H
#define K2ONNX_FUZZ_MAIN_H

#ifdef K2ONNX_FUZZ_STANDALONE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int k2onnx_fuzz_replay_file(const char *path, unsigned long *count)
{
    void *data;
    size_t len;
    unsigned char *exact;
    k2onnx_error err;
    if (k2onnx_read_file(path, &data, &len, &err) != k2onnx_result_success) {
        fprintf(stderr, "%s\n", err.message);
        return 0;
    }
    /* An exact-size copy, so that ASan catches a read one byte past the input. */
    exact = (unsigned char *)malloc(len ? len : 1);
    if (!exact) {
        k2onnx_free(data);
        return 0;
    }
    if (len) memcpy(exact, data, len);
    k2onnx_free(data);
    fprintf(stderr, "replaying %s (%lu bytes)\n", path, (unsigned long)len);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    (*count)++;
    return 1;
}

static int k2onnx_fuzz_skip_name(const char *name)
{
    return name[0] == '.' || strncmp(name, "README", 6) == 0;
}

static int k2onnx_fuzz_replay(const char *path, unsigned long *count)
{
    DIR *dir = opendir(path);
    struct dirent *de;
    int ok = 1;
    if (!dir) return k2onnx_fuzz_replay_file(path, count);
    while ((de = readdir(dir)) != NULL) {
        size_t n;
        char *full;
        if (k2onnx_fuzz_skip_name(de->d_name)) continue;
        n = strlen(path) + strlen(de->d_name) + 2;
        full = (char *)malloc(n);
        if (!full) {
            ok = 0;
            break;
        }
        strcpy(full, path);
        strcat(full, "/");
        strcat(full, de->d_name);
        if (!k2onnx_fuzz_replay(full, count)) ok = 0;
        free(full);
    }
    closedir(dir);
    return ok;
}

int main(int argc, char **argv)
{
    unsigned long count = 0;
    int i, ok = 1;
    for (i = 1; i < argc; i++)
        if (!k2onnx_fuzz_replay(argv[i], &count)) ok = 0;
    printf("%lu inputs replayed\n", count);
    return ok ? 0 : 1;
}
#endif /* K2ONNX_FUZZ_STANDALONE */

#endif /* K2ONNX_FUZZ_MAIN_H */
