/* baseline.h - the baseline seccomp filter kiemthu-sandbox installs together
 * with every profile. The user's profile decides everything else; the
 * baseline only removes (the kernel applies the strictest answer of all
 * filters): io_uring, socket families other than unix/inet/inet6/netlink
 * (AF_VSOCK above all), kernel keyrings, the new mount API, namespace
 * creation (clone/unshare flags, clone3 -> ENOSYS, setns), userfaultfd, bpf,
 * perf_event_open. The shipped baseline is profiles/baseline.json, built into
 * the binary (so nothing on disk can change it); its sha256 is recorded in
 * every run.json and pinned by the shipped policy. */
#ifndef KT_BASELINE_H
#define KT_BASELINE_H

#include "../core/err.h"
#include "profile.h"

#define KT_BASELINE_NAME "kiemthu-baseline"

/* spec: NULL or "" for the built-in baseline, "none" for no baseline (*out is
 * then NULL), else a Docker-format profile file. *name gets what run.json
 * records as the baseline's name. */
int kt_baseline_load(const char *spec, kt_profile **out, const char **name, kt_err *err);

#endif
