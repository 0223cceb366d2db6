/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_FUZZ_H
#define E4_FUZZ_H

/*
 * What the libFuzzer harnesses share: an image held in a memfd (so that
 * libext2fs's unix_io reads the fuzzer's bytes through /proc/self/fd/N,
 * exactly as it reads an image file), and the splitting of one input into
 * several text parts.
 */
#include <stddef.h>
#include <stdint.h>

#include "e4/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Open data as an image, read-only.  NULL when libext2fs refuses it (the
 * usual outcome for a mutated superblock); close with e4_fs_close.
 */
struct e4_fs *fuzz_image_open(const uint8_t *data, size_t size);

/*
 * Split a copy of data at NUL bytes into max strings; what is past the
 * max-th NUL is ignored, missing parts are "".  Returns the copy, which
 * holds them all; free it.
 */
char *fuzz_split(const uint8_t *data, size_t size, char **parts, int max);

/* A private scratch directory (made once), for parsers that read files. */
const char *fuzz_scratch(void);

/* Write len bytes to dir/name (creating dir's subdirectories); 0 or -1. */
int fuzz_write(const char *dir, const char *name, const void *buf, size_t len);

#endif
