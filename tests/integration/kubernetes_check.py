#!/usr/bin/env python3
"""deploy/kubernetes without a cluster: every document parses and has its kind's basics,
the ConfigMap's config validates with the real binary, and the ports and probes the
Deployment names are the ones that config listens on.
Usage: kubernetes_check.py SOURCE_DIR CAUSEWAY_BINARY"""
import os
import subprocess
import sys
import tempfile

import yaml

source_dir, binary = sys.argv[1], sys.argv[2]
folder = os.path.join(source_dir, "deploy", "kubernetes")
problems = []
docs = []
for name in sorted(os.listdir(folder)):
    if name.endswith(".yaml"):
        with open(os.path.join(folder, name)) as f:
            docs += [(name, d) for d in yaml.safe_load_all(f) if d]

by_kind = {}
for name, doc in docs:
    for key in ("apiVersion", "kind", "metadata"):
        if key not in doc:
            problems.append(f"{name}: a document without {key}")
    by_kind.setdefault(doc.get("kind"), []).append(doc)

config_map = by_kind["ConfigMap"][0]
config_text = config_map["data"]["causeway.yaml"]
config = yaml.safe_load(config_text)
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "causeway.yaml")
    with open(path, "w") as f:
        f.write(config_text)
    env = dict(os.environ, KAFKA_BOOTSTRAP="kafka-0.kafka:9092")
    result = subprocess.run([binary, "validate", path], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        problems.append("the ConfigMap's config does not validate: " + result.stdout + result.stderr)

def port_of(listen):
    return int(str(listen).rsplit(":", 1)[1])

deployment = by_kind["Deployment"][0]
spec = deployment["spec"]
if spec["selector"]["matchLabels"] != spec["template"]["metadata"]["labels"]:
    problems.append("the Deployment's selector does not match its pod labels")
pod = spec["template"]["spec"]
sidecar = next(c for c in pod["containers"] if c["name"] == "causeway")
ports = {p["name"]: p["containerPort"] for p in sidecar["ports"]}
if ports.get("admin") != port_of(config["admin"]["listen"]):
    problems.append(f"the admin port {ports.get('admin')} is not the config's {config['admin']['listen']}")
if ports.get("causeway") != port_of(config["listeners"]["public"]["listen"]):
    problems.append("the causeway port is not the public listener's")
if not str(config["admin"]["listen"]).startswith("0.0.0.0"):
    problems.append("the kubelet cannot reach an admin listener on loopback")
for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
    got = sidecar.get(probe, {}).get("httpGet", {})
    if got.get("path") != path or got.get("port") not in ("admin", ports.get("admin")):
        problems.append(f"{probe} should GET {path} on the admin port, not {got}")
mount = next(m for m in sidecar["volumeMounts"] if m["name"] == "causeway-config")
config_arg = sidecar["args"][sidecar["args"].index("--config") + 1]
if os.path.dirname(config_arg) != mount["mountPath"]:
    problems.append(f"--config {config_arg} is not in the mounted {mount['mountPath']}")
volume = next(v for v in pod["volumes"] if v["name"] == "causeway-config")
if volume["configMap"]["name"] != config_map["metadata"]["name"]:
    problems.append("the volume does not mount the ConfigMap")
# The grace period must leave Causeway its drain.
drain = int(str(config.get("drain_timeout", "15s")).rstrip("s"))
if pod.get("terminationGracePeriodSeconds", 30) <= drain:
    problems.append("terminationGracePeriodSeconds does not exceed drain_timeout")
# Upstreams of a sidecar are the service in the same pod.
for name, upstream in config.get("upstreams", {}).items():
    if "127.0.0.1" not in upstream.get("url", "") and "localhost" not in upstream.get("url", ""):
        problems.append(f"upstream {name} is not the service in the pod")

service = by_kind["Service"][0]
if service["spec"]["selector"] != spec["template"]["metadata"]["labels"]:
    problems.append("the Service does not select the pods")
for p in service["spec"]["ports"]:
    if p["targetPort"] not in ports and p["targetPort"] not in ports.values():
        problems.append(f"the Service targets {p['targetPort']}, which the sidecar does not expose")
    if p["targetPort"] in ("admin", ports.get("admin")):
        problems.append("the Service exposes the admin port")

if problems:
    print("\n".join("kubernetes_check: " + p for p in problems), file=sys.stderr)
    sys.exit(1)
print(f"kubernetes_check: ok ({len(docs)} documents)")
