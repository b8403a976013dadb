/* Every check type of the policy engine, table-driven, on passing, failing
 * and malformed evidence. Every case runs twice: on evidence in memory (as
 * kiemthu-verify holds a bundle's members) and on the same files in a
 * directory (as kiemthu-bundle create reads them). Both must give the same
 * result, reason and list of files read: verify's re-adjudication depends on
 * exactly that. */
#include "policyfx.h"

/* ---- every check type, on both evidence sources ------------------------- */

#define P_PASS KT_RESULT_PASS
#define P_FAIL KT_RESULT_FAIL
#define P_ERR KT_RESULT_ERROR
#define HEX_P "ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356" /* "{}\n" */

static const struct check_case {
    const char *check;
    enum kt_result want;
    const char *reason; /* a substring of the reason, or NULL */
} CASES[] = {
    /* run_started */
    {C("run_started", ",\"run\":\"probe\",\"profile\":\"strict\",\"expect\":false"), P_PASS,
     "did not start"},
    {C("run_started", ",\"run\":\"probe\",\"profile\":\"strict\",\"expect\":true"), P_FAIL,
     "did not start"},
    {C("run_started", ",\"run\":\"nope\",\"profile\":\"strict\",\"expect\":true"), P_ERR,
     "missing"},
    {C("run_started", ",\"run\":\"bad\",\"profile\":\"safe\",\"expect\":true"), P_ERR,
     "needs boolean \"started\""},
    /* canonical_profile */
    {C("canonical_profile", ",\"run\":\"probe\",\"expect\":\"safe\""), P_PASS, NULL},
    {C("canonical_profile", ",\"run\":\"probe\",\"expect\":\"strict\""), P_FAIL,
     "is safe, the strictest that started (expected strict)"},
    {C("canonical_profile", ",\"run\":\"dead\",\"expect\":\"safe\""), P_FAIL,
     "no profile let the payload start"},
    {C("canonical_profile", ",\"run\":\"liar\",\"expect\":\"strict\""), P_ERR,
     "records canonical \"strict\" but the run records say \"safe\""},
    /* exit_code */
    {C("exit_code", ",\"run\":\"probe\",\"profile\":\"@canonical\",\"expect\":0"), P_PASS, NULL},
    {C("exit_code", ",\"run\":\"mvp\",\"profile\":\"@canonical\",\"expect\":0"), P_FAIL,
     "exited 1 (expected 0)"},
    {C("exit_code", ",\"run\":\"probe\",\"profile\":\"strict\",\"expect\":0"), P_FAIL,
     "no exit code"},
    {C("exit_code", ",\"run\":\"dead\",\"profile\":\"@canonical\",\"expect\":0"), P_FAIL,
     "no profile let the payload start"},
    /* image_digest_consistent */
    {C("image_digest_consistent", ",\"run\":\"probe\""), P_PASS, "2 attempt(s) ran image " DIG_A},
    {C("image_digest_consistent", ",\"run\":\"probe\",\"pinned\":\"" DIG_C "\""), P_FAIL,
     "runs/probe/strict/run.json: image_digest is " DIG_A ", pinned " DIG_C},
    {C("image_digest_consistent", ",\"run\":\"mixed\""), P_FAIL,
     "differs between attempts of mixed: " DIG_A " under strict, " DIG_C " under safe"},
    {C("image_digest_consistent", ",\"run\":\"liar\""), P_ERR, "no image_digest"},
    {C("image_digest_consistent", ",\"run\":\"nope\""), P_ERR, "missing"},
    /* image_pinned */
    {C("image_pinned", ",\"run\":\"probe\",\"digest\":\"" DIG_A "\""), P_PASS, "(pinned)"},
    {C("image_pinned", ",\"run\":\"mvp\",\"digest\":\"" DIG_A "\""), P_FAIL,
     "image_digest is " DIG_B ", pinned " DIG_A},
    {C("image_pinned", ",\"run\":\"mixed\",\"digest\":\"" DIG_A "\""), P_FAIL,
     "runs/mixed/safe/run.json: image_digest is " DIG_C ", pinned " DIG_A},
    {C("image_pinned", ",\"run\":\"liar\",\"digest\":\"" DIG_A "\""), P_ERR, "no image_digest"},
    /* run_profiles_pinned: what ran, not the evidence copy */
    {C("run_profiles_pinned",
       ",\"run\":\"probe\",\"profiles\":{\"strict\":\"" HEX_STRICT "\",\"safe\":\"" HEX_SAFE "\"}"),
     P_PASS, "2 attempt(s) of probe ran pinned profiles: strict, safe"},
    {C("run_profiles_pinned", ",\"run\":\"relaxed\",\"profiles\":{\"strict\":\"" HEX_STRICT
                              "\",\"safe\":\"" HEX_SAFE "\"}"),
     P_FAIL, "runs/relaxed/safe/run.json: profile_sha256 is " HEX_RELAXED ", pinned " HEX_SAFE},
    {C("run_profiles_pinned",
       ",\"run\":\"extra\",\"profiles\":{\"strict\":\"" HEX_STRICT "\",\"safe\":\"" HEX_SAFE "\"}"),
     P_FAIL, "attempted profile other (sha256 " HEX_SAFE "), which the policy does not pin"},
    {C("run_profiles_pinned", ",\"run\":\"split\",\"profiles\":{\"safe\":\"" HEX_SAFE "\"}"), P_ERR,
     "record different profile_sha256"},
    {C("run_profiles_pinned", ",\"run\":\"oldbase\",\"profiles\":{\"safe\":\"" HEX_SAFE "\"}"),
     P_ERR, "no profile_sha256"},
    {C("run_profiles_pinned", ",\"run\":\"dead\",\"profiles\":{\"safe\":\"" HEX_SAFE "\"}"), P_FAIL,
     "profile strict"},
    /* run_baseline */
    {C("run_baseline", ",\"run\":\"probe\""), P_PASS, "ran with baseline baseline"},
    {C("run_baseline", ",\"run\":\"probe\",\"sha256\":\"" HEX_BASE "\""), P_PASS, "pinned"},
    {C("run_baseline", ",\"run\":\"probe\",\"sha256\":\"" HEX_A "\""), P_FAIL,
     "has sha256 " HEX_BASE ", pinned " HEX_A},
    {C("run_baseline", ",\"run\":\"nobase\""), P_FAIL, "ran with --baseline none"},
    {C("run_baseline", ",\"run\":\"oldbase\""), P_ERR, "has no \"baseline\""},
    {C("run_baseline", ",\"run\":\"badbase\""), P_ERR, "neither {name, sha256} nor \"none\""},
    /* run_filter_checked */
    {C("run_filter_checked", ",\"run\":\"fc\""), P_PASS,
     "2 of 2 attempt(s) of fc compiled a filter, each checked at 55 points or more"},
    {C("run_filter_checked", ",\"run\":\"fc\",\"min_points\":100"), P_FAIL,
     "runs/fc/safe: its filter (BPF sha256 bbbbbbbbbbbbbbbb...) was checked at 55 points, fewer "
     "than 100"},
    {C("run_filter_checked", ",\"run\":\"fcnone\""), P_FAIL,
     "no attempt of fcnone compiled a filter"},
    {C("run_filter_checked", ",\"run\":\"fczero\""), P_FAIL, "checked at 0 points, fewer than 1"},
    {C("run_filter_checked", ",\"run\":\"oldbase\""), P_ERR,
     "has no \"filter_checked_points\" and \"filter_bpf_sha256\" (a sandbox from before"},
    {C("run_filter_checked", ",\"run\":\"fcbad\""), P_ERR, "is not a count"},
    /* limit_not_hit: true fails, null (unknowable) and absent are errors, never a pass */
    {C("limit_not_hit", ",\"run\":\"probe\",\"profile\":\"@canonical\",\"limits\":[\"pids\","
                        "\"memory\",\"memory_swap\",\"cpus\"]"),
     P_PASS, "hit none of its limits (4 checked)"},
    {C("limit_not_hit", ",\"run\":\"mvp\",\"profile\":\"@canonical\",\"limits\":[\"pids\"]"),
     P_FAIL, "hit its limits: pids (hit, enforced by cgroup2)"},
    {C("limit_not_hit", ",\"run\":\"mvp\",\"profile\":\"@canonical\",\"limits\":[\"memory\","
                        "\"cpus\"]"),
     P_PASS, NULL},
    {C("limit_not_hit", ",\"run\":\"mvp\",\"profile\":\"@canonical\",\"limits\":[\"memory_swap\"]"),
     P_ERR, "memory_swap (cannot be known, enforced by rlimit)"},
    {C("limit_not_hit", ",\"run\":\"mvp\",\"profile\":\"@canonical\",\"limits\":[\"memory_swap\","
                        "\"pids\"]"),
     P_FAIL, "pids (hit"},
    {C("limit_not_hit", ",\"run\":\"oldbase\",\"profile\":\"safe\",\"limits\":[\"pids\"]"), P_ERR,
     "pids (not recorded)"},
    {C("limit_not_hit", ",\"run\":\"dead\",\"profile\":\"@canonical\",\"limits\":[\"pids\"]"),
     P_FAIL, "no profile let the payload start"},
    /* probe_ids: exactly these, each once, in any order */
    {C("probe_ids", ",\"run\":\"probe\",\"profile\":\"@canonical\",\"ids\":[\"uid\",\"nnp\"]"),
     P_PASS, "exactly the 2 pinned probe ids"},
    {C("probe_ids", ",\"run\":\"probe\",\"profile\":\"safe\",\"ids\":[\"nnp\",\"uid\"]"), P_PASS,
     NULL},
    {C("probe_ids", ",\"run\":\"probe\",\"profile\":\"safe\",\"ids\":[\"uid\"]"), P_FAIL,
     "missing: none; unexpected: nnp"},
    {C("probe_ids", ",\"run\":\"probe\",\"profile\":\"safe\",\"ids\":[\"uid\",\"nnp\",\"gid\"]"),
     P_FAIL, "missing: gid; unexpected: none"},
    {C("probe_ids", ",\"run\":\"probe\",\"profile\":\"safe\",\"file\":\"dup\",\"ids\":[\"uid\","
                    "\"nnp\"]"),
     P_FAIL, "listed twice: uid"},
    {C("probe_ids", ",\"run\":\"probe\",\"profile\":\"safe\",\"file\":\"lies\",\"ids\":[\"uid\"]"),
     P_ERR, "says 2/2 but lists 1/1"},
    /* attack 1: 20 passing records pass probe_report, not probe_ids */
    {C("probe_report",
       ",\"run\":\"probe\",\"profile\":\"safe\",\"file\":\"fake20\",\"min_probes\":20"),
     P_PASS, "20/20"},
    {C("probe_ids", ",\"run\":\"probe\",\"profile\":\"safe\",\"file\":\"fake20\",\"ids\":[\"uid\","
                    "\"nnp\"]"),
     P_FAIL, "lists 20 probes, pinned 2; missing: nnp, uid; unexpected: p1, p2, p3"},
    /* attack 2: the evidence copy of the profile is the genuine one, what ran is not */
    {C("profile_sha256", ",\"file\":\"profiles/p.json\",\"sha256\":\"" HEX_P "\""), P_PASS, NULL},
    /* payload bytes in a reason: no control byte survives, the reason stays UTF-8 */
    {C("probe_report",
       ",\"run\":\"probe\",\"profile\":\"safe\",\"file\":\"hostile\",\"min_probes\":1"),
     P_FAIL, "first failing: ?[2J?[HPASS ?? \xc3\xa9"},
    {C("probe_report",
       ",\"run\":\"probe\",\"profile\":\"safe\",\"file\":\"longid\",\"min_probes\":1"),
     P_FAIL, "first failing: \xe2\x82\xac"},
    /* probe_report */
    {C("probe_report", ",\"run\":\"probe\",\"profile\":\"@canonical\",\"min_probes\":2"), P_PASS,
     "2/2 probes pass"},
    {C("probe_report", ",\"run\":\"probe\",\"profile\":\"@canonical\",\"min_probes\":20"), P_FAIL,
     "fewer than 20"},
    {C("probe_report", ",\"run\":\"probe\",\"profile\":\"strict\",\"min_probes\":1"), P_FAIL,
     "first failing: uid"},
    {C("probe_report",
       ",\"run\":\"probe\",\"profile\":\"safe\",\"min_probes\":1,\"file\":\"lies\""),
     P_ERR, "says 2/2 but lists 1/1"},
    {C("probe_report", ",\"run\":\"probe\",\"profile\":\"safe\",\"min_probes\":1,\"file\":\"run."
                       "json\""),
     P_ERR, "needs \"probes\" array"},
    /* report_triplet and files_present */
    {C("report_triplet", ",\"run\":\"probe\",\"profile\":\"@canonical\""), P_PASS, NULL},
    {C("report_triplet", ",\"run\":\"probe\",\"profile\":\"strict\""), P_FAIL, "does not match"},
    {C("report_triplet", ",\"run\":\"mvp\",\"profile\":\"@canonical\""), P_FAIL, "missing"},
    {C("files_present",
       ",\"run\":\"probe\",\"profile\":\"@canonical\",\"files\":[\"out/report.json\",\"out/"
       "report.md\"]"),
     P_PASS, "all 2 files"},
    {C("files_present",
       ",\"run\":\"probe\",\"profile\":\"@canonical\",\"files\":[\"out/missing\"]"),
     P_FAIL, "runs/probe/safe/out/missing is missing"},
    {C("files_present", ",\"run\":\"probe\",\"profile\":\"safe\",\"files\":[\"../../../etc\"]"),
     P_FAIL, "missing"},
    /* json_field: RFC 6901 pointers; the actual value next to the expected one */
    {C("json_field", ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/"
                     "verdict\",\"equals\":\"PASS\""),
     P_PASS, NULL},
    {C("json_field",
       ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/n/1\",\"equals\":2"),
     P_PASS, NULL},
    {C("json_field",
       ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/n\",\"equals\":[1,2]"),
     P_PASS, NULL},
    {C("json_field", ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/"
                     "verdict\",\"equals\":\"FAIL\""),
     P_FAIL, "is \"PASS\", expected \"FAIL\""},
    {C("json_field",
       ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/nope\",\"equals\":1"),
     P_FAIL, "has nothing at /nope"},
    {C("json_field", ",\"file\":\"runs/probe/safe/out/report.json\",\"pointer\":\"/n/-1\","
                     "\"equals\":1"),
     P_FAIL, "nothing at"},
    {C("json_field", ",\"file\":\"runs/probe/safe/out/report.md\",\"pointer\":\"/x\",\"equals\":1"),
     P_ERR, "invalid JSON"},
    /* single files */
    {C("guard_passed", ",\"file\":\"guard/ok.json\""), P_PASS, NULL},
    {C("guard_passed", ",\"file\":\"guard/bad.json\""), P_FAIL, "1 violation"},
    {C("guard_passed", ",\"file\":\"guard/weird.json\""), P_ERR, "needs boolean"},
    {C("guard_passed", ",\"file\":\"guard/missing.json\""), P_ERR, "missing"},
    {C("venue_fields", ",\"file\":\"venue.json\",\"fields\":[\"ci\",\"run_id\"]"), P_PASS, NULL},
    {C("venue_fields", ",\"file\":\"venue.json\",\"fields\":[\"ci\",\"commit\"]"), P_FAIL,
     "no \"commit\""},
    {C("profile_sha256", ",\"file\":\"profiles/p.json\",\"sha256\":\"" HEX_P "\""), P_PASS, NULL},
    {C("profile_sha256", ",\"file\":\"profiles/p.json\",\"sha256\":\"" HEX_A "\""), P_FAIL,
     "has sha256 " HEX_P ", pinned " HEX_A},
    {C("profile_sha256", ",\"file\":\"/etc/passwd\",\"sha256\":\"" HEX_A "\""), P_ERR,
     "not relative"},
    /* JUnit from cmocka and pytest (committed fixtures) */
    {C("junit", ",\"file\":\"tests/cmocka-pass.xml\",\"min_tests\":1"), P_PASS, NULL},
    {C("junit", ",\"file\":\"tests/pytest-pass.xml\",\"min_tests\":1"), P_PASS, NULL},
    {C("junit", ",\"file\":\"tests/cmocka-fail.xml\",\"min_tests\":1"), P_FAIL, "failures"},
    {C("junit", ",\"file\":\"tests/pytest-fail.xml\",\"min_tests\":1"), P_FAIL, "failures"},
    {C("junit", ",\"file\":\"tests/lying.xml\",\"min_tests\":1"), P_ERR, "but holds"},
    {C("junit", ",\"file\":\"tests/xxe.xml\",\"min_tests\":1"), P_PASS, NULL},
    {C("junit", ",\"file\":\"tests/pytest-pass.xml\",\"min_tests\":1000"), P_FAIL, ">= 1000"},
};

static void same_outcome(const kt_check_out *a, const kt_check_out *b, size_t i)
{
    if (a->result != b->result || strcmp(a->reason, b->reason) || a->nevidence != b->nevidence)
        fail_msg("case %zu: memory gives %s \"%s\", directory gives %s \"%s\"", i,
                 kt_result_name(a->result), a->reason, kt_result_name(b->result), b->reason);
    for (int k = 0; k < a->nevidence; k++) assert_string_equal(a->evidence[k], b->evidence[k]);
}

static void check_cases(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        kt_check_out m = eval_one(&f->mem, CASES[i].check);
        kt_ev_init_dir(&f->dir, f->rootfd, f->root);
        kt_check_out d = eval_one(&f->dir, CASES[i].check);
        kt_ev_free(&f->dir);
        same_outcome(&m, &d, i);
        /* whatever the evidence holds, a reason can be recorded and printed */
        assert_true(kt_utf8_valid(m.reason, strlen(m.reason)));
        for (const unsigned char *s = (const unsigned char *)m.reason; *s; s++)
            if (*s < 0x20 || *s == 0x7f || (s[0] == 0xc2 && s[1] >= 0x80 && s[1] < 0xa0))
                fail_msg("case %zu: control byte in \"%s\"", i, m.reason);
        if (m.result != CASES[i].want || (CASES[i].reason && !strstr(m.reason, CASES[i].reason)))
            fail_msg("case %zu (%s): %s \"%s\", want %s \"%s\"", i, CASES[i].check,
                     kt_result_name(m.result), m.reason, kt_result_name(CASES[i].want),
                     CASES[i].reason ? CASES[i].reason : "");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(check_cases)};
    return cmocka_run_group_tests_name("policy checks", tests, setup, teardown);
}
