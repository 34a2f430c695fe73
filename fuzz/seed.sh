#!/usr/bin/env bash
# Builds the seed corpora in fuzz/corpus/<target>/ (gitignored) from the
# project's fixtures and the shared test data ($CONFORM_TESTDATA, default
# ../shared/testdata beside the project). Nothing here is committed: run it
# before fuzzing (run.sh does). Seeds over 64 KiB are left out (libFuzzer
# mutates small inputs far faster).
set -euo pipefail
cd "$(dirname "$0")"
root=..
td=${CONFORM_TESTDATA:-$root/../shared/testdata}
test -f "$td/README.md" || { echo "seed.sh: no shared test data at $td (set CONFORM_TESTDATA)" >&2; exit 1; }
export TD="$td" ROOT="$root"
mkdir -p corpus
python3 - <<'PY'
import glob, html, io, json, os, re, tarfile, hashlib

td, root = os.environ["TD"], os.environ["ROOT"]
MAX = 64 * 1024
counts = {}

def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX:
        return
    d = os.path.join("corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    counts[target] = counts.get(target, 0) + 1

def files(*patterns):
    out = []
    for p in patterns:
        out += glob.glob(p, recursive=True)
    return sorted(set(out))

def read(p):
    with open(p, "rb") as f:
        return f.read()

# JSON payloads: the project's fixtures, R4 examples, national API examples.
json_files = files(f"{root}/fixtures/**/*.json", f"{td}/nhs-apis/**/*.json",
                   f"{td}/fhirpath/input-json-converted/*.json")
json_files += files(f"{td}/r4/examples/*.json")[::4]
for p in json_files:
    put("json", read(p))
    put("validate", read(p))
for p in files(f"{root}/fixtures/**/*.ndjson"):
    put("json", read(p))

# XML payloads.
xml_files = files(f"{td}/fhirpath/input/*.xml", f"{td}/fhir-test-cases/validator/*.xml")
for p in xml_files:
    put("xml", read(p))
    put("validate", read(p))
put("xml", '<Patient xmlns="http://hl7.org/fhir"><id value="p"/><active value="true"/>'
    '<name><family value="X"/><given value="A"/></name></Patient>')

# FHIRPath: the official suite's expressions, alone and with a resource.
suite = read(f"{td}/fhirpath/tests-fhir-r4.xml").decode()
exprs = [html.unescape(e) for e in re.findall(r"<expression[^>]*>(.*?)</expression>", suite, re.S)]
patient = read(f"{td}/fhirpath/input-json-converted/patient-example.json").decode()
observation = read(f"{td}/fhirpath/input-json-converted/observation-example.json").decode()
for i, e in enumerate(exprs):
    put("fhirpath_parse", e)
    one_line = " ".join(e.split("\n"))
    put("fhirpath_eval", one_line + "\n" + (patient if i % 2 else observation))

# Narrative XHTML: the divs of the examples.
for p in json_files:
    try:
        v = json.loads(read(p))
    except Exception:
        continue
    if isinstance(v, dict):
        div = (v.get("text") or {}).get("div") if isinstance(v.get("text"), dict) else None
        if isinstance(div, str):
            put("xhtml", div)

# Package tarballs: small ones made here from fixtures (real packages are
# megabytes, too large to mutate).
def tgz(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()

manifest = json.dumps({"name": "fuzz.seed", "version": "1.0.0", "fhirVersions": ["4.0.1"],
                       "dependencies": {"hl7.fhir.r4.core": "4.0.1"}}).encode()
small = [p for p in files(f"{root}/fixtures/valid/*.json") if os.path.getsize(p) < 4096][:3]
put("package", tgz([("package/package.json", manifest)]))
put("package", tgz([("package/package.json", manifest)] +
                   [("package/" + os.path.basename(p), read(p)) for p in small]))
put("package", tgz([("package/package.json", manifest),
                    ("package/.index.json", b'{"index-version":1,"files":[]}'),
                    ("package/example/Patient-x.json", b'{"resourceType":"Patient","id":"x"}')]))

# Scenario and regions files.
for p in files(f"{root}/testkits/**/*.yaml", f"{root}/testkits/**/*.yml"):
    put("scenario", read(p))
for p in files(f"{root}/fixtures/regions*.yaml", f"{root}/ci/regions.yaml"):
    put("regions", read(p))

# Baselines, waivers, validate documents, SARIF logs and JUnit reports.
for p in files(f"{root}/fixtures/evidence/**/validate.json"):
    put("reports", read(p))
put("reports", json.dumps({"schema": "conform.baseline/2", "findings": [
    {"id": "abc", "rule": "unknown-element", "path": "a.json", "expression": "Patient.x"}]}))
put("reports", '[[waiver]]\nrule = "unknown-element"\npath = "payloads/**"\n'
    'owner = "team"\nreason = "known"\nexpires = 2030-01-01\n')
put("reports", '[[waiver]]\nid = "0123456789abcdef"\nowner = "o"\nreason = "r"\nexpires = "2030-01-01"\n')
put("reports", json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "conform",
    "rules": [{"id": "r1"}]}}, "results": [{"ruleId": "r1", "level": "error",
    "message": {"text": "m"}}]}]}))
put("reports", '<?xml version="1.0"?><testsuites tests="1" failures="1"><testsuite name="s" '
    'tests="1" failures="1"><testcase name="c"><failure message="m">x</failure></testcase>'
    '</testsuite></testsuites>')

for t in sorted(counts):
    print(f"seed.sh: {t}: {counts[t]} seeds")
PY
