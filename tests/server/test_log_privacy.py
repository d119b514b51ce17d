"""No log line holds a secret or personal data: join tokens, resume credentials, personal
links, admin keys (right or wrong), names, e-mail addresses or chat, whatever a request carries
and however it is refused. (The access log is off in the server, ``server/cli.py``; the test
server's own access log is left out here.)"""

from __future__ import annotations

import logging
from collections.abc import Callable

import aiohttp
import pytest
import socketio

from tests.support import ADMIN_KEY, Api, Peer

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
WRONG_KEY = "wrong-admin-key-Q7xv9"
PEOPLE = ("name,email,role,languages,time_zone,goals,skills_offered,skills_wanted,capacity\n"
          "Maya Quillfeather,maya.q@example.org,mentor,English,Europe/Madrid,,python,,2\n"
          "Lina Brightwater,lina.b@example.org,mentee,English,Europe/Madrid,Anxiety,,python,\n"
          "Bad Row,not-an-email,mentee,English,Mars/Base,,,,\n")


async def test_no_log_line_holds_a_secret_or_personal_data(
        api: Api, http: aiohttp.ClientSession, peers: Callable[[], Peer],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    s = await api.create_session(title="Career worries",
                                 participants=[{"name": "Orla Fennimore", "role": "mentee"}])
    sid = s["session_id"]
    personal = s["personal_links"][0]["url"]
    token, mentor_token = api.token(personal), api.token(s["join_urls"]["mentor"])
    async with http.post("/api/join/preview", json={"token": token}) as resp:
        assert resp.status == 200
    async with http.post("/api/join/preview", json={"token": token[:-4] + "AAAA"}) as resp:
        assert resp.status == 401
    async with http.get(f"/api/sessions/{sid}", headers={
            "Authorization": f"Bearer {WRONG_KEY}"}) as resp:
        assert resp.status == 401
    async with http.post("/api/cohorts", headers=AUTH,
                         json={"programme": "P", "name": "Spring"}) as resp:
        cohort = await resp.json()
    async with http.post(f"/api/cohorts/{cohort['id']}/import", data=PEOPLE,
                         headers={**AUTH, "Content-Type": "text/csv"}) as resp:
        assert resp.status == 400

    mentee, mentor = peers(), peers()
    await mentee.connect(token)
    await mentor.connect(mentor_token)
    await mentee.join("Orla Fennimore")
    await mentor.join("Ruairi Castellane")
    assert (await mentee.call("chat", {"text": "I feel lost at school"}))["ok"]
    refused = await mentee.call("chat", {"text": "x" * 5000 + "secret overflow"})
    assert not refused["ok"]
    refused = await mentee.call("join", {"name": "Orla Again", "resume": "resume-Zq81x"})
    assert not refused["ok"]
    assert mentee.resume
    resume = mentee.resume
    async with http.get(f"/api/sessions/{sid}/transcript", headers={
            "X-Tandem-Resume": resume}) as resp:
        assert resp.status in (403, 404)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await peers().connect(token[:-4] + "AAAA")
    await mentee.close()
    await mentor.close()

    secrets = [token, mentor_token, personal, resume, "resume-Zq81x", ADMIN_KEY, WRONG_KEY,
               token[:-4] + "AAAA"]
    personal_data = ["Orla", "Fennimore", "Ruairi", "Castellane", "Quillfeather",
                     "Brightwater", "maya.q@", "lina.b@", "not-an-email", "Anxiety",
                     "lost at school", "secret overflow", "Career worries"]
    for record in caplog.records:
        if record.name == "aiohttp.access":
            continue
        text = record.getMessage() + (record.exc_text or "")
        for value in secrets + personal_data:
            assert value not in text, (record.name, text[:300])
