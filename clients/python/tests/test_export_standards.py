"""Exports checked with tools their users already have, not with this repository's code.

- Every eventID of a JSON-LD and an XML export, downloaded from the real server and read exactly as
  downloaded, is recomputed by GS1's reference implementation of the CBV 2.0 event hash
  (``epcis-event-hash-generator`` from PyPI); the same tool is first checked against the published
  vectors in ``../shared/epcis/hash-vectors``.
- The CSV export loads with ``pandas.read_csv`` and Python's ``csv`` module without options, its rows
  reproduce the JSON-LD export's events, and no cell starts like a spreadsheet formula.
- Every record hash is recomputed from the document's chain section with RFC 8785 canonical JSON
  (the events in the documents hold nothing but the stored event).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import jwt
import pandas
import pytest
from epcis_event_hash_generator import events_from_file_reader, hash_generator

from m2m_trust import M2MClient, generate_key_pair, sign_challenge
from support import AUDIENCE, REPO_ROOT, RunningServer

HASH_VECTORS = REPO_ROOT.parent / "shared" / "epcis" / "hash-vectors"
# Text a spreadsheet would run as a formula (OWASP, CSV injection), put where an operator's words land.
# A tab or line break cannot start a reason any more (plain text, docs/abuse-limits.md "Input limits"); the
# full-width equals sign is one a spreadsheet may still read as a formula.
RISKY_REASONS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\uff1d1+1"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


# The vectors come from a later commit of the reference implementation than its last PyPI release (1.9.3),
# which does not yet leave out the fields those files show being ignored, nor read query documents.
# The project's exports are EPCISDocuments whose events carry no such field.
NEWER_THAN_1_9_3 = {
    "epcisDocHavingEventWithIgnoreFields.jsonld",
    "epcisQueryDocHavingEventWithIgnoreFields.jsonld",
    "epcisXmlDocHavingEventWithIgnoreFields.xml",
    "epcisXmlQueryDocHavingEventWithIgnoreFields.xml",
    "epcisQueryDocument.jsonld",
    "epcisQueryDocument.xml",
}


def reference_hashes(path: Path) -> list[str]:
    """GS1's reference implementation, through its Python API, on one file."""
    events = events_from_file_reader.event_list_from_file(str(path))
    prehashes = hash_generator.derive_prehashes_from_events(events, "")
    return list(hash_generator.calculate_hashes_from_pre_hashes(prehashes, "sha256"))


def reference_cli_hashes(path: Path) -> list[str]:
    """GS1's reference implementation's command line, in a process of its own, on one file."""
    run = subprocess.run([sys.executable, "-m", "epcis_event_hash_generator", str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return [line for line in run.stdout.splitlines() if line.startswith("ni:///")]


def canonical(value: Any) -> str:
    """RFC 8785 for what the log holds (strings, integers, lists, objects): sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_hash(seq: int, prev_hash: str, event: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({"seq": seq, "prevHash": prev_hash, "event": event}).encode("utf-8")).hexdigest()


@pytest.fixture(scope="module")
def history(server: RunningServer) -> None:
    """Registrations, successes, failures and revocations whose reasons start like formulas."""
    with M2MClient(base_url=server.url, api_key=server.admin_key) as admin, M2MClient(base_url=server.url) as device_client:
        for i, reason in enumerate(RISKY_REASONS):
            keys = generate_key_pair()
            device_id = f"export-{i}-{keys.public_key[:8]}"
            admin.m2m.register_device(device_id=device_id, public_key=keys.public_key)
            assert device_client.m2m.authenticate(device_id=device_id, private_key=keys.private_key, audience=AUDIENCE)["verified"]
            challenge = device_client.m2m.initiate_challenge(device_id)
            bad = sign_challenge(challenge, generate_key_pair().private_key, device_id=device_id, audience=AUDIENCE)
            device_client.m2m.verify(challenge_id=challenge["id"], signature=bad)
            admin.m2m.revoke_device(device_id, reason=reason)


def download(server: RunningServer, path: str, **params: str) -> httpx.Response:
    response = httpx.get(f"{server.url}{path}", params=params, headers={"Authorization": f"Bearer {server.admin_key}"}, timeout=60)
    assert response.status_code == 200, response.text
    return response


def signed_claims(server: RunningServer, jws: str) -> dict[str, Any]:
    """The manifest's claims, its EdDSA signature checked with PyJWT against the service's published keys."""
    keys = httpx.get(f"{server.url}/epcis/checkpoints/keys", timeout=30).json()
    kid = jwt.get_unverified_header(jws)["kid"]
    key = jwt.PyJWK.from_dict(next(k for k in keys["keys"] if k["kid"] == kid))
    claims: dict[str, Any] = jwt.decode(jws, key=key.key, algorithms=["EdDSA"], options={"verify_aud": False, "verify_iat": False})
    return claims


def test_the_reference_implementation_reproduces_the_published_vectors() -> None:
    computed = json.loads((HASH_VECTORS / "computed-by-reference-impl.json").read_text(encoding="utf-8"))["files"]
    reproduced, differing = [], set()
    for name, expected in computed.items():
        path = HASH_VECTORS / "examples" / Path(name).name
        if not path.is_file():
            continue
        try:
            same = reference_hashes(path) == expected["hashes"]
        except KeyError:  # 1.9.3 finds no eventList in a query document
            same = False
        (reproduced.append(path.name) if same else differing.add(path.name))
    assert differing == NEWER_THAN_1_9_3
    assert len(reproduced) >= 30


@pytest.mark.parametrize("fmt, suffix", [("jsonld", ".jsonld"), ("xml", ".xml")])
def test_gs1_reference_recomputes_every_event_id_of_an_export_as_downloaded(
    server: RunningServer, history: None, tmp_path: Path, fmt: str, suffix: str
) -> None:
    exported = download(server, "/epcis/export", format=fmt).content
    path = tmp_path / f"export{suffix}"
    path.write_bytes(exported)  # exactly as downloaded

    if fmt == "jsonld":
        written_ids = [event["eventID"] for event in json.loads(exported)["epcisBody"]["eventList"]]
    else:
        root = ElementTree.fromstring(exported)
        written_ids = [element.text for element in root.iter("eventID")]
    assert len(written_ids) >= 4 * len(RISKY_REASONS)
    assert reference_cli_hashes(path) == written_ids


def test_each_record_hash_follows_from_the_chain_section_and_the_event_as_written(server: RunningServer, history: None) -> None:
    response = download(server, "/epcis/export")
    document = response.json()
    events, links = document["epcisBody"]["eventList"], document["m2m:chain"]
    assert len(events) == len(links) >= 4 * len(RISKY_REASONS)
    prev = "0" * 64
    for index, (event, link) in enumerate(zip(events, links)):
        assert not [key for key in event if key in ("m2m:seq", "m2m:prevHash", "m2m:recordHash")]
        assert (link["m2m:seq"], link["m2m:prevHash"]) == (index + 1, prev)
        assert record_hash(link["m2m:seq"], prev, event) == link["m2m:recordHash"]
        prev = link["m2m:recordHash"]
    claims = signed_claims(server, document["m2m:manifest"])
    assert claims["chainHead"] == prev and claims["complete"] is True
    body = response.content[: response.content.rindex(b',"m2m:manifest":')]
    assert hashlib.sha256(body).hexdigest() == claims["bodySha256"]


def test_the_csv_is_a_plain_table_whose_rows_are_the_events_and_whose_manifest_is_served_beside_it(
    server: RunningServer, history: None
) -> None:
    response = download(server, "/epcis/export", format="csv")
    frame = pandas.read_csv(io.BytesIO(response.content))  # as a user would: no options
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))
    document = download(server, "/epcis/export", format="jsonld", snapshot=str(len(rows))).json()
    events, links = document["epcisBody"]["eventList"], document["m2m:chain"]

    assert len(frame) == len(rows) == len(events)
    assert list(frame.columns) == list(rows[0].keys())
    # Both readers see the same table (pandas reads empty cells as NaN and seq as integers).
    assert frame.fillna("").astype(str).to_dict("records") == rows

    def value(cell: str) -> str:
        return cell[1:] if cell.startswith("'") else cell

    for row, event, link in zip(rows, events, links):
        for cell in row.values():
            assert not cell.startswith(FORMULA_START), f"a cell a spreadsheet would run: {cell!r}"
        assert int(row["seq"]) == link["m2m:seq"]
        assert (row["prevHash"], row["recordHash"]) == (link["m2m:prevHash"], link["m2m:recordHash"])
        for column, field in [
            ("eventID", "eventID"),
            ("eventTime", "eventTime"),
            ("recordTime", "recordTime"),
            ("action", "action"),
            ("bizStep", "bizStep"),
            ("disposition", "disposition"),
            ("reason", "m2m:reason"),
            ("challengeId", "m2m:challengeId"),
            ("keyThumbprint", "m2m:keyThumbprint"),
            ("method", "m2m:method"),
            ("actor", "m2m:actor"),
            ("requestId", "m2m:requestId"),
        ]:
            assert value(row[column]) == event.get(field, ""), (column, row)
        assert value(row["epc"]) == " ".join(event["epcList"])
    assert {value(row["reason"]) for row in rows} >= set(RISKY_REASONS)

    link = response.headers["link"]
    assert 'rel="describedby"' in link
    target = httpx.URL(f"{server.url}/epcis/export").join(link[link.index("<") + 1 : link.index(">")])
    manifest = httpx.get(target, headers={"Authorization": f"Bearer {server.admin_key}"}, timeout=60)
    assert manifest.status_code == 200 and manifest.headers["content-type"].startswith("application/jose")
    claims = signed_claims(server, manifest.text)
    assert claims["format"] == "csv" and claims["count"] == len(rows)
    assert claims["bodySha256"] == hashlib.sha256(response.content).hexdigest()
