"""Checks deploy/ against the real binary, without a container runtime.

    python deploy/check.py target/debug/pol

Reads deploy/Dockerfile (ENV, EXPOSE, ENTRYPOINT, the policies copied in) and
deploy/kubernetes.yaml (args, env, ports, probes, the Service), then starts pol the
way the container would (the Dockerfile's environment, Kubernetes' env and args on
top, the policy folder at the path the image uses mapped to policies/), and checks:
the ports agree, the probe paths answer 200, the README's case is evaluated, the
logs are JSON lines, and SIGTERM stops the server within the grace period.
Bounded: every wait has a time limit. Needs PyYAML (a dependency of schemathesis).
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASE = "policies/cases/dm_verification/penerima_lain_di_cp_verified.json"


def dockerfile():
    text = open(os.path.join(ROOT, "deploy/Dockerfile")).read().replace("\\\n", " ")
    final = text.split("\nFROM ")[-1]  # the last stage is the image
    env = {}
    for line in final.splitlines():
        if line.startswith("ENV "):
            env.update(dict(re.findall(r"(\w+)=(\S+)", line)))
    entry = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", final, re.M).group(1))
    expose = int(re.search(r"^EXPOSE (\d+)$", final, re.M).group(1))
    copied = re.search(r"^COPY policies (\S+)$", final, re.M).group(1)
    return env, entry, expose, copied


def kubernetes():
    docs = list(yaml.safe_load_all(open(os.path.join(ROOT, "deploy/kubernetes.yaml"))))
    dep = next(d for d in docs if d["kind"] == "Deployment")
    svc = next(d for d in docs if d["kind"] == "Service")
    pod = dep["spec"]["template"]["spec"]
    return pod, pod["containers"][0], svc


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def main(binary):
    env, entry, expose, image_policies = dockerfile()
    pod, container, svc = kubernetes()
    env.update({e["name"]: e["value"] for e in container.get("env", [])})
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    addr_port = int(env["POL_ADDR"].rsplit(":", 1)[1])
    assert addr_port == expose == ports["http"], (addr_port, expose, ports)
    assert env["POL_ADDR"].startswith("0.0.0.0:"), "the container must listen on every address"
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] in ports, probe
    assert all(p["targetPort"] in ports for p in svc["spec"]["ports"])
    mount = container["volumeMounts"][0]["mountPath"]
    args = container.get("args", [])
    assert image_policies.rstrip("/") == mount == args[0], (image_policies, mount, args)

    # The container, on loopback: its folder is policies/, its address a free port.
    env = {**os.environ, **env, "POL_ADDR": "127.0.0.1:0", "POL_LOG": "info"}
    argv = [binary] + entry[1:] + [os.path.join(ROOT, "policies")] + args[1:]
    server = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)
    try:
        addr = None
        deadline = time.time() + 30
        while addr is None and time.time() < deadline:
            line = server.stderr.readline()
            if not line:
                break
            record = json.loads(line)  # POL_LOG_FORMAT=json: every line is JSON
            m = re.search(r"listening on http://([0-9.:]+)", json.dumps(record))
            addr = m and m.group(1)
        assert addr, "pol serve did not start"
        base = f"http://{addr}"
        for probe in ("readinessProbe", "livenessProbe"):
            path = container[probe]["httpGet"]["path"]
            status, _ = get(base + path)
            assert status == 200, (probe, path, status)
        body = open(os.path.join(ROOT, CASE), "rb").read()
        req = urllib.request.Request(
            base + "/v1/policies/dm_verification/evaluate?at=2025-05-02T10:00%2B07:00",
            data=body,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            decision = json.loads(r.read())
        assert decision["policy"]["id"] == "dm_verification", decision["policy"]
        assert decision["schema_version"], decision
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=pod.get("terminationGracePeriodSeconds", 30))
        assert code == 0, f"exit {code} after SIGTERM"
        for line in server.stderr:  # the rest of the log is JSON too
            json.loads(line)
    finally:
        if server.poll() is None:
            server.kill()
    print("deploy: the Dockerfile and kubernetes.yaml agree with pol serve")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/debug/pol"))
