#!/usr/bin/python3
"""gha-run.py WORKFLOW ROOT PROJECT KIEMTHU_SRC [SECRET=VALUE...]: run a GitHub
Actions workflow's jobs here, as a runner would, for the tests of the
workflow template (docs/ci/kiemthu-evidence.yml).

Each job gets a fresh directory under ROOT (workspace, RUNNER_TEMP,
GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) and GitHub's variables. What runs is the
workflow's own shell, with bash -eo pipefail as GitHub runs it; the actions
it uses are done by their documented effect:
  actions/checkout              a git clone of PROJECT, or, with repository
                                ${{ env.KIEMTHU_REPOSITORY }}, a copy of
                                KIEMTHU_SRC (no build outputs), at `path`
  actions/upload-artifact@v7    `archive: false`: the file as it is;
                                otherwise a zip of it, as the action makes
  actions/download-artifact@v8  the file, or the zip unpacked
`sudo` runs the command as it is (the tests run as root), `apt-get` does
nothing (the packages are here), and `make install` goes into a DESTDIR of
the job whose bin/ is on PATH: nothing on this host is installed.
Step and job `if:` take always(), success(), failure(), cancelled(), !,
&&, ||, ==, != and steps/needs outputs. Prints one line per step and job;
exit 0 when every job succeeded."""
import os, re, shutil, subprocess, sys, zipfile

import yaml

wf_path, root, project, kt_src = sys.argv[1:5]
secrets = dict(a.split("=", 1) for a in sys.argv[5:])
wf = yaml.safe_load(open(wf_path))
artifacts = os.path.join(root, "artifacts")
os.makedirs(artifacts, exist_ok=True)
shims = os.path.join(root, "shims")
os.makedirs(shims, exist_ok=True)
for name, body in {"sudo": 'exec "$@"', "apt-get": "exit 0"}.items():
    with open(os.path.join(shims, name), "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(os.path.join(shims, name), 0o755)


def expand(text, ctx):
    """${{ ... }} in a string: contexts, not expressions (those are for if:)."""
    def one(m):
        e = m.group(1).strip()
        kind, _, rest = e.partition(".")
        if kind == "secrets":
            return secrets.get(rest, "")
        if kind in ("env", "vars"):
            return ctx["env"].get(rest, "")
        if kind == "runner" and rest == "temp":
            return ctx["temp"]
        if kind == "github" and rest == "workspace":
            return ctx["ws"]
        if kind == "steps":
            sid, _, out = rest.partition(".outputs.")
            return ctx["steps"].get(sid, {}).get(out, "")
        if kind == "needs":
            job, _, out = rest.partition(".outputs.")
            return ctx["needs"].get(job, {}).get(out, "")
        raise SystemExit(f"gha-run: cannot expand ${{{{ {e} }}}}")
    return re.sub(r"\$\{\{(.*?)\}\}", one, text) if isinstance(text, str) else text


def condition(expr, ctx, failed):
    if expr is None:
        return not failed
    e = str(expr).strip()
    if e.startswith("${{"):
        e = e[3:-2].strip()
    e = re.sub(r"\b(steps|needs)\.([\w-]+)\.outputs\.([\w-]+)",
               lambda m: repr(ctx[m.group(1)].get(m.group(2), {}).get(m.group(3), "")), e)
    e = (e.replace("always()", "True").replace("success()", str(not failed))
         .replace("failure()", str(failed)).replace("cancelled()", "False")
         .replace("&&", " and ").replace("||", " or ").replace("!=", " != ")
         .replace("!", " not ").replace(" not  =", " !=").replace("not =", "!="))
    if not re.fullmatch(r"[\w\s'\"().=!-]*", e):
        raise SystemExit(f"gha-run: cannot evaluate if: {expr}")
    return bool(eval(e, {"__builtins__": {}}, {"True": True, "False": False}))


def checkout(step, ctx):
    w = step.get("with") or {}
    dest = os.path.join(ctx["ws"], expand(w.get("path", ""), ctx))
    if expand(w.get("repository", ""), ctx) == ctx["env"].get("KIEMTHU_REPOSITORY"):
        shutil.copytree(kt_src, dest, dirs_exist_ok=True, symlinks=True,
                        ignore=shutil.ignore_patterns(".git", "build", "build-*", "out"))
    else:
        if os.path.isdir(dest) and os.listdir(dest):
            raise SystemExit(f"gha-run: checkout into a non-empty {dest}")
        subprocess.run(["git", "clone", "-q", project, dest], check=True)


def upload(step, ctx):
    w = step.get("with") or {}
    src = os.path.join(ctx["ws"], expand(w["path"], ctx))
    if not os.path.exists(src):
        return w.get("if-no-files-found") != "error"
    if str(w.get("archive", "true")).lower() == "false":
        shutil.copyfile(src, os.path.join(artifacts, os.path.basename(src)))
    else:
        with zipfile.ZipFile(os.path.join(artifacts, w.get("name", "artifact") + ".zip"), "w") as z:
            z.write(src, os.path.basename(src))
    return True


def download(step, ctx):
    w = step.get("with") or {}
    name = expand(w["name"], ctx)
    dest = os.path.join(ctx["ws"], expand(w.get("path", ""), ctx))
    os.makedirs(dest, exist_ok=True)
    if os.path.exists(os.path.join(artifacts, name)):
        shutil.copyfile(os.path.join(artifacts, name), os.path.join(dest, name))
    elif os.path.exists(os.path.join(artifacts, name + ".zip")):
        zipfile.ZipFile(os.path.join(artifacts, name + ".zip")).extractall(dest)
    else:
        return False
    return True


def run_shell(step, ctx, env):
    out = os.path.join(ctx["dir"], "output")
    open(out, "w").close()
    env = dict(env, GITHUB_OUTPUT=out)
    env.update({k: str(expand(v, ctx)) for k, v in (step.get("env") or {}).items()})
    script = os.path.join(ctx["dir"], "step.sh")
    with open(script, "w") as f:
        f.write(expand(step["run"], ctx))
    rc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
                        cwd=ctx["ws"], env=env).returncode
    outputs = dict(line.split("=", 1) for line in open(out).read().splitlines() if "=" in line)
    if "id" in step:
        ctx["steps"][step["id"]] = outputs
    return rc == 0


def run_job(name, job, needs_out, run_id):
    jdir = os.path.join(root, name)
    ctx = {"dir": jdir, "ws": os.path.join(jdir, "workspace"), "temp": os.path.join(jdir, "temp"),
           "steps": {}, "needs": needs_out, "env": {}}
    for d in (ctx["ws"], ctx["temp"]):
        os.makedirs(d)
    destdir = os.path.join(jdir, "root")
    ctx["env"] = {k: str(v) for k, v in (wf.get("env") or {}).items()}
    sha = subprocess.run(["git", "-C", project, "rev-parse", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    env = {"PATH": f"{shims}:{destdir}/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "HOME": jdir, "LANG": "C.UTF-8", "CI": "true", "DESTDIR": destdir,
           "GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "example/wordcount",
           "GITHUB_RUN_ID": run_id, "GITHUB_RUN_ATTEMPT": "1", "GITHUB_SHA": sha,
           "GITHUB_REF": "refs/heads/main", "GITHUB_JOB": name, "GITHUB_WORKSPACE": ctx["ws"],
           "GITHUB_STEP_SUMMARY": os.path.join(jdir, "summary.md"),
           "GITHUB_WORKFLOW_REF": "example/wordcount/.github/workflows/kiemthu.yml@refs/heads/main",
           "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "RUNNER_TEMP": ctx["temp"],
           "RUNNER_ENVIRONMENT": "github-hosted"}
    env.update(ctx["env"])
    failed = False
    for i, step in enumerate(job["steps"]):
        label = step.get("name") or step.get("uses") or f"step {i + 1}"
        if not condition(step.get("if"), ctx, failed):
            print(f"  skip  {name}: {label}")
            continue
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout@"):
            ok = checkout(step, ctx) or True
        elif uses.startswith("actions/upload-artifact@"):
            ok = upload(step, ctx)
        elif uses.startswith("actions/download-artifact@"):
            ok = download(step, ctx)
        elif "run" in step:
            ok = run_shell(step, ctx, env)
        else:
            raise SystemExit(f"gha-run: {name}: unknown step {step}")
        print(f"  {'ok   ' if ok else 'FAIL '} {name}: {label}", flush=True)
        failed = failed or not ok
    outputs = {k: expand(v, ctx) for k, v in (job.get("outputs") or {}).items()}
    return not failed, outputs


results, outputs = {}, {}
pending = list(wf["jobs"])
while pending:
    for name in pending:
        job = wf["jobs"][name]
        needs = job.get("needs") or []
        needs = [needs] if isinstance(needs, str) else needs
        if all(n in results for n in needs):
            break
    pending.remove(name)
    needs_failed = any(not results[n] for n in needs)
    cond = job.get("if")
    if (cond is None and needs_failed) or (cond is not None and not condition(cond, {"steps": {}, "needs": outputs}, needs_failed)):
        print(f"job {name}: skipped")
        results[name] = False
        continue
    ok, outputs[name] = run_job(name, job, {n: outputs.get(n, {}) for n in needs}, "4242")
    results[name] = ok
    print(f"job {name}: {'success' if ok else 'failure'}", flush=True)
sys.exit(0 if all(results.values()) else 1)
