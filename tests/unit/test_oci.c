/* Image references, the OCI / Docker JSON documents (strict, capped), the
 * command and environment an image config gives, and the cache key. */
#include "testutil.h"

#include "../../sandbox/image.h"
#include "../../sandbox/imgcache.h"
#include "../../sandbox/oci.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define MT_M "application/vnd.oci.image.manifest.v1+json"
#define MT_I "application/vnd.oci.image.index.v1+json"
#define MT_C "application/vnd.oci.image.config.v1+json"
#define MT_L "application/vnd.oci.image.layer.v1.tar+gzip"
#define CHAIN12 "9932074217c35353d2e03a3f5a86549f7c67bfeb0ba53e23d69f4d4c8f7958f5"

static kt_img_caps caps(void)
{
    kt_img_caps c;
    kt_img_caps_default(&c);
    return c;
}

static void refs(void **state)
{
    (void)state;
    kt_imgref r;
    kt_err err;
    assert_int_equal(kt_imgref_parse("oci:/a/b", &r, &err), 0);
    assert_int_equal(r.kind, KT_REF_OCI);
    assert_string_equal(r.path, "/a/b");
    assert_string_equal(r.tag, "");
    assert_int_equal(kt_imgref_parse("oci:dir:v1.2", &r, &err), 0);
    assert_string_equal(r.path, "dir");
    assert_string_equal(r.tag, "v1.2");
    assert_int_equal(kt_imgref_parse("oci:dir@" D1, &r, &err), 0);
    assert_string_equal(r.digest, D1);
    assert_string_equal(r.path, "dir");
    assert_int_equal(kt_imgref_parse("oci-archive:x.tar:latest", &r, &err), 0);
    assert_int_equal(r.kind, KT_REF_OCI_ARCHIVE);
    assert_int_equal(kt_imgref_parse("docker-archive:x.tar:localhost/foo:1", &r, &err), 0);
    assert_int_equal(r.kind, KT_REF_DOCKER_ARCHIVE);
    assert_string_equal(r.path, "x.tar");
    assert_string_equal(r.tag, "localhost/foo:1");
    assert_int_equal(kt_imgref_parse("docker-archive:x.tar:@2", &r, &err), 0);
    assert_int_equal(r.index, 2);
    const char *bad[] = {"docker://busybox",
                         "oci:",
                         "oci:dir:",
                         "oci:d@sha256:ABC",
                         "oci:d@sha512:"
                         "00",
                         "docker-archive:x:@",
                         "docker-archive:x:@-1",
                         "containers-storage:x",
                         "oci:d:\x01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kt_imgref_parse(bad[i], &r, &err) == 0) fail_msg("accepted %s", bad[i]);
    assert_int_equal(kt_imgref_parse("docker://busybox", &r, &err), -1);
    assert_non_null(strstr(err.msg, "skopeo copy"));
}

static void names_and_digests(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(kt_member_name("./a//b/", out, sizeof out), 0);
    assert_string_equal(out, "a/b");
    assert_int_equal(kt_member_name(".", out, sizeof out), 0);
    assert_string_equal(out, "");
    assert_int_equal(kt_member_name("/a", out, sizeof out), -1);
    assert_int_equal(kt_member_name("a/../b", out, sizeof out), -1);
    assert_int_equal(kt_member_name("..", out, sizeof out), -1);
    assert_int_equal(kt_member_name("a/...", out, sizeof out), 0);
    char small[4];
    assert_int_equal(kt_member_name("abcdef", small, sizeof small), -1);
    assert_true(kt_digest_valid(D1));
    assert_false(kt_digest_valid("sha256:111"));
    assert_false(
        kt_digest_valid("sha256:"
                        "111111111111111111111111111111111111111111111111111111111111111G"));
    assert_false(
        kt_digest_valid("sha512:1111111111111111111111111111111111111111111111111111111111111111"));
    char eb[32];
    assert_string_equal(kt_esc("a\nb\\c\xff", eb, sizeof eb), "a\\x0ab\\x5cc\\xff");
    kt_esc("0123456789012345678901234567890123456789", eb, sizeof eb);
    assert_true(strlen(eb) < sizeof eb);
    assert_non_null(strstr(eb, "..."));
    /* messages carry the bytes; they are escaped once, where shown */
    assert_string_equal(kt_clip("a\nb\\c\xff", eb, sizeof eb), "a\nb\\c\xff");
    kt_clip("0123456789012345678901234567890123456789", eb, sizeof eb);
    assert_int_equal(strlen(eb), sizeof eb - 1);
    assert_string_equal(eb + sizeof eb - 4, "...");
}

static int parse_index(const char *json, kt_index *ix, kt_err *err)
{
    kt_img_caps c = caps();
    c.max_manifests = 3;
    return kt_oci_parse_index(json, strlen(json), "index.json", &c, ix, err);
}

#define DESC(d, extra) "{\"mediaType\":\"" MT_M "\",\"digest\":\"" d "\",\"size\":10" extra "}"
#define TAG(t) ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" t "\"}"
#define PLAT(os, arch) ",\"platform\":{\"os\":\"" os "\",\"architecture\":\"" arch "\"}"

static void index_documents(void **state)
{
    (void)state;
    kt_index ix;
    kt_err err;
    kt_imgref r;
    const kt_desc *d;
    const char *good = "{\"schemaVersion\":2,\"mediaType\":\"" MT_I
                       "\",\"manifests\":[" DESC(D1, TAG("v1")) "," DESC(D2, TAG("v2")) "]}";
    assert_int_equal(parse_index(good, &ix, &err), 0);
    assert_int_equal(ix.n, 2);
    kt_imgref_parse("oci:x:v2", &r, &err);
    assert_int_equal(kt_index_select(&ix, &r, "i", &d, &err), 0);
    assert_string_equal(d->digest, D2);
    kt_imgref_parse("oci:x@" D1, &r, &err);
    assert_int_equal(kt_index_select(&ix, &r, "i", &d, &err), 0);
    assert_string_equal(d->ref_name, "v1");
    kt_imgref_parse("oci:x", &r, &err);
    assert_int_equal(kt_index_select(&ix, &r, "i", &d, &err), -1);
    assert_non_null(strstr(err.msg, "several images"));
    kt_imgref_parse("oci:x:v3", &r, &err);
    assert_int_equal(kt_index_select(&ix, &r, "i", &d, &err), -1);
    kt_index_free(&ix);

    const char *plats = "{\"schemaVersion\":2,\"manifests\":[" DESC(
        D1, PLAT("linux", "arm64")) "," DESC(D2, PLAT("linux", "amd64")) "]}";
    assert_int_equal(parse_index(plats, &ix, &err), 0);
    assert_int_equal(kt_index_select_platform(&ix, "i", &d, &err), 0);
    assert_string_equal(d->digest, D2);
    kt_index_free(&ix);
    const char *noamd = "{\"schemaVersion\":2,\"manifests\":[" DESC(
        D1, PLAT("linux", "arm64")) "," DESC(D2, PLAT("windows", "amd64")) "]}";
    assert_int_equal(parse_index(noamd, &ix, &err), 0);
    assert_int_equal(kt_index_select_platform(&ix, "i", &d, &err), -1);
    assert_non_null(strstr(err.msg, "linux/arm64, windows/amd64"));
    kt_index_free(&ix);

    const char *bad[] = {
        "{\"schemaVersion\":1,\"manifests\":[]}",
        "{\"schemaVersion\":2}",
        "{\"schemaVersion\":2,\"manifests\":[],\"manifests\":[]}",
        "{\"schemaVersion\":2,\"manifests\":[" DESC(D1, ",\"size\":11") "]}",
        "{\"schemaVersion\":2,\"manifests\":[],\"layers\":[]}",
        "{\"schemaVersion\":2,\"mediaType\":\"" MT_M "\",\"manifests\":[]}",
        "{\"schemaVersion\":2,\"manifests\":[" DESC("sha512:abc", "") "]}",
        "{\"schemaVersion\":2,\"manifests\":[" DESC(D1, TAG("a\\u0000b")) "]}",
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" D1
        "\",\"size\":-1}]}",
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" D1
        "\",\"size\":1.5}]}",
        "{\"schemaVersion\":2,\"manifests\":[" DESC(D1, "") "," DESC(D1, "") "," DESC(
            D1, "") "," DESC(D1, "") "]}",
        "{\"schemaVersion\":2,\"manifests\":[]} x",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (parse_index(bad[i], &ix, &err) == 0) fail_msg("index %zu accepted", i);
    kt_img_caps c = caps();
    c.max_json = 10;
    assert_int_equal(kt_oci_parse_index(good, strlen(good), "i", &c, &ix, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
}

#define MANIFEST(layers)                                                                           \
    "{\"schemaVersion\":2,\"mediaType\":\"" MT_M "\",\"config\":{\"mediaType\":\"" MT_C            \
    "\",\"digest\":\"" D1 "\",\"size\":100},\"layers\":[" layers "]}"
#define LAYER(mt, d, size) "{\"mediaType\":\"" mt "\",\"digest\":\"" d "\",\"size\":" size "}"

static void manifest_documents(void **state)
{
    (void)state;
    kt_img_caps c = caps();
    kt_manifest m;
    kt_err err;
    const char *good = MANIFEST(LAYER(MT_L, D2, "68719476736") "," LAYER(
        "application/vnd.oci.image.layer.v1.tar+zstd", D3, "5"));
    assert_int_equal(kt_oci_parse_manifest(good, strlen(good), "m", MT_M, &c, &m, &err), 0);
    assert_int_equal(m.nlayers, 2);
    assert_int_equal(m.layers[0].size, 68719476736ULL);
    enum kt_comp comp;
    assert_int_equal(kt_media_kind(m.layers[1].media_type, &comp), KT_MT_LAYER);
    assert_int_equal(comp, KT_COMP_ZSTD);
    kt_manifest_free(&m);
    /* the descriptor said Docker v2s2 but the document says OCI */
    assert_int_equal(kt_oci_parse_manifest(good, strlen(good), "m",
                                           "application/vnd.docker.distribution.manifest.v2+json",
                                           &c, &m, &err),
                     -1);
    const char *bad[] = {
        MANIFEST(LAYER("application/x-unknown", D2, "1")),
        MANIFEST(LAYER(MT_L, "sha256:abc", "1")),
        "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/"
        "vnd.oci.empty.v1+json\",\"digest\":\"" D1 "\",\"size\":2},\"layers\":[]}",
        "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MT_C "\",\"digest\":\"" D1
        "\",\"size\":2},\"layers\":[],\"manifests\":[]}",
        "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MT_C "\",\"digest\":\"" D1
        "\",\"size\":2}}",
        "{\"schemaVersion\":2,\"mediaType\":\"" MT_I "\",\"config\":{\"mediaType\":\"" MT_C
        "\",\"digest\":\"" D1 "\",\"size\":2},\"layers\":[]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kt_oci_parse_manifest(bad[i], strlen(bad[i]), "m", MT_M, &c, &m, &err) == 0)
            fail_msg("manifest %zu accepted", i);
    c.max_layers = 1;
    assert_int_equal(kt_oci_parse_manifest(good, strlen(good), "m", MT_M, &c, &m, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
}

#define CONFIG(arch, cfg)                                                                          \
    "{\"architecture\":\"" arch "\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","             \
    "\"diff_ids\":[\"" D2 "\"]}" cfg "}"

static void config_documents(void **state)
{
    (void)state;
    kt_img_caps c = caps();
    kt_imgconfig cfg;
    kt_err err;
    const char *good = CONFIG(
        "amd64",
        ",\"config\":{\"Entrypoint\":[\"/app\",\"-v\"],\"Cmd\":[\"run\"],"
        "\"Env\":[\"PATH=/bin\",\"A=1\",\"B=x=y\"],\"WorkingDir\":\"/w\",\"User\":\"1000:1000\"}");
    assert_int_equal(kt_oci_parse_config(good, strlen(good), "c", &c, &cfg, &err), 0);
    assert_int_equal(cfg.nentrypoint, 2);
    assert_string_equal(cfg.cmd[0], "run");
    assert_null(cfg.cmd[1]);
    assert_int_equal(cfg.nenv, 3);
    assert_string_equal(cfg.workdir, "/w");
    assert_string_equal(cfg.user, "1000:1000");
    assert_int_equal(cfg.ndiff_ids, 1);

    /* the command and the environment, as docker run makes them */
    kt_image img;
    memset(&img, 0, sizeof img);
    img.config = cfg;
    char **argv;
    char *args[] = {"x", "y"};
    assert_int_equal(kt_image_argv(&img, NULL, NULL, 0, &argv, &err), 0);
    assert_string_equal(argv[0], "/app");
    assert_string_equal(argv[2], "run");
    assert_null(argv[3]);
    free(argv);
    assert_int_equal(kt_image_argv(&img, NULL, args, 2, &argv, &err), 0);
    assert_string_equal(argv[2], "x");
    assert_null(argv[4]);
    free(argv);
    assert_int_equal(kt_image_argv(&img, "/bin/sh", NULL, 0, &argv, &err), 0);
    assert_string_equal(argv[0], "/bin/sh");
    assert_null(argv[1]); /* a non-empty --entrypoint drops the image's Cmd */
    free(argv);
    assert_int_equal(kt_image_argv(&img, "", NULL, 0, &argv, &err), 0);
    assert_string_equal(argv[0], "run");
    assert_null(argv[1]);
    free(argv);

    kt_sandbox sb;
    memset(&sb, 0, sizeof sb);
    static char defpath[] = KT_SB_PATH, user_a[] = "A=2", user_c[] = "C=3";
    sb.envp[0] = defpath;
    sb.envp[1] = user_a;
    sb.envp[2] = user_c;
    sb.nenv = 2;
    assert_int_equal(kt_image_env(&img, &sb, 0, &err), 0);
    assert_string_equal(sb.envp[0], "PATH=/bin");
    assert_string_equal(sb.envp[1], "B=x=y");
    assert_string_equal(sb.envp[2], "A=2");
    assert_string_equal(sb.envp[3], "C=3");
    assert_null(sb.envp[4]);
    assert_int_equal(sb.nenv, 3);
    kt_imgconfig_free(&cfg);

    const char *empty = CONFIG("amd64", "");
    assert_int_equal(kt_oci_parse_config(empty, strlen(empty), "c", &c, &cfg, &err), 0);
    memset(&img, 0, sizeof img);
    img.config = cfg;
    assert_int_equal(kt_image_argv(&img, NULL, NULL, 0, &argv, &err), -1);
    assert_non_null(strstr(err.msg, "no Entrypoint or Cmd"));
    kt_imgconfig_free(&cfg);

    const char *bad[] = {
        CONFIG("arm64", ""),
        CONFIG("amd64", ",\"config\":{\"Cmd\":\"/bin/sh\"}"),
        CONFIG("amd64", ",\"config\":{\"Cmd\":[1]}"),
        CONFIG("amd64", ",\"config\":{\"Env\":[\"NOEQUALS\"]}"),
        CONFIG("amd64", ",\"config\":{\"Env\":[\"=x\"]}"),
        CONFIG("amd64", ",\"config\":{\"WorkingDir\":\"relative\"}"),
        CONFIG("amd64", ",\"config\":{\"Cmd\":[\"a\\u0000b\"]}"),
        CONFIG("amd64", ",\"config\":{\"Cmd\":[\"a\"],\"Cmd\":[\"b\"]}"),
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
        "[\"sha256:x\"]}}",
        "{\"architecture\":\"amd64\",\"os\":\"linux\"}",
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"other\",\"diff_ids\":["
        "]}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kt_oci_parse_config(bad[i], strlen(bad[i]), "c", &c, &cfg, &err) == 0)
            fail_msg("config %zu accepted", i);
    c.max_args = 2;
    assert_int_equal(kt_oci_parse_config(good, strlen(good), "c", &c, &cfg, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
}

static void docker_manifests(void **state)
{
    (void)state;
    kt_img_caps c = caps();
    kt_docker_manifest m;
    kt_imgref r;
    kt_err err;
    const char *two = "[{\"Config\":\"aa.json\",\"RepoTags\":[\"localhost/a:1\"],\"Layers\":[\"l1/"
                      "layer.tar\",\"./l2.tar\"]},"
                      "{\"Config\":\"bb.json\",\"RepoTags\":null,\"Layers\":[]}]";
    kt_imgref_parse("docker-archive:f:localhost/a:1", &r, &err);
    assert_int_equal(kt_docker_parse_manifest(two, strlen(two), "m", &r, &c, &m, &err), 0);
    assert_string_equal(m.config, "aa.json");
    assert_string_equal(m.layers[1], "l2.tar");
    assert_string_equal(m.tag, "localhost/a:1");
    kt_docker_manifest_free(&m);
    kt_imgref_parse("docker-archive:f:@1", &r, &err);
    assert_int_equal(kt_docker_parse_manifest(two, strlen(two), "m", &r, &c, &m, &err), 0);
    assert_string_equal(m.config, "bb.json");
    kt_docker_manifest_free(&m);
    kt_imgref_parse("docker-archive:f", &r, &err);
    assert_int_equal(kt_docker_parse_manifest(two, strlen(two), "m", &r, &c, &m, &err), -1);
    assert_non_null(strstr(err.msg, "several images"));
    const char *bad[] = {
        "[]",
        "{}",
        "[{\"Config\":\"../x.json\",\"Layers\":[]}]",
        "[{\"Config\":\"/x.json\",\"Layers\":[]}]",
        "[{\"Config\":\"x.json\",\"Layers\":[\"../l\"]}]",
        "[{\"Config\":\"x.json\"}]",
        "[{\"Config\":\"x.json\",\"Layers\":[\"a\"],\"Layers\":[\"b\"]}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kt_docker_parse_manifest(bad[i], strlen(bad[i]), "m", &r, &c, &m, &err) == 0)
            fail_msg("manifest.json %zu accepted", i);
}

static void cache_key(void **state)
{
    (void)state;
    /* ChainID, as the image spec defines it; checked against
     * printf 'D1 D2' | sha256sum */
    char ids[2][KT_OCI_DIGEST] = {D1, D2}, key[KT_CACHE_KEY];
    kt_cache_key((const char(*)[KT_OCI_DIGEST])ids, 1, key);
    assert_string_equal(key, "v1-1111111111111111111111111111111111111111111111111111111111111111");
    kt_cache_key((const char(*)[KT_OCI_DIGEST])ids, 2, key);
    assert_string_equal(key, "v1-" CHAIN12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refs),
        cmocka_unit_test(names_and_digests),
        cmocka_unit_test(index_documents),
        cmocka_unit_test(manifest_documents),
        cmocka_unit_test(config_documents),
        cmocka_unit_test(docker_manifests),
        cmocka_unit_test(cache_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
