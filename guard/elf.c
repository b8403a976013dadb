/* elf.c - a binary's imported symbols: the undefined entries of its ELF
 * dynamic symbol table, read with elfutils' libelf from one in-memory copy of
 * the file, the same bytes whose sha256 the result records. */
#include "guard.h"

#include "../core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* The whole file, once: a regular file (O_NONBLOCK: a FIFO cannot stall us). */
static int slurp(const char *path, char **out, size_t *len, kt_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return kt_fail_errno(err, errno == ENOENT ? KT_E_NOINPUT : KT_E_DATA, errno,
                             "cannot open %s", path);
    struct stat st;
    char *buf = NULL;
    int rc = -1;
    if (fstat(fd, &st) < 0)
        kt_fail_errno(err, KT_E_DATA, errno, "cannot stat %s", path);
    else if (!S_ISREG(st.st_mode))
        kt_fail(err, KT_E_DATA, "%s is not a regular file", path);
    else if ((uint64_t)st.st_size > KT_GUARD_BINARY_MAX)
        kt_fail(err, KT_E_DATA, "%s is larger than %u bytes", path, KT_GUARD_BINARY_MAX);
    else if (!(buf = malloc((size_t)st.st_size + 1)))
        kt_fail(err, KT_E_NOMEM, "out of memory reading %s", path);
    else {
        ssize_t n = kt_read_full(fd, buf, (size_t)st.st_size + 1);
        if (n < 0)
            kt_fail_errno(err, KT_E_DATA, errno, "cannot read %s", path);
        else if (n != st.st_size)
            kt_fail(err, KT_E_DATA, "%s changed size while it was read", path);
        else {
            *out = buf;
            *len = (size_t)n;
            buf = NULL;
            rc = 0;
        }
    }
    free(buf);
    close(fd);
    return rc;
}

/* Every undefined symbol of one SHT_DYNSYM section. */
static int scan_dynsym(kt_guard *g, Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, const char *path,
                       kt_err *err)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data || !sh->sh_entsize)
        return kt_fail(err, KT_E_DATA, "%s: unreadable dynamic symbol table", path);
    size_t count = sh->sh_size / sh->sh_entsize;
    for (size_t i = 0; i < count; i++) {
        GElf_Sym sym;
        if (i > (size_t)INT32_MAX || !gelf_getsym(data, (int)i, &sym))
            return kt_fail(err, KT_E_DATA, "%s: dynamic symbol %zu is unreadable", path, i);
        if (sym.st_shndx != SHN_UNDEF) continue;
        const char *name = elf_strptr(e, sh->sh_link, sym.st_name);
        if (!name) return kt_fail(err, KT_E_DATA, "%s: dynamic symbol %zu has no name", path, i);
        if (!*name) continue;
        g->symbols++;
        const char *cat = kt_guard_category(name);
        if (cat && kt_guard_violation_add(g, name, cat, "dynsym", err) < 0) return -1;
    }
    return 0;
}

int kt_guard_scan_elf(kt_guard *g, char *image, size_t len, const char *what, kt_err *err)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return kt_fail(err, KT_E_INTERNAL, "libelf is unusable");
    Elf *e = elf_memory(image, len);
    if (!e || elf_kind(e) != ELF_K_ELF) {
        if (e) elf_end(e);
        return kt_fail(err, KT_E_DATA, "%s: not an ELF file", what);
    }
    size_t nsec;
    int rc = 0;
    if (elf_getshdrnum(e, &nsec) < 0)
        rc = kt_fail(err, KT_E_DATA, "%s: malformed ELF section headers: %s", what, elf_errmsg(-1));
    g->is_static = 1;
    Elf_Scn *scn = NULL;
    while (rc == 0 && (scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh)) {
            rc = kt_fail(err, KT_E_DATA, "%s: unreadable section header", what);
        } else if (sh.sh_type == SHT_DYNSYM) {
            g->is_static = 0;
            rc = scan_dynsym(g, e, scn, &sh, what, err);
        }
    }
    elf_end(e);
    return rc;
}

int kt_guard_scan_binary(kt_guard *g, const char *path, kt_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    if (slurp(path, &buf, &len, err) < 0) return -1;
    uint8_t h[KT_SHA256_LEN];
    kt_sha256(buf, len, h);
    kt_hex(h, sizeof h, g->sha256);
    int rc = kt_guard_scan_elf(g, buf, len, path, err);
    free(buf);
    return rc;
}
