/* cmd_compile.h - `kiemthu-sandbox compile`: compile seccomp profiles as a
 * run on this host would, hold each filter to its rules (filtercheck.h), and
 * print what run.json records of it (libseccomp, filter_bpf_sha256,
 * filter_checked_points), so an auditor can compare a bundle's record with
 * the bundled profile compiled again, and a CI engineer can try a profile
 * before a run. */
#ifndef KT_CMD_COMPILE_H
#define KT_CMD_COMPILE_H

/* Returns the exit code: 0 all compiled and checked; 65 a profile invalid
 * or too large to check; 70 a filter that does not answer as its rules say;
 * 66 not found; 64 usage. */
int kt_cmd_compile(int argc, char **argv);

#endif
