/*
 * ecrd's flags, generated into server/flags_gen.c from server/flags.txt
 * (cmake/gen_flags.py), which also writes the man page, the README's table
 * and bash completion from the same rows.
 */
#ifndef ECRD_SERVER_FLAGS_H
#define ECRD_SERVER_FLAGS_H

#include <getopt.h>

/* The --help text, ending in a newline. */
extern const char flags_usage[];
/* getopt_long's short options ("hv") and long options, NULL-terminated. */
extern const char flags_shortopts[];
extern const struct option flags_longopts[];

#endif
