/* contract.h - what kiemthu-sandbox promises and kiemthu-probe attests: the
 * seed's docker flags as defaults, and where the payload finds the filters it
 * runs under. Both programs include this one header (the probe is static and
 * links nothing else of the sandbox), so the two cannot drift apart. */
#ifndef KT_CONTRACT_H
#define KT_CONTRACT_H

#define KT_SB_UID 65532
#define KT_SB_GID 65532
#define KT_SB_PIDS 64
#define KT_SB_MEMORY (256ULL << 20)    /* --memory 256m; swap equal (--memory-swap 256m) */
#define KT_SB_MILLICPUS 1000           /* --cpus 1 */
#define KT_SB_TMP_SIZE (16ULL << 20)   /* --tmpfs /tmp:...,size=16m */
#define KT_SB_OUT_SIZE (256ULL << 20)  /* /out tmpfs cap as root */
#define KT_SB_OUTPUT_CAP (16ULL << 20) /* stdout and stderr kept, each */
#define KT_SB_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Read-only views of the filters in force, for kiemthu-probe. */
#define KT_SB_VIEW_DIR "/etc/kiemthu"
#define KT_SB_PROFILE_VIEW KT_SB_VIEW_DIR "/seccomp-profile.json"
#define KT_SB_BASELINE_VIEW KT_SB_VIEW_DIR "/seccomp-baseline.json"

#endif
