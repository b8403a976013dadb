/* kiemthu-guard BINARY [--source DIR] [-o guard.json] - the capability guard.
 *
 * The seed's L2 build guard scanned the MVP's source for forbidden
 * capabilities. This one reads the binary's imported symbols (the ELF dynamic
 * symbol table, through elfutils' libelf) and, optionally, identifiers called
 * in its C sources, against a deny list (docs/GUARD.md). A statically linked
 * binary imports nothing that can be inspected, so it fails unless
 * --allow-static. JSON result; exit 0 pass, 3 violation (as the seed's guard),
 * 64 usage, 65 unreadable or not ELF. */
#include "../../core/cli.h"
#include "../../core/layout.h"
#include "../../core/sha256.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_VIOLATION 3

static const struct {
    const char *category;
    const char *symbols[16];
} deny[] = {
    {"network",
     {"socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendto", "sendmsg",
      "recvfrom", "recvmsg", "getaddrinfo", "gethostbyname", NULL}},
    {"exec",
     {"execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "fexecve", "execveat",
      "system", "popen", "posix_spawn", "posix_spawnp", NULL}},
    {"fork", {"fork", "vfork", "clone", "clone3", "daemon", NULL}},
    {"ptrace", {"ptrace", "process_vm_readv", "process_vm_writev", NULL}},
    {"dlopen", {"dlopen", "dlmopen", NULL}},
    {"mount", {"mount", "umount", "umount2", "pivot_root", "chroot", "unshare", "setns", NULL}},
    {"privilege",
     {"setuid", "setgid", "seteuid", "setegid", "setresuid", "setresgid", "capset", "setgroups",
      NULL}},
    {"kernel",
     {"init_module", "finit_module", "delete_module", "kexec_load", "reboot", "bpf",
      "perf_event_open", "swapon", "swapoff", NULL}},
    {"raw-syscall", {"syscall", NULL}},
};

typedef struct guard_ctx {
    const char *binary, *source, *output;
    int allow_static;
    char violations[64][96];
    int nviol;
    int symbols;
} guard_ctx;

static const char *category_of(const char *sym)
{
    for (size_t i = 0; i < sizeof deny / sizeof deny[0]; i++)
        for (const char *const *s = deny[i].symbols; *s; s++)
            if (!strcmp(*s, sym)) return deny[i].category;
    return NULL;
}

static void violation(guard_ctx *g, const char *sym, const char *cat, const char *where)
{
    for (int i = 0; i < g->nviol; i++)
        if (strstr(g->violations[i], sym) && strstr(g->violations[i], where)) return;
    if (g->nviol < 64)
        snprintf(g->violations[g->nviol++], 96,
                 "{\"category\":\"%s\",\"symbol\":\"%s\",\"where\":\"%s\"}", cat, sym, where);
}

/* Undefined (imported) symbols of the dynamic symbol table. */
static int scan_elf(guard_ctx *g, int fd, int *is_static, char *why, size_t n)
{
    if (elf_version(EV_CURRENT) == EV_NONE) return snprintf(why, n, "libelf unusable"), -1;
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    if (!e || elf_kind(e) != ELF_K_ELF) {
        if (e) elf_end(e);
        return snprintf(why, n, "not an ELF file"), -1;
    }
    *is_static = 1;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM) continue;
        *is_static = 0;
        Elf_Data *data = elf_getdata(scn, NULL);
        size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 0; data && i < count; i++) {
            GElf_Sym sym;
            if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx != SHN_UNDEF) continue;
            const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
            if (!name || !*name) continue;
            g->symbols++;
            const char *cat = category_of(name);
            if (cat) violation(g, name, cat, "dynsym");
        }
    }
    elf_end(e);
    return 0;
}

/* Identifiers followed by '(' in .c/.h files: a coarse second opinion. */
static void scan_source(guard_ctx *g, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && depth < 16 && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t l = strlen(de->d_name);
        if (de->d_type == DT_DIR) {
            scan_source(g, path, depth + 1);
            continue;
        }
        if (l < 3 || (strcmp(de->d_name + l - 2, ".c") && strcmp(de->d_name + l - 2, ".h")))
            continue;
        FILE *f = fopen(path, "re");
        char line[1024];
        while (f && fgets(line, sizeof line, f)) {
            for (char *p = line; *p;) {
                if (!(isalpha((unsigned char)*p) || *p == '_')) {
                    p++;
                    continue;
                }
                char id[64];
                size_t k = 0;
                while ((isalnum((unsigned char)*p) || *p == '_') && k < sizeof id - 1)
                    id[k++] = *p++;
                id[k] = '\0';
                while (*p == ' ') p++;
                const char *cat = *p == '(' ? category_of(id) : NULL;
                if (cat) violation(g, id, cat, de->d_name);
            }
        }
        if (f) fclose(f);
    }
    if (d) closedir(d);
}

static const kt_option opts[] = {
    {"source", 's', "DIR", "also scan the C sources under DIR"},
    {"allow-static", 256 + 1, NULL, "accept a statically linked binary (nothing to inspect)"},
    {"output", 'o', "FILE", "write the JSON result here too"},
    {"help", 'h', NULL, "show this help"},
    {"version", 256 + 2, NULL, "show the version"},
    {NULL, 0, NULL, NULL},
};

int main(int argc, char **argv)
{
    guard_ctx g = {0};
    kt_cli cli;
    kt_cli_init(&cli, opts);
    cli.shortopts[0] = '-';
    int ch;
    while ((ch = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
        switch (ch) {
        case 1:
            g.binary = optarg;
            break;
        case 's':
            g.source = optarg;
            break;
        case 'o':
            g.output = optarg;
            break;
        case 256 + 1:
            g.allow_static = 1;
            break;
        case 'h':
            kt_cli_usage(stdout, "kiemthu-guard BINARY [--source DIR] [-o FILE]",
                         "Check a binary's imported symbols against the capability deny list.\n"
                         "Exit 0 pass, 3 violation, 64 usage, 65 unreadable or not ELF.",
                         opts);
            return 0;
        case 256 + 2:
            printf("kiemthu-guard %s\n", KT_VERSION);
            return 0;
        default:
            return KT_EXIT_USAGE;
        }
    }
    if (!g.binary) {
        fprintf(stderr, "kiemthu-guard: usage: kiemthu-guard BINARY [--source DIR] [-o FILE]\n");
        return KT_EXIT_USAGE;
    }
    int fd = open(g.binary, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "kiemthu-guard: cannot open %s: %s\n", g.binary, strerror(errno));
        return KT_EXIT_DATAERR;
    }
    char why[128];
    int is_static = 0;
    if (scan_elf(&g, fd, &is_static, why, sizeof why) < 0) {
        fprintf(stderr, "kiemthu-guard: %s: %s\n", g.binary, why);
        close(fd);
        return KT_EXIT_DATAERR;
    }
    uint8_t h[KT_SHA256_LEN];
    char hex[KT_SHA256_HEX], buf[65536];
    kt_sha256_ctx c;
    kt_sha256_init(&c);
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf, sizeof buf)) > 0) kt_sha256_update(&c, buf, (size_t)n);
    kt_sha256_final(&c, h);
    kt_hex(h, sizeof h, hex);
    close(fd);
    if (is_static && !g.allow_static) violation(&g, "(static binary)", "uninspectable", "dynsym");
    if (g.source) scan_source(&g, g.source, 0);
    int pass = g.nviol == 0;
    for (int out = 0; out < 2; out++) {
        FILE *f = out == 0 ? stdout : (g.output ? fopen(g.output, "we") : NULL);
        if (!f) continue;
        fprintf(f,
                "{\"binary\":\"%s\",\"deny_list\":1,\"pass\":%s,\"sha256\":\"%s\",\"symbols_"
                "checked\":%d,"
                "\"violations\":[",
                g.binary, pass ? "true" : "false", hex, g.symbols);
        for (int i = 0; i < g.nviol; i++) fprintf(f, "%s%s", i ? "," : "", g.violations[i]);
        fprintf(f, "]}\n");
        if (out) fclose(f);
    }
    return pass ? 0 : EXIT_VIOLATION;
}
