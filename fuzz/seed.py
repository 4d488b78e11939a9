#!/usr/bin/env python3
"""Seeds fuzz/corpus/TARGET/ from the repository's vectors (tests/vectors/) and the
CLI's example, one file per input. Run by scripts/fuzz.sh; adds to what is there."""
import hashlib
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent
vectors = root / "tests" / "vectors"
corpus = root / "fuzz" / "corpus"


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def load(name):
    return json.loads((vectors / name).read_text())


def event_text(event):
    """A vector's expected event with its placeholders filled in."""
    text = json.dumps(event)
    for placeholder, value in [
        ("<uuid>", "6a17da82-b57d-48a6-b75a-c715527c21d2"),
        ("<time>", "2026-11-01T12:00:00Z"),
        ("<sdk>", "rust@0.1.0"),
        ("<uri>", "https://a.blob.core.windows.net/c/b.txt?sig=x"),
    ]:
        text = text.replace(json.dumps(placeholder), json.dumps(value))
    return text


ids = [c["input"] for c in load("resource_ids.json")["cases"]]
ids += [i for c in load("subjects.json")["cases"] for i in c["resource_ids"]]
for i in ids:
    put("resource_id", i)

cases = load("notifications.json")["cases"]
events = [event_text(c["event"]) for c in cases if c.get("valid") and "event" in c]
node = (vectors / "payloads" / "node.json").read_text()
for e in events:
    put("event_round_trip", e)
    put("json_writer", e)
    put("cli_input", e + "\n")
    put("receiver", b"\0" * 8 + e.encode())
    put("deflate", e)
for c in cases:
    put("json_writer", json.dumps(c["notification"]))
for f in sorted(vectors.glob("*.json")) + [vectors / "payloads" / "node.json"]:
    put("deflate", f.read_bytes()[:40000])
put("json_writer", node)
put("cli_input", "\n".join(events[:3]) + "\n")
put("cli_input", "[" + ",\n".join(events[:3]) + "]")
put("cli_input", json.dumps(json.loads(events[0]), indent=2))
put("cli_input", (root / "arn-cli" / "examples" / "nodes.ndjson").read_text())
