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
#include "filter.h"
#include "profile.h"

#define KT_BASELINE_NAME "kiemthu-baseline"

/* spec: NULL or "" for the built-in baseline, "none" for no baseline (*out is
 * then NULL), else a Docker-format profile file. *name gets what run.json
 * records as the baseline's name. */
int kt_baseline_load(const char *spec, kt_profile **out, const char **name, kt_err *err);

/* The baseline as it was compiled when kiemthu-sandbox was built: by the
 * same compiler (filter.c), from profiles/baseline.json. 1 with out->bpf
 * filled (the only field set) when p holds exactly those JSON bytes and the
 * libseccomp version and native architecture are those of the build, so a
 * compile here would give the same program (a test holds it to that);
 * 0 when not (compile p then); -1 out of memory. */
int kt_baseline_precompiled(const kt_profile *p, kt_filter *out, kt_err *err);

#endif
